/**
 * IPs come back (issue 16, item 5): a connect failure is a strike with an expiry, so an IP that
 * was refused and then heals serves again within RETRY_MAX_MS plus one connect; and
 * max_pending = 0 (item 6) still lets a cold pool open connections up to the caps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RETRY_MAX_MS } from '../../src/pool/ip-states.js'
import { get, startTestOrigin, testPool, waitFor, type TestOrigin } from './helpers/fixtures.js'

/** Slack for a connect and a request on a loaded machine (ms). */
const SLACK_MS = 2_000

describe('IPs come back', () => {
  let t: TestOrigin
  beforeAll(async () => {
    t = await startTestOrigin()
  })
  afterAll(async () => {
    await t.close()
  })
  const host = (): string => `tiles.test:${t.origin.port}`

  it('an IP refused once during warm-up, then healthy, serves again within the documented time', async () => {
    const [a] = t.origin.ips as [string]
    await t.origin.stopIp(a)
    const pool = testPool(t, { pool: { warmConnsPerIp: 2 } })
    try {
      const warm = await pool.warmup(t.origin.url())
      expect(warm.ips.find((i) => i.ip === a)?.failed).toBeGreaterThan(0)
      await t.origin.startIp(a)
      const healed = performance.now()
      const before = t.origin.stats(a).requests
      await waitFor(
        () => (pool.stats().hosts[host()]?.ips.find((i) => i.ip === a)?.idle ?? 0) > 0,
        'a connection to the healed IP',
        RETRY_MAX_MS + SLACK_MS,
      )
      const seen = new Set<string>()
      for (let i = 0; i < 12; i++) seen.add((await get(pool, t.origin.url(`/tiles/3/${i}/1.png`))).ip)
      expect(seen.has(a)).toBe(true)
      expect(t.origin.stats(a).requests).toBeGreaterThan(before)
      expect(performance.now() - healed).toBeLessThan(RETRY_MAX_MS + 2 * SLACK_MS)
      const ipA = pool.stats().hosts[host()]?.ips.find((i) => i.ip === a)
      expect(ipA?.state).toBe('active')
    } finally {
      await pool.close()
      await t.origin.startIp(a)
    }
  })

  it('an IP dark for 2.5 s mid-load takes traffic again, and no request is lost', async () => {
    const [, b] = t.origin.ips as [string, string]
    const pool = testPool(t, { pool: { warmConnsPerIp: 2 } })
    await pool.warmup(t.origin.url())
    let done = 0
    let stop = false
    const errors: string[] = []
    const worker = async (): Promise<void> => {
      for (let i = 0; !stop && i < 20_000; i++) {
        try {
          const r = await get(pool, t.origin.url(`/tiles/7/${i % 128}/2.png`))
          if (r.status !== 200) errors.push(`HTTP ${r.status}`)
        } catch (err) {
          errors.push(String(err))
        }
        done++
      }
    }
    const workers = Promise.all(Array.from({ length: 6 }, worker))
    try {
      await waitFor(() => done >= 100, 'traffic before the outage', 10_000)
      await t.origin.stopIp(b)
      await new Promise((r) => setTimeout(r, 2_500))
      const darkRequests = t.origin.stats(b).requests
      await t.origin.startIp(b)
      await waitFor(
        () => t.origin.stats(b).requests > darkRequests + 20,
        'traffic on the healed IP',
        RETRY_MAX_MS + 2 * SLACK_MS,
      )
    } finally {
      stop = true
      await workers
      await pool.close()
      await t.origin.startIp(b)
    }
    expect({ lost: errors.length, first: errors.slice(0, 3) }).toEqual({ lost: 0, first: [] })
  })

  it('max_pending = 0 on a cold pool opens connections up to the caps, then refuses at once', async () => {
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, { delayMs: 300 })
    const pool = testPool(t, { pool: { maxPending: 0, maxConnsPerHost: 4, maxConnections: 4, maxIdleConns: 4 } })
    try {
      const settled = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => get(pool, t.origin.url(`/${i}`))))
      const ok = settled.filter((r) => r.status === 'fulfilled')
      const refused = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as { code?: string }] : []))
      expect(ok).toHaveLength(4)
      expect(refused.map((e) => e.code)).toEqual(['ERR_POOL_EXHAUSTED', 'ERR_POOL_EXHAUSTED'])
      expect(pool.stats().hosts[host()]?.handshakes).toBe(4)
      // Idle connections serve without waiting.
      expect((await get(pool, t.origin.url('/'))).status).toBe(200)
    } finally {
      for (const ip of t.origin.ips) t.origin.setBehaviour(ip, undefined)
      await pool.close()
    }
  })
})
