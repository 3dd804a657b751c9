import diagnostics from 'node:diagnostics_channel'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CloseEvent } from '../../src/pool/index.js'
import { get, startTestOrigin, testPool, waitFor, type TestOrigin } from './helpers/fixtures.js'

describe('housekeeping', () => {
  let t: TestOrigin
  const closes: CloseEvent[] = []
  const onClose = (m: unknown): void => {
    closes.push(m as CloseEvent)
  }
  beforeAll(async () => {
    t = await startTestOrigin()
    diagnostics.subscribe('hotconn:pool:close', onClose)
  })
  afterAll(async () => {
    diagnostics.unsubscribe('hotconn:pool:close', onClose)
    await t.close()
  })
  const host = (): string => `tiles.test:${t.origin.port}`

  it('closes idle connections past idle_timeout', async () => {
    closes.length = 0
    const pool = testPool(t, { pool: { idleTimeoutMs: 150, cleanupIntervalMs: 40 } })
    await pool.warmup(t.origin.url())
    expect(pool.stats().hosts[host()]?.idle).toBe(3)
    await waitFor(() => pool.stats().connections === 0, 'idle connections to time out')
    expect(closes.filter((c) => c.reason === 'idle_timeout').length).toBe(3)
    await waitFor(() => t.tracker.openTotal === 0, 'server to see the closes')
    await pool.close()
  })

  it('retires connections past max_lifetime, in use or idle', async () => {
    closes.length = 0
    const pool = testPool(t, { pool: { maxLifetimeMs: 200, cleanupIntervalMs: 40, idleTimeoutMs: 60_000 } })
    await pool.warmup(t.origin.url())
    const first = await get(pool, t.origin.url('/'))
    expect(first.status).toBe(200)
    await waitFor(() => closes.filter((c) => c.reason === 'max_lifetime').length >= 3, 'lifetime retirement')
    // New requests get new connections.
    expect((await get(pool, t.origin.url('/'))).status).toBe(200)
    expect(pool.stats().hosts[host()]?.handshakes).toBeGreaterThan(3)
    await pool.close()
  })

  it('trims to max_idle_conns idle per host, oldest idle first', async () => {
    closes.length = 0
    const pool = testPool(t, { pool: { warmConnsPerIp: 3, maxIdleConns: 4, cleanupIntervalMs: 60_000 } })
    await pool.warmup(t.origin.url())
    expect(pool.stats().hosts[host()]?.idle).toBe(9)
    // Touch one connection so it is the newest idle; trimming must keep it.
    await get(pool, t.origin.url('/'))
    const used = pool.stats().hosts[host()]?.ips.find((i) => i.requests === 1)?.ip
    pool.housekeep()
    expect(pool.stats().hosts[host()]?.idle).toBe(4)
    expect(closes.filter((c) => c.reason === 'trim').length).toBe(5)
    expect(closes.some((c) => c.reason === 'trim' && c.requests > 0)).toBe(false)
    expect(pool.stats().hosts[host()]?.ips.find((i) => i.ip === used)?.idle).toBeGreaterThan(0)
    await pool.close()
  })
})
