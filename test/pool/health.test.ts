import diagnostics from 'node:diagnostics_channel'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HealthEvent } from '../../src/pool/index.js'
import { startTestOrigin, testPool, waitFor, type TestOrigin } from './helpers/fixtures.js'

describe('HealthChecker', () => {
  let t: TestOrigin
  const events: HealthEvent[] = []
  const onEvent = (m: unknown): void => {
    events.push(m as HealthEvent)
  }
  beforeAll(async () => {
    t = await startTestOrigin()
    diagnostics.subscribe('hotconn:pool:health', onEvent)
  })
  afterAll(async () => {
    diagnostics.unsubscribe('hotconn:pool:health', onEvent)
    await t.close()
  })

  it('checks idle connections with the configured request; a failure closes the connection and strikes the IP', async () => {
    events.length = 0
    const [a] = t.origin.ips as [string]
    const pool = testPool(t, {
      pool: { warmConnsPerIp: 2, healthCheckIntervalMs: 40 },
      health: { path: '/', method: 'HEAD', expect: ['2xx'] },
      blacklist: { failureThreshold: 2, ttlMs: 60_000 },
    })
    const host = `tiles.test:${t.origin.port}`
    await pool.warmup(t.origin.url())
    const requestsBefore = t.origin.totals().requests
    await waitFor(() => events.filter((e) => e.kind === 'check').length >= 6, 'a round of health checks')
    expect(events.every((e) => e.ok)).toBe(true)
    expect(t.origin.totals().requests).toBeGreaterThan(requestsBefore)
    // Health checks keep connections: nothing was reopened.
    expect(pool.stats().hosts[host]?.handshakes).toBe(6)
    expect(pool.stats().hosts[host]?.connections).toBe(6) // idle, or in a health check right now

    t.origin.setBehaviour(a, { status: 500 })
    await waitFor(
      () => pool.stats().hosts[host]?.ips.find((i) => i.ip === a)?.state === 'blacklisted',
      'A struck out by health checks',
    )
    expect(events.some((e) => e.ip === a && !e.ok && e.statusCode === 500)).toBe(true)
    await waitFor(() => pool.stats().hosts[host]?.ips.find((i) => i.ip === a)?.connections === 0, 'A closed')
    expect(pool.stats().hosts[host]?.blacklisted[0]?.reason).toMatch(/health check failed: 500/)
    t.origin.setBehaviour(a, undefined)
    await pool.close()
  })
})
