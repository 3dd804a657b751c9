/**
 * HotConnHttpClient (Crawlee's BaseHttpClient) against a real HTTPS origin on loopback (HTTP/2 and
 * HTTP/1.1): sendRequest and stream, bodies, redirects with a tough-cookie jar, the deadline,
 * proxies (a Node CONNECT proxy here; squid in test/interop/crawlee.test.ts) and the header
 * generator options, which choose the identity and never put their own headers on the wire.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import type { HttpRequest } from '@crawlee/core'
import { CookieJar } from 'tough-cookie'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HotConnHttpClient } from '../../src/crawlee/index.js'
import type { HotConnPool } from '../../src/pool/index.js'
import { errorCode } from '../../src/util/error-code.js'
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy.js'
import { startHttpOrigin, type HttpOrigin } from '../helpers/http-origin.js'

/** What the origin saw of each request, by path. */
const seen = new Map<string, { method: string; headers: IncomingHttpHeaders; body: string }>()

let origin: HttpOrigin
let proxy: ConnectProxy
let refusedPort: number

beforeAll(async () => {
  origin = await startHttpOrigin((req, res, ctx) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://x')
      const body = Buffer.concat(chunks).toString()
      seen.set(url.pathname, { method: req.method ?? '', headers: req.headers, body })
      const cookie = req.headers.cookie ?? ''
      const html = { 'content-type': 'text/html; charset=utf-8' }
      switch (url.pathname) {
        case '/page':
          return res.writeHead(200, html).end('<html><body><a href="/next">next</a></body></html>')
        case '/echo':
          return res
            .writeHead(201, { 'content-type': 'application/json' })
            .end(JSON.stringify({ method: req.method, body, type: req.headers['content-type'] ?? null }))
        case '/login':
          return res.writeHead(302, { location: '/home', 'set-cookie': 'sid=abc123; Path=/; Secure; HttpOnly' }).end()
        case '/home':
          return cookie.includes('sid=abc123')
            ? res.writeHead(200, html).end(`welcome ${cookie}`)
            : res.writeHead(403, html).end('no cookie')
        case '/post-redirect':
          return res.writeHead(303, { location: '/echo' }).end()
        case '/keep-post':
          return res.writeHead(307, { location: '/echo' }).end()
        case '/to-other':
          return res.writeHead(302, { location: `https://other.test:${origin.port}/landing` }).end()
        case '/landing':
          return res.writeHead(200, html).end(`landing cookie=${cookie} auth=${req.headers.authorization ?? ''}`)
        case '/loop':
          return res.writeHead(302, { location: `/loop?n=${ctx.hits('/loop')}` }).end()
        case '/stall-headers':
          return // never answers
        case '/stall-body':
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' })
          return res.write('x'.repeat(100))
        case '/not-json':
          return res.writeHead(200, { 'content-type': 'application/json' }).end('<html>')
        case '/gone':
          return res.writeHead(410, html).end('gone')
        default:
          return res.writeHead(404).end()
      }
    })
  })
  proxy = await startConnectProxy({})
  const dead = await startConnectProxy({})
  refusedPort = dead.port
  await dead.close()
})

afterAll(async () => {
  await proxy?.close()
  await origin?.close()
})

function client(h2: boolean, options: Partial<ConstructorParameters<typeof HotConnHttpClient>[0]> = {}) {
  return new HotConnHttpClient({ pool: origin.pool(h2), ...options })
}

async function failure(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p
  } catch (err) {
    return err as Error & { code?: string }
  }
  throw new Error('expected a rejection')
}

