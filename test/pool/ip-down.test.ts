import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { get, startTestOrigin, testPool, waitFor, type TestOrigin } from './helpers/fixtures.js'

describe('an IP goes dark', () => {
  let t: TestOrigin
  beforeAll(async () => {
    t = await startTestOrigin()
  })
  afterAll(async () => {
    await t.close()
  })

  it('requests move to the other IPs and none is lost', async () => {
    const [a] = t.origin.ips as [string]
    const pool = testPool(t, { pool: { warmConnsPerIp: 2 }, blacklist: { failureThreshold: 2, ttlMs: 60_000 } })
    const host = `tiles.test:${t.origin.port}`
    await pool.warmup(t.origin.url())
    let failures = 0
    let done = 0
    let stop = false
    const errors: string[] = []
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 3000 && !stop; i++) {
        try {
          const r = await get(pool, t.origin.url(`/tiles/6/${i % 64}/3.png`))
          if (r.status !== 200) failures++
        } catch (err) {
          failures++
          errors.push(String(err))
        }
        done++
      }
    }
    const workers = Promise.all(Array.from({ length: 6 }, worker))
    await waitFor(() => done >= 150, 'traffic before the outage', 15_000)
    expect(t.origin.stats(a).requests).toBeGreaterThan(0)
    await t.origin.stopIp(a)
    const aRequests = t.origin.stats(a).requests
    const mark = done
    await waitFor(() => done >= mark + 400, 'traffic after the outage', 15_000)
    stop = true
    await workers
    expect({ failures, errors: errors.slice(0, 3) }).toEqual({ failures: 0, errors: [] })
    expect(t.origin.stats(a).requests).toBe(aRequests)
    // Connections to A were refused: A is struck out and blacklisted, or at least holds nothing
    // (the pool re-dials A in the background with a backoff, so a refused dial may be under way).
    const ipAOf = () => pool.stats().hosts[host]?.ips.find((i) => i.ip === a)
    await waitFor(() => ipAOf()?.connections === 0, 'no connection to A', 1000)
    const ipA = ipAOf()
    expect(ipA?.connections).toBe(0)
    expect(ipA?.state === 'blacklisted' || (ipA?.failures ?? 0) > 0).toBe(true)
    await pool.close()
    await t.origin.startIp(a)
  })
})
