import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { get, startTestOrigin, testPool, type TestOrigin } from '../pool/helpers/fixtures.js'

describe('keep-alive race', () => {
  let t: TestOrigin
  beforeAll(async () => {
    t = await startTestOrigin({ faults: { closeAfterResponseProbability: 0.1 } })
  })
  afterAll(async () => {
    await t.close()
  })

  it('a server closing idle keep-alive connections at random: 0 failed GETs out of 2000', async () => {
    const pool = testPool(t, { pool: { maxConnsPerHost: 12, maxConnections: 12, maxIdleConns: 12, warmConnsPerIp: 2 } })
    await pool.warmup(t.origin.url())
    let failures = 0
    let sent = 0
    const errors: string[] = []
    // Also close whatever is idle on the server side now and then.
    let k = 0
    const closer = setInterval(() => t.origin.closeIdleConnections(t.origin.ips[k++ % t.origin.ips.length]), 50)
    const worker = async (): Promise<void> => {
      while (sent < 2000) {
        const i = sent++
        try {
          const r = await get(pool, t.origin.url(`/tiles/11/${i}/7.png`))
          if (r.status !== 200) failures++
        } catch (err) {
          failures++
          errors.push(String(err))
        }
      }
    }
    await Promise.all(Array.from({ length: 8 }, worker))
    clearInterval(closer)
    expect({ failures, first: errors.slice(0, 3) }).toEqual({ failures: 0, first: [] })
    expect(failures).toBe(0)
    expect(sent).toBe(2000)
    expect(t.origin.totals().requests).toBeGreaterThanOrEqual(2000)
    // The server really did close connections under the pool.
    expect(pool.stats().hosts[`tiles.test:${t.origin.port}`]?.handshakes).toBeGreaterThan(50)
    await pool.close()
  }, 120_000)
})
