import diagnostics from 'node:diagnostics_channel'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AllEgressBlockedError, AllIpsBlacklistedError, type BlacklistEvent } from '../../src/pool/index.js'
import { get, startTestOrigin, testPool, waitFor, type TestOrigin } from './helpers/fixtures.js'

describe('blacklist', () => {
  let t: TestOrigin
  const events: BlacklistEvent[] = []
  const onEvent = (m: unknown): void => {
    events.push(m as BlacklistEvent)
  }
  beforeAll(async () => {
    t = await startTestOrigin()
    diagnostics.subscribe('hotconn:pool:blacklist', onEvent)
  })
  afterAll(async () => {
    diagnostics.unsubscribe('hotconn:pool:blacklist', onEvent)
    await t.close()
  })
  const host = (): string => `tiles.test:${t.origin.port}`
  const opts = {
    blacklist: { failureThreshold: 2, ttlMs: 250, checkIntervalMs: 30 },
    pool: { cleanupIntervalMs: 30 },
  }

  it('403s blacklist an IP; after the ttl a failing re-probe keeps it out, a passing one re-admits it', async () => {
    events.length = 0
    const [a] = t.origin.ips as [string]
    t.origin.setBehaviour(a, { status: 403 })
    const pool = testPool(t, opts)
    await pool.warmup(t.origin.url())
    let forbidden = 0
    for (let i = 0; i < 30 && forbidden < 2; i++) {
      const r = await get(pool, t.origin.url('/'))
      if (r.status === 403) forbidden++
    }
    expect(forbidden).toBe(2)
    const st = pool.stats().hosts[host()]
    expect(st?.blacklisted.map((b) => b.ip)).toEqual([a])
    expect(st?.blacklisted[0]?.reason).toMatch(/403/)
    expect(st?.blacklisted[0]?.until.getTime()).toBeGreaterThan(Date.now())
    expect(st?.ips.find((i) => i.ip === a)?.idle).toBe(0)
    await waitFor(() => pool.stats().hosts[host()]?.ips.find((i) => i.ip === a)?.connections === 0, 'A closed')
    // While blacklisted, nothing goes to A.
    for (let i = 0; i < 9; i++) expect((await get(pool, t.origin.url('/'))).ip).not.toBe(a)
    // First expiry: A still answers 403, so the probe fails and A is blacklisted again.
    await waitFor(() => events.filter((e) => e.ip === a && e.action === 'blacklisted').length >= 2, 'failed re-probe')
    expect(events.some((e) => e.ip === a && e.action === 'probing')).toBe(true)
    expect(events.some((e) => e.ip === a && e.action === 'readmitted')).toBe(false)
    // A recovers: the next probe re-admits it and requests reach it again.
    t.origin.setBehaviour(a, undefined)
    await waitFor(() => events.some((e) => e.ip === a && e.action === 'readmitted'), 're-admission', 3000)
    expect(pool.stats().hosts[host()]?.blacklisted).toEqual([])
    const seen = new Set<string>()
    for (let i = 0; i < 9; i++) seen.add((await get(pool, t.origin.url('/'))).ip)
    expect(seen.has(a)).toBe(true)
    await pool.close()
  })

  it('a 429 with Retry-After blacklists the IP at once, for the time it names', async () => {
    const [, b] = t.origin.ips as [string, string]
    t.origin.setBehaviour(b, { status: 429, retryAfterS: 2 })
    const pool = testPool(t, { blacklist: { failureThreshold: 5, ttlMs: 60_000 } })
    await pool.warmup(t.origin.url())
    let hit = 0
    for (let i = 0; i < 10 && hit === 0; i++) if ((await get(pool, t.origin.url('/'))).status === 429) hit++
    expect(hit).toBe(1)
    const bl = pool.stats().hosts[host()]?.blacklisted
    expect(bl?.map((x) => x.ip)).toEqual([b])
    const left = (bl?.[0]?.until.getTime() ?? 0) - Date.now()
    expect(left).toBeGreaterThan(1000)
    expect(left).toBeLessThanOrEqual(2000)
    expect(bl?.[0]?.reason).toMatch(/Retry-After/)
    t.origin.setBehaviour(b, undefined)
    await pool.close()
  })

  it('every IP answering 403 blames the egress, not the IPs: one path never blocks, distinct paths give ERR_ALL_EGRESS_BLOCKED', async () => {
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, { status: 403 })
    const pool = testPool(t, { blacklist: { failureThreshold: 3, ttlMs: 60_000 } })
    await pool.warmup(t.origin.url())
    const before = Date.now()
    // A members-only page answering 403 again and again is about that page: nothing is blocked.
    for (let i = 0; i < 8; i++) expect((await get(pool, t.origin.url('/members?i=' + i))).status).toBe(403)
    // 403s on three distinct paths with no success between: the (egress, host) pair is blocked.
    for (const path of ['/a', '/b']) expect((await get(pool, t.origin.url(path))).status).toBe(403)
    const err = await get(pool, t.origin.url('/c')).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(AllEgressBlockedError)
    const e = err as AllEgressBlockedError
    expect(e.code).toBe('ERR_ALL_EGRESS_BLOCKED')
    expect(e.reasons).toEqual([
      { egress: 'direct', reason: expect.stringMatching(/^HTTP 403 on 3 paths \(\/members, \/a, \/b\)/) },
    ])
    expect(e.message).toMatch(/the only egress of requests to tiles\.test:\d+ is blocked by the host until/)
    expect(e.message).toMatch(/its IPs are fine/)
    expect(e.message).not.toMatch(/fewer requests per second/) // a 403 is no rate limit
    expect(e.retryAt.getTime()).toBeGreaterThanOrEqual(before + 60_000)
    expect(e.retryAt.getTime()).toBeLessThanOrEqual(Date.now() + 60_000)
    // The IPs were not blamed: none is blacklisted, and they stay active.
    const st = pool.stats().hosts[host()]
    expect(st?.blacklisted).toEqual([])
    expect(st?.ips.every((i) => i.state === 'active')).toBe(true)
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, undefined)
    await pool.close()
  })

  it('status_blame = "egress": an IP answering 403 while the others serve is never blacklisted', async () => {
    const [a] = t.origin.ips as [string]
    t.origin.setBehaviour(a, { status: 403 })
    try {
      const pool = testPool(t, { blacklist: { ...opts.blacklist, statusBlame: 'egress' }, pool: opts.pool })
      await pool.warmup(t.origin.url())
      let forbidden = 0
      for (let i = 0; i < 30; i++)
        if ((await get(pool, t.origin.url(`/tiles/2/${i % 4}/1.png`))).status === 403) forbidden++
      // Under "auto" two of these 403s blacklist A (the first test); here the successes between
      // them start the pair's count over, and no IP is ever blamed.
      expect(forbidden).toBeGreaterThanOrEqual(5)
      const st = pool.stats().hosts[host()]
      expect(st?.blacklisted).toEqual([])
      expect(st?.ips.every((i) => i.state === 'active')).toBe(true)
      await pool.close()
    } finally {
      t.origin.setBehaviour(a, undefined)
    }
  })

  it('status_blame = "ip": 403s on one path blacklist each IP that gave them, then ERR_ALL_IPS_BLACKLISTED names every cause', async () => {
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, { status: 403 })
    try {
      const pool = testPool(t, { blacklist: { failureThreshold: 2, ttlMs: 60_000, statusBlame: 'ip' } })
      await pool.warmup(t.origin.url())
      let forbidden = 0
      let err: unknown
      for (let i = 0; i < 20 && err === undefined; i++) {
        await get(pool, t.origin.url('/members')).then(
          (r) => void (forbidden += r.status === 403 ? 1 : 0),
          (e: unknown) => void (err = e),
        )
      }
      expect(forbidden).toBe(2 * t.origin.ips.length)
      expect(err).toBeInstanceOf(AllIpsBlacklistedError)
      const e = err as AllIpsBlacklistedError
      expect(e.code).toBe('ERR_ALL_IPS_BLACKLISTED')
      expect(e.reasons.map((r) => r.ip).sort()).toEqual([...t.origin.ips].sort())
      for (const r of e.reasons) expect(r.reason).toMatch(/^HTTP 403/)
      expect(e.message).toMatch(/HTTP 403/)
      expect(pool.stats().hosts[host()]?.blacklisted).toHaveLength(t.origin.ips.length)
      await pool.close()
    } finally {
      for (const ip of t.origin.ips) t.origin.setBehaviour(ip, undefined)
    }
  })
})
