/**
 * What the pool sends again on its own, on HTTP/1.1 and HTTP/2 against a real loopback origin
 * (Go's Transport rules, src/http/retry-policy.ts): a request whose idle connection died before any
 * response byte goes once more, on a fresh connection; a timed-out request never goes twice; a
 * non-idempotent one is not sent again.
 */
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHttpOrigin, type HttpOrigin } from '../helpers/http-origin.js'
import { loopbackIps } from '../pool/helpers/fixtures.js'

let origin: HttpOrigin
beforeAll(async () => {
  origin = await startHttpOrigin(
    (req, res, ctx) => {
      const path = new URL(req.url ?? '/', 'https://x').pathname
      // The keep-alive race: the server drops the connection as the request arrives (no response byte).
      if (path === '/dropped' && ctx.hits(req.url ?? '') === 1) return ctx.cut(res)
      if (path === '/stall') return
      res.writeHead(200, { 'content-length': '2' })
      res.end('ok')
    },
    { ips: loopbackIps(1) },
  )
})
afterAll(async () => {
  await origin.close()
})

describe.each([
  ['HTTP/1.1', false],
  ['HTTP/2', true],
])('%s', (_name, h2) => {
  /** A pool with the origin's one IP, one warm connection that has carried a request (the keep-alive race is possible on it). */
  async function warmPool() {
    const pool = origin.pool(h2, { pool: { warmConnsPerIp: 1 } })
    await pool.warmup(origin.url())
    await (await request(origin.url('/'), { dispatcher: pool })).body.text()
    return pool
  }

  it('a GET whose idle connection died before any response byte is sent again on a fresh connection', async () => {
    const pool = await warmPool()
    const before = origin.accepted
    const path = `/dropped?h2=${h2}`
    const res = await request(origin.url(path), { dispatcher: pool })
    expect(await res.body.text()).toBe('ok')
    expect(origin.hits.get(path)).toBe(2)
    expect(origin.accepted).toBe(before + 1) // the retry went to a new connection
    await pool.close()
  })

  it('a POST on the same failure is not sent again', async () => {
    const pool = await warmPool()
    const path = `/dropped?post=1&h2=${h2}`
    const err = await request(origin.url(path), { dispatcher: pool, method: 'POST', body: 'x' }).catch((e) => e)
    expect(err).toBeInstanceOf(Error)
    expect(typeof (err as { code?: unknown }).code).toBe('string')
    expect(origin.hits.get(path)).toBe(1)
    await pool.close()
  })

  it('a headers timeout on a reused connection ends at the deadline and is never sent twice', async () => {
    const pool = await warmPool()
    const path = `/stall?h2=${h2}`
    const started = performance.now()
    const err = await request(origin.url(path), { dispatcher: pool, headersTimeout: 400 }).catch((e) => e)
    const elapsed = performance.now() - started
    expect((err as { code?: string }).code).toBe('UND_ERR_HEADERS_TIMEOUT')
    expect(elapsed).toBeGreaterThanOrEqual(390)
    // undici's HTTP/1.1 parser times headers with its fast timers (1 s resolution); HTTP/2 with setTimeout.
    expect(elapsed).toBeLessThan(h2 ? 400 + 500 : 400 + 1000 + 300)
    expect(origin.hits.get(path)).toBe(1)
    await pool.close()
  })
})
