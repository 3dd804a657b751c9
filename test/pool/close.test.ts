import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HotConnPool, PoolClosedError } from '../../src/pool/index.js'
import { get, startTestOrigin, testPool, waitFor, type TestOrigin } from './helpers/fixtures.js'

function handles(): Map<string, number> {
  const m = new Map<string, number>()
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1)
  return m
}

describe('close()', () => {
  let t: TestOrigin
  beforeAll(async () => {
    t = await startTestOrigin()
  })
  afterAll(async () => {
    await t.close()
  })

  it('leaves no open handle: loops stopped, every socket closed with close_notify', async () => {
    await new Promise((r) => setImmediate(r))
    const before = handles()
    const pool = testPool(t, {
      pool: { warmConnsPerIp: 2, cleanupIntervalMs: 20, healthCheckIntervalMs: 20 },
      dns: { refreshIntervalMs: 50 },
      dnsMinRefreshMs: 20,
    })
    await pool.warmup(t.origin.url())
    for (let i = 0; i < 20; i++) expect((await get(pool, t.origin.url('/'))).status).toBe(200)
    await new Promise((r) => setTimeout(r, 60)) // let every loop run at least once
    expect(t.tracker.openTotal).toBe(6)
    await pool.close()
    expect(pool.stats().connections).toBe(0)
    // The server saw every connection end (close_notify + FIN from our side).
    await waitFor(() => t.tracker.openTotal === 0, 'server-side sockets to close')
    await new Promise((r) => setImmediate(r))
    // Nothing the pool created is left (other parts of the runner may have finished timers meanwhile).
    const extra = [...handles()].filter(([k, n]) => n > (before.get(k) ?? 0))
    expect(extra).toEqual([])
    // Closing twice is harmless; new work is refused.
    await pool.close()
    await expect(get(pool, t.origin.url('/'))).rejects.toThrow(PoolClosedError)
    await expect(pool.warmup(t.origin.url())).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' })
  })

  it('rejects waiting requests with ERR_POOL_CLOSED and lets in-flight ones finish', async () => {
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, { delayMs: 150 })
    const pool = testPool(t, { pool: { maxConnsPerHost: 1, maxConnections: 1, maxIdleConns: 1 } })
    await pool.warmup(t.origin.url())
    const inFlight = get(pool, t.origin.url('/'))
    const waiting = get(pool, t.origin.url('/'))
    await waitFor(() => pool.stats().pending === 1, 'a waiting request')
    const closed = pool.close()
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' })
    expect((await inFlight).status).toBe(200)
    await closed
    expect(pool.stats().connections).toBe(0)
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, undefined)
  })

  it('destroy() ends everything at once', async () => {
    const pool = testPool(t)
    await pool.warmup(t.origin.url())
    await pool.destroy()
    expect(pool.destroyed).toBe(true)
    expect(pool.stats().connections).toBe(0)
  })

  it('destroy(err) fails every request in flight with err: the running ones and the waiting ones', async () => {
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, { delayMs: 300 })
    const pool = testPool(t, { pool: { maxConnsPerHost: 2, maxConnections: 2, maxIdleConns: 2 } })
    try {
      await pool.warmup(t.origin.url())
      const requests = Array.from({ length: 5 }, () => get(pool, t.origin.url('/')))
      await waitFor(() => pool.stats().pending === 3, 'three waiting requests')
      const outcomes = Promise.allSettled(requests)
      const reason = new PoolClosedError('the crawl was stopped')
      await pool.destroy(reason)
      const settled = await outcomes
      expect(settled.map((r) => r.status)).toEqual(Array(5).fill('rejected'))
      for (const r of settled) expect((r as PromiseRejectedResult).reason).toBe(reason)
      expect(pool.stats().connections).toBe(0)
    } finally {
      for (const ip of t.origin.ips) t.origin.setBehaviour(ip, undefined)
    }
  })

  it('validates options up front with precise errors', () => {
    expect(() => new HotConnPool({ pool: { maxConnsPerHost: 0 } })).toThrow(/max_conns_per_host/)
    expect(() => new HotConnPool({ pool: { maxIdleConns: 200 } })).toThrow(/max_idle_conns/)
    expect(() => new HotConnPool({ connector: 42 as never })).toThrow(/connector must be a function/)
    expect(() => new HotConnPool({ resolver: {} as never })).toThrow(/resolver must be an object/)
    expect(() => new HotConnPool({ maxRetries: -1 })).toThrow(/maxRetries/)
    // @ts-expect-error the option types are closed; JavaScript callers get the runtime check
    expect(() => new HotConnPool({ bogus: 1 })).toThrow(/bogus/)
  })
})
