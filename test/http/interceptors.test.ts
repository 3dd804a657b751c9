/**
 * Every undici interceptor composes on the pool as it does on undici's own Agent, over HTTP/1.1
 * and HTTP/2: each scenario runs on four dispatchers (Agent h1, Agent h2, pool h1, pool h2) against
 * the same loopback origin, and the outcomes (status, body, error code, requests the server saw)
 * must be equal.
 */
import { gzipSync } from 'node:zlib'
import { fetch, interceptors, request, type Dispatcher } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHttpOrigin, type HttpOrigin } from '../helpers/http-origin.js'

const TEXT = 'tile bytes '.repeat(200)

let origin: HttpOrigin
beforeAll(async () => {
  origin = await startHttpOrigin((req, res, ctx) => {
    const url = new URL(req.url ?? '/', 'https://x')
    const path = url.pathname
    const send = (status: number, body: string | Buffer, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers })
      res.end(body)
    }
    if (path === '/flaky') return ctx.hits(req.url ?? '') <= 2 ? send(503, 'busy') : send(200, 'ok after 2')
    if (path === '/busy') return send(503, 'busy', { 'retry-after': '0' })
    if (path === '/to-path') return send(302, '', { location: `/target${url.search}` })
    if (path === '/to-host') return send(302, '', { location: `https://other.test:${origin.port}/target${url.search}` })
    if (path === '/target') return send(200, `target on ${req.headers[':authority'] ?? req.headers.host}`)
    if (path === '/gzip') return send(200, gzipSync(TEXT), { 'content-encoding': 'gzip', 'content-type': 'text/plain' })
    if (path === '/big') return send(200, Buffer.alloc(200_000, 0x61))
    if (path === '/missing') return send(404, 'no such tile', { 'content-type': 'text/plain' })
    if (path === '/cached')
      return send(200, `cached ${ctx.hits(req.url ?? '')}`, { 'cache-control': 'public, max-age=60' })
    send(200, 'hello')
  })
})
afterAll(async () => {
  await origin.close()
})

type Kind = 'agent h1' | 'agent h2' | 'pool h1' | 'pool h2'
const KINDS: Kind[] = ['agent h1', 'agent h2', 'pool h1', 'pool h2']

function dispatcher(kind: Kind): Dispatcher {
  const h2 = kind.endsWith('h2')
  return kind.startsWith('agent') ? origin.agent(h2) : origin.pool(h2)
}

interface Outcome {
  status?: number
  body?: string
  error?: string
  hits?: number
}

async function outcome(run: () => Promise<{ status: number; body: string }>, path?: string): Promise<Outcome> {
  try {
    const r = await run()
    return { ...r, ...(path !== undefined ? { hits: origin.hits.get(path) ?? 0 } : {}) }
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string } }
    return {
      error: e.code ?? e.cause?.code ?? String(err),
      ...(path !== undefined ? { hits: origin.hits.get(path) ?? 0 } : {}),
    }
  }
}

/** Runs `scenario` on every dispatcher kind; returns the outcomes by kind. */
async function onEvery(scenario: (d: Dispatcher, tag: string) => Promise<Outcome>): Promise<Record<Kind, Outcome>> {
  const out = {} as Record<Kind, Outcome>
  for (const kind of KINDS) out[kind] = await scenario(dispatcher(kind), kind.replace(' ', '-'))
  return out
}

function expectSame(results: Record<Kind, Outcome>, expected: Outcome): void {
  for (const kind of KINDS) expect({ kind, ...results[kind] }).toEqual({ kind, ...expected })
}

async function get(d: Dispatcher, path: string, extra: Partial<Dispatcher.RequestOptions> = {}) {
  const res = await request(origin.url(path), { dispatcher: d, ...extra })
  return { status: res.statusCode, body: await res.body.text() }
}

describe('undici interceptors on the pool, h1 and h2, as on undici.Agent', () => {
  it('retry: 503 twice then 200 resolves with 200 after 3 requests', async () => {
    const results = await onEvery((d, tag) => {
      const path = `/flaky?d=${tag}`
      const composed = d.compose(interceptors.retry({ statusCodes: [503], minTimeout: 5, maxRetries: 3 }))
      return outcome(() => get(composed, path), path)
    })
    expectSame(results, { status: 200, body: 'ok after 2', hits: 3 })
  })

  it('retry: always 503 rejects with UND_ERR_REQ_RETRY (request and fetch)', async () => {
    const results = await onEvery((d, tag) => {
      const path = `/busy?d=${tag}`
      const composed = d.compose(interceptors.retry({ statusCodes: [503], minTimeout: 5, maxRetries: 2 }))
      return outcome(() => get(composed, path), path)
    })
    expectSame(results, { error: 'UND_ERR_REQ_RETRY', hits: 3 })
    const viaFetch = await onEvery(async (d, tag) => {
      const composed = d.compose(interceptors.retry({ statusCodes: [503], minTimeout: 5, maxRetries: 1 }))
      return outcome(async () => {
        const res = await fetch(origin.url(`/busy?f=${tag}`), { dispatcher: composed })
        return { status: res.status, body: await res.text() }
      })
    })
    expectSame(viaFetch, { error: 'UND_ERR_REQ_RETRY' })
  })

  it('redirect: to another path and to another host', async () => {
    const toPath = await onEvery((d, tag) =>
      outcome(() => get(d.compose(interceptors.redirect({ maxRedirections: 2 })), `/to-path?d=${tag}`)),
    )
    expectSame(toPath, { status: 200, body: `target on ${origin.hostname}:${origin.port}` })
    const toHost = await onEvery((d, tag) =>
      outcome(() => get(d.compose(interceptors.redirect({ maxRedirections: 2 })), `/to-host?d=${tag}`)),
    )
    expectSame(toHost, { status: 200, body: `target on other.test:${origin.port}` })
  })

  it('decompress: a gzip body arrives decoded', async () => {
    const results = await onEvery((d) => outcome(() => get(d.compose(interceptors.decompress()), '/gzip')))
    expectSame(results, { status: 200, body: TEXT })
  })

  it('dump: the body is read and dropped, the connection stays usable', async () => {
    const results = await onEvery(async (d) => {
      const composed = d.compose(interceptors.dump({ maxSize: 1 << 20 }))
      const first = await outcome(() => get(composed, '/big'))
      const again = await outcome(() => get(d, '/'))
      return { ...first, body: `${first.body}|${again.body}` }
    })
    expectSame(results, { status: 200, body: '|hello' })
  })

  it('dump: a body over maxSize aborts the request (UND_ERR_ABORTED)', async () => {
    const results = await onEvery((d) => outcome(() => get(d.compose(interceptors.dump({ maxSize: 1000 })), '/big')))
    expectSame(results, { error: 'UND_ERR_ABORTED' })
  })

  it('responseError: a 404 rejects with UND_ERR_RESPONSE', async () => {
    const results = await onEvery((d) => outcome(() => get(d.compose(interceptors.responseError()), '/missing')))
    expectSame(results, { error: 'UND_ERR_RESPONSE' })
  })

  it('cache: the second request is served from the cache', async () => {
    const results = await onEvery(async (d, tag) => {
      const path = `/cached?d=${tag}`
      const composed = d.compose(interceptors.cache())
      const first = await outcome(() => get(composed, path))
      const second = await outcome(() => get(composed, path), path)
      return { ...second, body: `${first.body}|${second.body}` }
    })
    expectSame(results, { status: 200, body: 'cached 1|cached 1', hits: 1 })
  })
})
