/**
 * The Dispatcher contract of the pool, over HTTP/1.1 and HTTP/2 against a real loopback origin:
 * a handler that throws in any callback ends its request through onResponseError (never an
 * uncaught exception, never a request that does not settle, and the pool goes on serving);
 * back-pressure (dispatch() returns false, then 'drain'); the 'connect', 'disconnect' and
 * 'connectionError' events; the per-request event carries the same facts on both protocols.
 */
import diagnostics from 'node:diagnostics_channel'
import { request, type Dispatcher } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HotConnPool, type RequestEvent } from '../../src/pool/index.js'
import { startHttpOrigin, type HttpOrigin } from '../helpers/http-origin.js'
import { loopbackIps } from '../pool/helpers/fixtures.js'

let origin: HttpOrigin
beforeAll(async () => {
  origin = await startHttpOrigin((req, res) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname
    const delay = path === '/slow' ? 150 : 0
    setTimeout(() => {
      const body = Buffer.alloc(path === '/big' ? 100_000 : 5, 0x61)
      res.writeHead(200, { 'content-length': String(body.length), 'x-path': path })
      res.end(body)
    }, delay)
  })
})
afterAll(async () => {
  await origin.close()
})

type Callback = 'onRequestStart' | 'onResponseStart' | 'onResponseData' | 'onResponseEnd'

/** Dispatches GET `path` with a handler throwing `boom` in `throwIn`; resolves with what the handler saw. */
function dispatchThrowing(pool: Dispatcher, path: string, throwIn: Callback): Promise<string[]> {
  const boom = new Error(`boom in ${throwIn}`)
  const seen: string[] = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`request did not settle; saw ${seen.join(',')}`)), 5000)
    const maybeThrow = (name: Callback): void => {
      seen.push(name)
      if (name === throwIn) throw boom
    }
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: () => maybeThrow('onRequestStart'),
      onResponseStart: () => maybeThrow('onResponseStart'),
      onResponseData: () => maybeThrow('onResponseData'),
      onResponseEnd: () => {
        maybeThrow('onResponseEnd')
        clearTimeout(timer)
        resolve(seen)
      },
      onResponseError: (_c, err) => {
        seen.push(`error: ${err.message}`)
        clearTimeout(timer)
        // Anything after the error would break the contract; give it a moment to show.
        setTimeout(() => resolve(seen), 50)
      },
    }
    pool.dispatch({ origin: origin.url(), path, method: 'GET' }, handler)
  })
}

