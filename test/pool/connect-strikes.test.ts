/**
 * A refused connect is one strike, whatever the retries (README "Blame"): the pool's own retry of
 * a request's dial, and a second request sent while the backoff runs, meet the same outage. So a
 * restarting single-IP server is never locked out: once it listens again, the next request after
 * the backoff is served, and nothing is blacklisted on the way.
 */
import diagnostics from 'node:diagnostics_channel'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectEvent } from '../../src/pool/index.js'
import { RETRY_BASE_MS } from '../../src/pool/ip-states.js'
import { errorCode } from '../../src/util/error-code.js'
import { get, loopbackIps, startTestOrigin, testPool, type TestOrigin } from './helpers/fixtures.js'

describe('connect failures of a single-IP host', () => {
  let t: TestOrigin
  beforeAll(async () => {
    t = await startTestOrigin({ ips: loopbackIps(1) })
  })
  afterAll(async () => {
    await t.close()
  })

  it('one refused request is one strike (its retry dialed too); the restarted server serves the next request', async () => {
    const [ip] = t.origin.ips as [string]
    const host = `tiles.test:${t.origin.port}`
    const connects: ConnectEvent[] = []
    const onConnect = (m: unknown): void => void connects.push(m as ConnectEvent)
    diagnostics.subscribe('hotconn:pool:connect', onConnect)
    const pool = testPool(t, { pool: { warmConnsPerIp: 0 }, blacklist: { failureThreshold: 1 } })
    try {
      await t.origin.stopIp(ip)
      const first = await get(pool, t.origin.url('/tiles/1/0/0.png')).catch((e: unknown) => e)
      expect(errorCode(first)).toBe('ERR_CONNECT')
      // Two dials (the request's and the pool's one retry), both refused: one strike.
      expect(connects.filter((c) => c.error !== undefined)).toHaveLength(2)
      const ipStats = () => pool.stats().hosts[host]?.ips[0]
      expect(ipStats()?.connectBackoff?.failures).toBe(1)
      // A second request while the backoff runs meets the same outage: still one strike.
      const second = await get(pool, t.origin.url('/tiles/1/0/1.png')).catch((e: unknown) => e)
      expect(errorCode(second)).toBe('ERR_CONNECT')
      expect(ipStats()?.connectBackoff?.failures).toBe(1)
      expect(ipStats()?.state).toBe('active')
      // The server is back: after the backoff the next request is served, not refused as blacklisted.
      await t.origin.startIp(ip)
      await new Promise((r) => setTimeout(r, RETRY_BASE_MS + 50))
      expect(await get(pool, t.origin.url('/tiles/1/1/0.png'))).toEqual({ status: 200, ip })
      expect(ipStats()?.connectBackoff).toBeUndefined()
      expect(pool.stats().hosts[host]?.blacklisted).toEqual([])
    } finally {
      diagnostics.unsubscribe('hotconn:pool:connect', onConnect)
      await pool.close()
      await t.origin.startIp(ip)
    }
  })
})
