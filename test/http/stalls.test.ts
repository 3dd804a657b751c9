/**
 * Stalls end on time (issue 16, item 7): the pool's `headers_timeout` and `body_timeout` bound a
 * request that sets no deadline of its own (fetch without a signal included), a request's own
 * `headersTimeout`/`bodyTimeout` wins over them, a timed-out request reaches the server once, the
 * error has the same class and code on HTTP/1.1 and HTTP/2, and a TLS handshake that never
 * completes fails after one `connect_timeout`. Real loopback servers that go mute on purpose.
 *
 * Timer resolution: undici's HTTP/1.1 client times headers and body with its fast timers (1 s
 * resolution, ±0.5 s); HTTP/2 uses setTimeout. The bounds below allow that and the load of a
 * shared 2-core machine, no more.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { fetch, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HotConnPool } from '../../src/pool/index.js'
import { startHttpOrigin, type HttpOrigin } from '../helpers/http-origin.js'
import { loopbackIps } from '../pool/helpers/fixtures.js'

let origin: HttpOrigin
beforeAll(async () => {
  origin = await startHttpOrigin(
    (req, res) => {
      const path = new URL(req.url ?? '/', 'https://x').pathname
      if (path.startsWith('/mute')) return
      if (path.startsWith('/stall-body')) {
        res.writeHead(200, { 'content-length': '100000' })
        res.write('x'.repeat(1000))
        return
      }
      res.writeHead(200, { 'content-length': '2' })
      res.end('ok')
    },
    { ips: loopbackIps(1) },
  )
})
afterAll(async () => {
  await origin.close()
})

/** The code of a failure: its own, or (fetch wraps errors in a TypeError) its cause's. */
function codeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } }
  const code = typeof e.code === 'string' ? e.code : e.cause?.code
  return typeof code === 'string' ? code : undefined
}

/** Runs `fn`, which must fail; resolves with the failure and the time it took (ms). */
async function timedFailure(fn: () => Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const started = performance.now()
  try {
    await fn()
  } catch (err) {
    return { err, ms: performance.now() - started }
  }
  throw new Error('expected a failure')
}

/** Upper bound for a deadline of `ms` on a protocol (see the file comment). */
const late = (h2: boolean, ms: number): number => ms + (h2 ? 400 : 1000 + 400)

describe.each([
  ['HTTP/1.1', false],
  ['HTTP/2', true],
])('%s', (_name, h2) => {
  it("fetch without a signal to a mute server ends at the pool's headers_timeout, sent once", async () => {
    const pool = origin.pool(h2, { pool: { headersTimeoutMs: 600 } })
    const path = `/mute/fetch-${h2}`
    const { err, ms } = await timedFailure(() => fetch(origin.url(path), { dispatcher: pool }))
    expect(codeOf(err)).toBe('UND_ERR_HEADERS_TIMEOUT')
    expect((err as { cause?: Error }).cause?.message).toMatch(/600 ms/)
    expect(ms).toBeGreaterThanOrEqual(590)
    expect(ms).toBeLessThan(late(h2, 600))
    expect(origin.hits.get(path)).toBe(1)
  })

  it("a body that stops ends at the pool's body_timeout (fetch), sent once", async () => {
    const pool = origin.pool(h2, { pool: { bodyTimeoutMs: 600 } })
    const path = `/stall-body/fetch-${h2}`
    const res = await fetch(origin.url(path), { dispatcher: pool })
    expect(res.status).toBe(200)
    const { err, ms } = await timedFailure(() => res.arrayBuffer())
    expect(codeOf(err)).toBe('UND_ERR_BODY_TIMEOUT')
    expect(ms).toBeLessThan(late(h2, 600))
    expect(origin.hits.get(path)).toBe(1)
  })

  it("a request's own headersTimeout and bodyTimeout win over the pool's", async () => {
    const pool = origin.pool(h2, { pool: { headersTimeoutMs: 20_000, bodyTimeoutMs: 20_000 } })
    const mute = `/mute/request-${h2}`
    const head = await timedFailure(() => request(origin.url(mute), { dispatcher: pool, headersTimeout: 500 }))
    expect(codeOf(head.err)).toBe('UND_ERR_HEADERS_TIMEOUT')
    expect(head.ms).toBeGreaterThanOrEqual(490)
    expect(head.ms).toBeLessThan(late(h2, 500))
    expect(origin.hits.get(mute)).toBe(1)

    const stall = `/stall-body/request-${h2}`
    const res = await request(origin.url(stall), { dispatcher: pool, bodyTimeout: 500 })
    const body = await timedFailure(() => res.body.text())
    expect(codeOf(body.err)).toBe('UND_ERR_BODY_TIMEOUT')
    expect(body.ms).toBeLessThan(late(h2, 500))
    expect(origin.hits.get(stall)).toBe(1)
  })

  it('the default pool bounds a mute server well under undici’s 300 s', () => {
    const pool = origin.pool(h2)
    expect(pool.config.pool.headersTimeoutMs).toBe(30_000)
    expect(pool.config.pool.bodyTimeoutMs).toBe(30_000)
  })
})

describe('TLS handshake deadline', () => {
  let server: Server
  const sockets = new Set<Socket>()
  let accepted = 0
  beforeAll(async () => {
    // Accepts TCP and never answers the ClientHello.
    server = createServer((s) => {
      accepted++
      sockets.add(s)
      s.on('error', () => {})
      s.once('close', () => sockets.delete(s))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  })
  afterAll(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it.each([
    ['a request on a cold pool', 0],
    ['a request that waits for warm-up', 1],
  ])('%s fails after one connect_timeout, not two', async (_what, warm) => {
    const port = (server.address() as { port: number }).port
    const pool = new HotConnPool({
      resolver: {
        resolve: async () => ({ addresses: [{ address: '127.0.0.1', family: 4, ttlMs: 60_000 }], minTtlMs: 60_000 }),
      },
      pool: { connectTimeoutMs: 600, warmConnsPerIp: warm },
    })
    try {
      const before = accepted
      const warming = warm > 0 ? pool.warmup(`https://mute.test:${port}`).catch(() => {}) : undefined
      const { err, ms } = await timedFailure(() => request(`https://mute.test:${port}/`, { dispatcher: pool }))
      expect(codeOf(err)).toBe('ERR_TLS_HANDSHAKE_TIMEOUT')
      expect(ms).toBeGreaterThanOrEqual(550)
      expect(ms).toBeLessThan(600 + 450)
      await warming
      expect(accepted - before).toBeGreaterThanOrEqual(1)
    } finally {
      await pool.close()
    }
  })
})