describe.each([
  ['HTTP/1.1', false],
  ['HTTP/2', true],
])('%s', (_name, h2) => {
  it('a handler that throws in each callback ends that request through onResponseError', async () => {
    const pool = origin.pool(h2)
    for (const at of ['onRequestStart', 'onResponseStart', 'onResponseData', 'onResponseEnd'] as Callback[]) {
      const seen = await dispatchThrowing(pool, '/big', at)
      expect(seen.at(-1)).toBe(`error: boom in ${at}`)
      expect(seen.filter((s) => s.startsWith('error')).length).toBe(1)
      expect(seen.slice(0, seen.indexOf(at) + 1).at(-1)).toBe(at)
      // The pool goes on serving.
      const res = await request(origin.url('/'), { dispatcher: pool })
      expect(await res.body.text()).toBe('aaaaa')
    }
    // A handler that throws from onResponseError as well has nobody to tell: nothing crashes.
    await new Promise<void>((resolve) => {
      pool.dispatch(
        { origin: origin.url(), path: '/', method: 'GET' },
        {
          onRequestStart: () => {},
          onResponseStart: () => {
            throw new Error('first')
          },
          onResponseError: () => {
            setTimeout(resolve, 20)
            throw new Error('second')
          },
        },
      )
    })
    await pool.close()
  })

  it("dispatch() returns false when the request must wait for a connection, then 'drain'", async () => {
    const pool = origin.pool(h2, {
      pool: { maxConnsPerHost: 1, maxConnections: 1, maxIdleConns: 1, warmConnsPerIp: 1 },
      http2: { maxConcurrentStreams: 1 },
    })
    await pool.warmup(origin.url())
    const drains: URL[] = []
    pool.on('drain', (o) => drains.push(o))
    const done: Array<Promise<void>> = []
    const answers: boolean[] = []
    for (let i = 0; i < 3; i++) {
      done.push(
        new Promise<void>((resolve, reject) => {
          answers.push(
            pool.dispatch(
              { origin: origin.url(), path: '/slow', method: 'GET' },
              { onRequestStart() {}, onResponseEnd: () => resolve(), onResponseError: (_c, e) => reject(e) },
            ),
          )
        }),
      )
    }
    expect(answers).toEqual([true, false, false])
    await Promise.all(done)
    expect(drains.map((u) => u.origin)).toEqual([new URL(origin.url()).origin])
    // Free again: the next request is taken at once.
    expect(
      pool.dispatch({ origin: origin.url(), path: '/', method: 'GET' }, { onRequestStart() {}, onResponseError() {} }),
    ).toBe(true)
    await pool.close()
  })

  it("emits 'connect', 'disconnect' and 'connectionError' as undici's Pool does", async () => {
    const [dead] = loopbackIps(1) as [string]
    const pool = new HotConnPool({
      ca: origin.caPem,
      http2: { enabled: h2 },
      pool: { warmConnsPerIp: 1 },
      resolver: {
        resolve: async () => ({
          addresses: [...origin.ips, dead].map((address) => ({ address, family: 4 as const, ttlMs: 60_000 })),
          minTtlMs: 60_000,
        }),
      },
    })
    const events: string[] = []
    pool.on('connect', (o, targets) => events.push(`connect ${o.origin} ${targets[0] === pool}`))
    pool.on('disconnect', (_o, _t, err) => events.push(`disconnect ${(err as { code?: string }).code}`))
    pool.on('connectionError', (_o, _t, err) => events.push(`connectionError ${(err as { code?: string }).code}`))
    await pool.warmup(origin.url())
    await pool.close()
    const o = new URL(origin.url()).origin
    expect(events.filter((e) => e.startsWith('connect ')).sort()).toEqual(origin.ips.map(() => `connect ${o} true`))
    expect(events.filter((e) => e.startsWith('connectionError'))).toEqual(['connectionError ERR_CONNECT'])
    expect(events.filter((e) => e.startsWith('disconnect'))).toEqual(origin.ips.map(() => 'disconnect UND_ERR_SOCKET'))
  })

  it('publishes the connection facts of every request (IP, ALPN, TLS, reuse) on hotconn:pool:request', async () => {
    const pool = origin.pool(h2, { pool: { warmConnsPerIp: 1 } })
    await pool.warmup(origin.url())
    const events: RequestEvent[] = []
    const onRequest = (m: unknown): void => {
      events.push(m as RequestEvent)
    }
    diagnostics.subscribe('hotconn:pool:request', onRequest)
    try {
      for (let i = 0; i < 2; i++) await (await request(origin.url('/'), { dispatcher: pool })).body.text()
    } finally {
      diagnostics.unsubscribe('hotconn:pool:request', onRequest)
    }
    expect(events.length).toBe(2)
    for (const e of events) {
      expect(h2 ? origin.ips : origin.h1Ips).toContain(e.ip)
      expect(e.protocol).toBe(h2 ? 'h2' : 'http/1.1')
      expect(e.tls?.alpn).toBe(h2 ? 'h2' : 'http/1.1')
      expect(e.tls?.version).toBe('TLSv1.3')
      expect(e.tls?.cipherSuite).toMatch(/^TLS_/)
      expect(e.tls?.group).toBeTruthy()
      expect(e.statusCode).toBe(200)
    }
    await pool.close()
  })
})
