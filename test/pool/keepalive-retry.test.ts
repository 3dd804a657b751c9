/**
 * The keep-alive-race retry cannot meet the race again (issue 16, item 7): the server silently
 * closes 10 % of its connections once their response is sent, so a reused connection may be
 * closing while a request is written; the retry goes to a connection opened after the failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { get, startTestOrigin, testPool, type TestOrigin } from './helpers/fixtures.js'

/**
 * 20,000 GETs per run in CI (about 20-40 s a run on an idle 2-core machine: every tenth request
 * costs a full handshake); 2,000 in a local `npm test` unless HOTCONN_RACE_GETS says otherwise.
 */
const GETS = Number(process.env['HOTCONN_RACE_GETS'] ?? (process.env['CI'] ? 20_000 : 2_000))
const CONCURRENCY = 32
const RUNS = 3

describe('keep-alive race, at scale', () => {
  let t: TestOrigin
  beforeAll(async () => {
    t = await startTestOrigin({ faults: { closeAfterResponseProbability: 0.1 } })
  })
  afterAll(async () => {
    await t.close()
  })

  it(`${GETS} GETs at concurrency ${CONCURRENCY} over 3 IPs, 10 % silent closes: 0 lost, ${RUNS} times`, async () => {
    for (let run = 0; run < RUNS; run++) {
      const pool = testPool(t, {
        pool: { maxConnsPerHost: 40, maxConnections: 40, maxIdleConns: 40, warmConnsPerIp: 4 },
      })
      await pool.warmup(t.origin.url())
      const before = t.origin.totals().requests
      let sent = 0
      const errors: string[] = []
      const worker = async (): Promise<void> => {
        while (sent < GETS) {
          const i = sent++
          try {
            const r = await get(pool, t.origin.url(`/tiles/11/${i % 2048}/7.png`))
            if (r.status !== 200) errors.push(`HTTP ${r.status}`)
          } catch (err) {
            errors.push(String(err))
          }
        }
      }
      const started = performance.now()
      await Promise.all(Array.from({ length: CONCURRENCY }, worker))
      const ms = performance.now() - started
      const stats = pool.stats().hosts[`tiles.test:${t.origin.port}`]
      await pool.close()
      console.log(`run ${run + 1}: ${GETS} GETs in ${Math.round(ms)} ms, ${stats?.handshakes} handshakes`)
      expect({ run, lost: errors.length, first: errors.slice(0, 3) }).toEqual({ run, lost: 0, first: [] })
      expect(t.origin.totals().requests - before).toBeGreaterThanOrEqual(GETS)
      // The server really closed connections under the pool.
      expect(stats?.handshakes).toBeGreaterThan(GETS / 100)
    }
  }, 900_000)
})