describe.each([true, false])('HotConnHttpClient (h2 %s)', (h2) => {
  it('sendRequest GET: the status, headers and body, with the identity headers of a navigation', async () => {
    const c = client(h2)
    const res = await c.sendRequest({ url: origin.url('/page') })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.body).toContain('href="/next"')
    expect(res.url).toBe(origin.url('/page'))
    expect(res.redirectUrls).toEqual([])
    expect(res.complete).toBe(true)
    const got = seen.get('/page')!
    expect(got.headers['user-agent']).toMatch(/Chrome\/156\.0\.0\.0/)
    expect(got.headers['sec-fetch-dest']).toBe('document')
    expect(got.headers['sec-fetch-mode']).toBe('navigate')
  })

  it('sendRequest POST: string and Buffer bodies, caller headers, json and buffer response types', async () => {
    const c = client(h2)
    const text = await c.sendRequest({
      url: origin.url('/echo'),
      method: 'POST',
      body: 'a=1&b=2',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-crawl': 'yes' },
      responseType: 'json',
    })
    expect(text.statusCode).toBe(201)
    expect(text.body).toEqual({ method: 'POST', body: 'a=1&b=2', type: 'application/x-www-form-urlencoded' })
    expect(seen.get('/echo')!.headers['x-crawl']).toBe('yes')
    const bytes = await c.sendRequest({
      url: origin.url('/echo'),
      method: 'PUT',
      body: Buffer.from('raw'),
      responseType: 'buffer',
    })
    expect(Buffer.isBuffer(bytes.body)).toBe(true)
    expect(JSON.parse(bytes.body.toString())).toMatchObject({ method: 'PUT', body: 'raw' })
    const generated = await c.sendRequest({
      url: origin.url('/echo'),
      method: 'POST',
      body: (function* () {
        yield Buffer.from('gen-')
        yield Buffer.from('erated')
      })(),
      responseType: 'json',
    })
    expect(generated.body).toMatchObject({ body: 'gen-erated' })
    const form = new FormData()
    form.append('field', 'value')
    const multipart = await c.sendRequest({
      url: origin.url('/echo'),
      method: 'POST',
      body: form,
      responseType: 'json',
    })
    expect((multipart.body as { type: string }).type).toMatch(/^multipart\/form-data; boundary=/)
    expect((multipart.body as { body: string }).body).toContain('name="field"\r\n\r\nvalue')
  })

  it('redirects: a Set-Cookie of the 302 kept in the jar and sent to the next hop', async () => {
    const jar = new CookieJar()
    const c = client(h2)
    const res = await c.sendRequest({ url: origin.url('/login'), cookieJar: jar })
    expect(res.statusCode).toBe(200)
    expect(res.body).toBe('welcome sid=abc123')
    expect(res.url).toBe(origin.url('/home'))
    expect(res.redirectUrls.map(String)).toEqual([origin.url('/home')])
    expect(await jar.getCookieString(origin.url('/'))).toBe('sid=abc123')
    // The hop is planned as a redirect of the same navigation, not as a new one.
    expect(seen.get('/home')!.headers['sec-fetch-site']).toBe('none')
    // Without a jar the cookie is lost and the origin refuses the next hop.
    expect((await c.sendRequest({ url: origin.url('/login') })).statusCode).toBe(403)
    // followRedirect: false hands back the 302 itself.
    const stop = await c.sendRequest({ url: origin.url('/login'), followRedirect: false })
    expect([stop.statusCode, stop.headers.location]).toEqual([302, '/home'])
  })

  it('redirects: onRedirect sets the next hop headers; 303 turns POST into GET, 307 keeps it', async () => {
    const c = client(h2)
    const calls: number[] = []
    const res = await c.stream({ url: origin.url('/login') }, (response, updated) => {
      calls.push(response.statusCode)
      updated.headers.Cookie = 'sid=abc123'
    })
    expect(calls).toEqual([302])
    expect(res.statusCode).toBe(200)
    res.stream.resume()
    const see = await c.sendRequest({
      url: origin.url('/post-redirect'),
      method: 'POST',
      body: 'x',
      responseType: 'json',
    })
    expect(see.body).toEqual({ method: 'GET', body: '', type: null })
    const keep = await c.sendRequest({ url: origin.url('/keep-post'), method: 'POST', body: 'y', responseType: 'json' })
    expect(keep.body).toMatchObject({ method: 'POST', body: 'y' })
    const stream = Readable.from([Buffer.from('z')])
    const err = await failure(c.sendRequest({ url: origin.url('/keep-post'), method: 'POST', body: stream }))
    expect(err.code).toBe('ERR_INVALID_ARGUMENT')
  })

  it('redirects: cookie and authorization are dropped on a cross-origin hop', async () => {
    const res = await client(h2).sendRequest({
      url: origin.url('/to-other'),
      headers: { Cookie: 'sid=abc123', authorization: 'Basic eDp5' },
    })
    expect(res.url).toBe(`https://other.test:${origin.port}/landing`)
    expect(res.body).toBe('landing cookie= auth=')
    expect(seen.get('/to-other')!.headers.cookie).toBe('sid=abc123')
    // The pool plans the hop as the redirect it is: a fetch() from origin.test redirected to
    // other.test is cross-site there (a new request to other.test would be same-origin).
    await client(h2, { destination: 'empty' }).sendRequest({ url: origin.url('/to-other') })
    expect(seen.get('/landing')!.headers['sec-fetch-site']).toBe('cross-site')
    expect(seen.get('/landing')!.headers['sec-fetch-mode']).toBe('cors')
  })

  it('redirects: more than maxRedirects is ERR_TOO_MANY_REDIRECTS', async () => {
    const err = await failure(client(h2).sendRequest({ url: origin.url('/loop'), maxRedirects: 3 }))
    expect(err.code).toBe('ERR_TOO_MANY_REDIRECTS')
    expect((err as unknown as { redirectUrls: string[] }).redirectUrls).toHaveLength(3)
  })

  it('timeout.request bounds the exchange: stalled headers, and a stalled body read from stream()', async () => {
    const c = client(h2)
    const start = Date.now()
    const err = await failure(c.sendRequest({ url: origin.url('/stall-headers'), timeout: { request: 300 } }))
    expect(err.code).toBe('ERR_REQUEST_TIMEOUT')
    expect(Date.now() - start).toBeLessThan(5000)
    const res = await c.stream({ url: origin.url('/stall-body'), timeout: { request: 400 } })
    expect(res.statusCode).toBe(200)
    const chunks: Buffer[] = []
    const bodyErr = await failure(
      (async () => {
        for await (const chunk of res.stream) chunks.push(chunk as Buffer)
      })(),
    )
    expect(bodyErr.code).toBe('ERR_REQUEST_TIMEOUT')
    expect(Buffer.concat(chunks).length).toBe(100)
    expect(res.downloadProgress).toMatchObject({ transferred: 100, total: 1000, percent: 0.1 })
    expect(res.complete).toBe(false)
  })

  it('stream(): the body as a Readable, progress and complete at its end', async () => {
    const res = await client(h2).stream({ url: origin.url('/page') })
    expect(res.statusCode).toBe(200)
    const body: Buffer[] = []
    for await (const chunk of res.stream) body.push(chunk as Buffer)
    expect(Buffer.concat(body).toString()).toContain('<a href="/next">')
    expect(res.complete).toBe(true)
    expect(res.downloadProgress.percent).toBe(1)
    expect(res.downloadProgress.transferred).toBe(Buffer.concat(body).length)
  })

  it('typed errors: a body that is not JSON, throwHttpErrors, a bad URL', async () => {
    const c = client(h2)
    expect((await failure(c.sendRequest({ url: origin.url('/not-json'), responseType: 'json' }))).code).toBe(
      'ERR_RESPONSE_PARSE',
    )
    const gone = await failure(c.sendRequest({ url: origin.url('/gone'), throwHttpErrors: true }))
    expect([gone.code, (gone as unknown as { statusCode: number }).statusCode]).toEqual(['ERR_HTTP_STATUS', 410])
    expect((await c.sendRequest({ url: origin.url('/gone') })).statusCode).toBe(410)
    expect((await failure(c.sendRequest({ url: 'not a url' }))).code).toBe('ERR_INVALID_ARGUMENT')
  })

  it('proxyUrl: the request tunnels through that proxy; a refused proxy is a typed ERR_PROXY', async () => {
    const c = client(h2)
    const before = proxy.requests.length
    const res = await c.sendRequest({ url: origin.url('/page'), proxyUrl: proxy.url })
    expect(res.statusCode).toBe(200)
    expect(proxy.requests.length).toBe(before + 1)
    expect(proxy.requests.at(-1)!.authority).toMatch(new RegExp(`:${origin.port}$`))
    // The tunnel stays hot: a second request reuses it.
    await c.sendRequest({ url: origin.url('/page'), proxyUrl: proxy.url })
    expect(proxy.requests.length).toBe(before + 1)
    const err = await failure(c.sendRequest({ url: origin.url('/page'), proxyUrl: `http://127.0.0.1:${refusedPort}` }))
    expect(err.code).toBe('ERR_PROXY')
    expect(err.message).toContain(`127.0.0.1:${refusedPort}`)
    expect(errorCode(err)).toBe('ERR_PROXY')
    expect((await failure(c.sendRequest({ url: origin.url('/page'), proxyUrl: 'ftp://x' }))).code).toBe(
      'ERR_INVALID_ARGUMENT',
    )
  })
})

