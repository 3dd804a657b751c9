import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { get, startTestOrigin, testPool, waitFor, type TestOrigin } from './helpers/fixtures.js'

describe('DNS refresh', () => {
  let t: TestOrigin
  beforeAll(async () => {
    t = await startTestOrigin({ ttl: 0 })
  })
  afterAll(async () => {
    await t.close()
  })

  it('answer {A, B} -> {B, C} mid-run: C is warmed and used, A drained, no request fails', async () => {
    const [a, b, c] = t.origin.ips as [string, string, string]
    const dns = t.origin.dns
    if (dns === undefined) throw new Error('no DNS server')
    dns.setRecords(t.origin.hostname, { A: [a, b], ttl: 0 })
    const pool = testPool(t, {
      dns: { refreshIntervalMs: 100 },
      pool: { cleanupIntervalMs: 40 },
      dnsMinRefreshMs: 50,
      drainGraceMs: 150,
    })
    const host = `tiles.test:${t.origin.port}`
    await pool.warmup(t.origin.url())
    expect(t.origin.stats(c).connections).toBe(0)

    let failures = 0
    let done = 0
    let stop = false
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 2000 && !stop; i++) {
        try {
          const r = await get(pool, t.origin.url(`/tiles/5/${i % 32}/1.png`))
          if (r.status !== 200) failures++
        } catch {
          failures++
        }
        done++
      }
    }
    const workers = Promise.all([worker(), worker(), worker(), worker()])
    await waitFor(() => done >= 100, 'traffic before the change')
    expect(t.origin.stats(a).requests).toBeGreaterThan(0)
    dns.setRecords(t.origin.hostname, { A: [b, c], ttl: 0 })
    await waitFor(() => pool.stats().hosts[host]?.ips.some((i) => i.ip === c) === true, 'C to appear')
    await waitFor(() => t.origin.stats(c).tlsSessions >= 1 && t.origin.stats(c).requests > 10, 'C warmed and used')
    // A takes no new request once drained, and its connections close after the grace period.
    await waitFor(() => (pool.stats().hosts[host]?.ips.find((i) => i.ip === a)?.connections ?? 0) === 0, 'A drained')
    const aRequests = t.origin.stats(a).requests
    const before = done
    await waitFor(() => done >= before + 200, 'more traffic after the drain')
    stop = true
    await workers
    expect(t.origin.stats(a).requests).toBe(aRequests)
    expect(t.origin.stats(a).open).toBe(0)
    expect(failures).toBe(0)
    const ips = pool
      .stats()
      .hosts[host]?.ips.map((i) => i.ip)
      .sort()
    expect(ips).toEqual([b, c].sort())
    await pool.close()
  })
})
