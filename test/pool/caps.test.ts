import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestOrigin, testPool, get, type TestOrigin } from './helpers/fixtures.js'

describe('warm-up and caps', () => {
  let t: TestOrigin
  beforeAll(async () => {
    t = await startTestOrigin()
  })
  afterAll(async () => {
    await t.close()
  })

  it('warm-up opens exactly warm_conns_per_ip connections per IP, even when called concurrently', async () => {
    t.origin.resetStats()
    const pool = testPool(t, { pool: { warmConnsPerIp: 2 } })
    const results = await Promise.all([
      pool.warmup(t.origin.url()),
      pool.warmup(t.origin.url()),
      pool.warmup(t.origin.url()),
    ])
    const opened = results.flatMap((r) => r.ips).reduce((n, i) => n + i.opened, 0)
    expect(opened).toBe(2 * t.origin.ips.length)
    for (const ip of t.origin.ips) expect(t.origin.stats(ip).connections).toBe(2)
    await pool.warmup(t.origin.url())
    for (const ip of t.origin.ips) expect(t.origin.stats(ip).connections).toBe(2)
    const s = pool.stats().hosts[`tiles.test:${t.origin.port}`]
    expect(s?.idle).toBe(2 * t.origin.ips.length)
    expect(s?.handshakes).toBe(2 * t.origin.ips.length)
    await pool.close()
  })

  it('500 concurrent requests never exceed max_conns_per_ip, max_conns_per_host or max_connections (server side)', async () => {
    const tracker = t.tracker
    tracker.maxOpen.clear()
    tracker.maxOpenTotal = tracker.openTotal
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, { delayMs: 2 })
    const pool = testPool(t, {
      pool: { maxConnsPerIp: 3, maxConnsPerHost: 8, maxConnections: 8, maxIdleConns: 8, maxPending: 1000 },
    })
    await pool.warmup(t.origin.url())
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) => get(pool, t.origin.url(`/tiles/9/${i}/1.png`))),
    )
    expect(results.every((r) => r.status === 200)).toBe(true)
    for (const ip of t.origin.ips) {
      expect(tracker.maxOpen.get(ip) ?? 0).toBeLessThanOrEqual(3)
      expect(tracker.maxOpen.get(ip) ?? 0).toBeGreaterThan(0)
    }
    expect(tracker.maxOpenTotal).toBeLessThanOrEqual(8)
    const s = pool.stats().hosts[`tiles.test:${t.origin.port}`]
    expect(s?.requests).toBe(500)
    expect(s?.reuseRate).toBeGreaterThan(0.9)
    expect(s?.p50Ms).toBeGreaterThan(0)
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, undefined)
    await pool.close()
  })

  it('requests past max_pending fail at once with ERR_POOL_EXHAUSTED', async () => {
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, { delayMs: 150 })
    const pool = testPool(t, {
      pool: { maxConnsPerHost: 1, maxConnections: 1, maxPending: 2, warmConnsPerIp: 1, maxIdleConns: 1 },
    })
    await pool.warmup(t.origin.url())
    const settled = await Promise.allSettled(Array.from({ length: 5 }, () => get(pool, t.origin.url('/'))))
    const ok = settled.filter((r) => r.status === 'fulfilled')
    const failed = settled.flatMap((r) =>
      r.status === 'rejected' ? [r.reason as { code?: string; reason?: string }] : [],
    )
    expect(ok.length).toBe(3)
    expect(failed.map((e) => e.code)).toEqual(['ERR_POOL_EXHAUSTED', 'ERR_POOL_EXHAUSTED'])
    expect(failed[0]?.reason).toBe('queue_full')
    await pool.close()
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, undefined)
  })

  it('a request waiting past pending_timeout fails with ERR_POOL_EXHAUSTED', async () => {
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, { delayMs: 400 })
    const pool = testPool(t, {
      pool: { maxConnsPerHost: 1, maxConnections: 1, maxIdleConns: 1, pendingTimeoutMs: 100 },
    })
    const [first, second] = await Promise.allSettled([get(pool, t.origin.url('/')), get(pool, t.origin.url('/'))])
    expect(first.status).toBe('fulfilled')
    expect(second.status).toBe('rejected')
    const err = (second as PromiseRejectedResult).reason as Error & { code: string; reason: string }
    expect(err.code).toBe('ERR_POOL_EXHAUSTED')
    expect(err.reason).toBe('timeout')
    expect(err.message).toMatch(/pending_timeout/)
    await pool.close()
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, undefined)
  })
})