describe('header generator options choose the identity; generated headers never reach the wire', () => {
  let pool: HotConnPool
  beforeAll(() => {
    pool = origin.pool(true)
  })

  const generator = (ua: string) => ({
    calls: 0,
    getHeaders(this: { calls: number }) {
      this.calls++
      return { 'user-agent': ua, accept: 'generated/accept', 'x-generated': '1', 'sec-ch-ua': '"Generated";v="1"' }
    },
  })

  it('a generator of Firefox on Linux: firefox-153-linux goes out, with its own headers only', async () => {
    const gen = generator('Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0')
    const c = new HotConnHttpClient({ pool })
    await c.sendRequest({ url: origin.url('/page'), headerGenerator: gen } as HttpRequest)
    const h = seen.get('/page')!.headers
    expect(gen.calls).toBe(1)
    expect(h['user-agent']).toBe('Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0')
    expect(h['x-generated']).toBeUndefined()
    expect(h['sec-ch-ua']).toBeUndefined()
    expect(h.accept).not.toBe('generated/accept')
  })

  it('headerGeneratorOptions: browsers and operating systems pick a shipped identity', async () => {
    const c = new HotConnHttpClient({ pool })
    await c.sendRequest({
      url: origin.url('/page'),
      headerGeneratorOptions: { browsers: [{ name: 'firefox', minVersion: 100 }], operatingSystems: ['macos'] },
    })
    expect(seen.get('/page')!.headers['user-agent']).toMatch(
      /Macintosh; Intel Mac OS X 10\.15; rv:153\.0.*Firefox\/153/,
    )
    await c.sendRequest({ url: origin.url('/page'), headerGeneratorOptions: { devices: ['mobile'] } })
    expect(seen.get('/page')!.headers['user-agent']).toMatch(/Android 10; K.*Chrome\/156.*Mobile/)
    // The client's own identity fits: it stays.
    await c.sendRequest({ url: origin.url('/page'), headerGeneratorOptions: { browsers: ['chrome'] } })
    expect(seen.get('/page')!.headers['user-agent']).toMatch(/Windows NT 10\.0.*Chrome\/156/)
    // useHeaderGenerator: false ignores them.
    await c.sendRequest({
      url: origin.url('/page'),
      useHeaderGenerator: false,
      headerGeneratorOptions: { browsers: ['safari'] },
    })
    expect(seen.get('/page')!.headers['user-agent']).toMatch(/Chrome\/156/)
  })

  it('a browser with no identity (Safari, iOS) is ERR_IDENTITY_MISMATCH, sent nowhere', async () => {
    const c = new HotConnHttpClient({ pool, identity: 'firefox-153-linux' })
    const before = origin.hits.get('/page') ?? 0
    const safari = generator(
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
    )
    const err = await failure(c.sendRequest({ url: origin.url('/page'), headerGenerator: safari } as HttpRequest))
    expect(err.code).toBe('ERR_IDENTITY_MISMATCH')
    expect(err.message).toMatch(/useHeaderGenerator: false/)
    const opts = await failure(
      c.sendRequest({ url: origin.url('/page'), headerGeneratorOptions: { browsers: ['safari'] } }),
    )
    expect(opts.code).toBe('ERR_IDENTITY_MISMATCH')
    expect(origin.hits.get('/page') ?? 0).toBe(before)
  })

  it('options are checked up front', () => {
    expect(() => new HotConnHttpClient({} as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    expect(() => new HotConnHttpClient({ pool, identity: 'safari' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
    expect(() => new HotConnHttpClient({ pool, destination: 'page' as never })).toThrow(/destination must be one of/)
  })
})
