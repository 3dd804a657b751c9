/**
 * Redirects through the pool with undici's redirect interceptor (and the cookie jar inside it), as
 * the browser changes the request on each hop, against real loopback servers:
 *  - an image redirected to another site: the second request is the captured cross-site image of
 *    Chromium 156 / Firefox ESR 153 field for field (referer cut to the page's origin under
 *    strict-origin-when-cross-origin, `sec-fetch-site: cross-site`, `sec-fetch-storage-access`, no
 *    cookie, no authorization), on h2 and HTTP/1.1;
 *  - a POST answered 303: the GET that follows is the captured same-origin fetch (no body, no
 *    content-* fields, no origin);
 *  - https -> http: the hop goes over the pool's plain HTTP/1.1 connection to the http origin (its
 *    own partition, counted in the stats), with no referer, no Fetch Metadata, no client hints and
 *    `accept-encoding: gzip, deflate`, in the browser's order; fetch() follows it too.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetch, interceptors, request } from 'undici'
import { CookieJar } from 'tough-cookie'
import { H2FingerprintServer, type RequestRecord } from '../../src/cli/h2-listen.js'
import { getIdentity } from '../../src/fingerprint/identity/table.js'
import { secChUa } from '../../src/fingerprint/identity/client-hints.js'
import { cookieJar } from '../../src/pool/cookies.js'
import { HotConnPool } from '../../src/pool/pool.js'
import type { Resolver } from '../../src/pool/options.js'
import {
  field,
  loadRequestCaptures,
  type CaptureBrowser,
  type CapturedRequest,
} from '../fingerprint/request-captures.js'

const loopback: Resolver = {
  resolve: async () => ({ addresses: [{ address: '127.0.0.1', family: 4, ttlMs: 60_000 }], minTtlMs: 60_000 }),
}
const NAMES = ['www.hotconn-a.test', 'static.hotconn-a.test', 'cdn.hotconn-b.test']
const CASES: Array<{ browser: CaptureBrowser; identity: 'chrome-156-linux' | 'firefox-153-linux' }> = [
  { browser: 'chromium', identity: 'chrome-156-linux' },
  { browser: 'firefox', identity: 'firefox-153-linux' },
]
type Head = Array<[string, string]>

describe('redirects', () => {
  let plain: Server
  let plainPort = 0
  const plainHeads: Array<{ path: string; headers: Head }> = []
  beforeAll(async () => {
    plain = createServer((req, res) => {
      const raw = req.rawHeaders
      const headers: Head = []
      for (let i = 0; i + 1 < raw.length; i += 2) headers.push([raw[i]!, raw[i + 1]!])
      plainHeads.push({ path: req.url ?? '/', headers })
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end('plain ok')
    })
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', () => resolve()))
    plainPort = (plain.address() as AddressInfo).port
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => plain.close(() => resolve()))
  })

  for (const alpn of ['h2', 'http/1.1'] as const) {
    describe(alpn, () => {
      let server: H2FingerprintServer
      const records: RequestRecord[] = []
      beforeAll(async () => {
        server = await H2FingerprintServer.listen('127.0.0.1', 0, NAMES, {
          alpn: alpn === 'h2' ? ['h2', 'http/1.1'] : ['http/1.1'],
          route: (path) => {
            const at = (to: string, status = 302) => ({ status, headers: { location: to }, body: '' })
            if (path === '/r/image/start') return at(`https://cdn.hotconn-b.test:${server.port}/r/image/top-x.gif`)
            if (path === '/r/empty/form') return at('/r/empty/done', 303)
            if (path === '/r/image/to-http') return at(`http://plain.hotconn-c.test:${plainPort}/img.gif`)
            return undefined
          },
        })
        server.on('request', (r: RequestRecord) => records.push(r))
      })
      afterAll(async () => {
        await server.close()
      })

      for (const c of CASES) {
        const cap = loadRequestCaptures(c.browser, alpn)
        const ports = new Set([cap.origins.page, cap.origins.crossSite].map((o) => new URL(o).port))
        const remap = (v: string): string =>
          v.replace(/:(\d+)(?=\/|$)/g, (m, p: string) => (ports.has(p) ? `:${server.port}` : m))
        const brands = getIdentity(c.identity).clientHints
        const want = (r: CapturedRequest): Head =>
          r.headers.map(([n, v]) => {
            const lower = n.toLowerCase()
            if (lower === 'sec-ch-ua' && brands !== undefined) return [n, secChUa(brands.brands)]
            return [n, [':authority', 'host', 'referer', 'origin'].includes(lower) ? remap(v) : v]
          })
        const captured = (path: string): CapturedRequest => cap.requests.find((r) => r.path === path)!
        const got = (r: RequestRecord): Head => r.headers.map(([n, v]) => [n, v])
        const page = (path: string): string => `https://www.hotconn-a.test:${server.port}${path}`

        it(`${c.identity}: a cross-site image redirect and a 303 are the browser's requests`, async () => {
          const pool = new HotConnPool({
            ca: server.caPem,
            resolver: loopback,
            tls: { profile: c.identity },
            pool: { warmConnsPerIp: 0 },
          })
          const jar = new CookieJar()
          jar.setCookieSync('sid=a1; Secure; SameSite=Lax', page('/'))
          const browser = pool.compose(cookieJar(jar), interceptors.redirect({ maxRedirections: 5 }))
          try {
            let at = records.length
            const img = await request(page('/r/image/start'), {
              dispatcher: browser,
              destination: 'image',
              headers: { referer: page('/r/document/top'), authorization: 'Bearer secret' },
            } as never)
            expect(img.statusCode).toBe(200)
            await img.body.dump()
            const [first, second] = records.slice(at)
            expect(field(first as never, 'cookie')).toBe('sid=a1')
            expect(field(first as never, 'authorization')).toBe('Bearer secret')
            expect(got(second!), 'the hop to the other site').toEqual(want(captured('/r/image/top-x.gif')))

            // A form POST answered 303 on the page's origin: the GET that follows is a same-origin fetch().
            const done = captured('/r/empty/done')
            at = records.length
            const post = await request(page('/r/empty/form'), {
              dispatcher: browser,
              method: 'POST',
              destination: 'empty',
              body: 'q=1',
              headers: { 'content-type': 'application/x-www-form-urlencoded', referer: remap(field(done, 'referer')!) },
            } as never)
            expect(post.statusCode).toBe(200)
            await post.body.dump()
            const [form, get] = records.slice(at)
            expect(form!.method).toBe('POST')
            expect(field(form as never, 'origin')).toBe(`https://www.hotconn-a.test:${server.port}`)
            expect(got(get!), 'the GET after 303').toEqual(want(done))
          } finally {
            await pool.close()
          }
        })

        it(`${c.identity}: https -> http goes over a pooled plain HTTP/1.1 connection, as to an insecure URL`, async () => {
          const pool = new HotConnPool({
            ca: server.caPem,
            resolver: loopback,
            tls: { profile: c.identity },
            pool: { warmConnsPerIp: 0 },
          })
          const browser = pool.compose(interceptors.redirect({ maxRedirections: 5 }))
          try {
            const mark = plainHeads.length
            const res = await request(page('/r/image/to-http'), {
              dispatcher: browser,
              destination: 'image',
              headers: { referer: page('/r/document/top') },
            } as never)
            expect(await res.body.text()).toBe('plain ok')
            const viaFetch = await fetch(page('/r/image/to-http'), {
              dispatcher: pool.forRequests({ destination: 'image' }),
            })
            expect(await viaFetch.text()).toBe('plain ok')
            const [hop, fetched] = plainHeads.slice(mark)
            // The captured HTTP/1.1 image head, minus what browsers send to secure URLs only.
            const h1 = loadRequestCaptures(c.browser, 'http/1.1').requests.find((r) => r.path === '/r/image/top-x.gif')!
            const names = h1.headers.map(([n]) => n).filter((n) => !/^(?:sec-fetch-|sec-ch-|referer$)/i.test(n))
            expect(hop!.headers.map(([n]) => n)).toEqual(names)
            const value = (h: Head, name: string) => h.find(([n]) => n.toLowerCase() === name)?.[1]
            expect(value(hop!.headers, 'accept-encoding')).toBe('gzip, deflate')
            expect(value(hop!.headers, 'user-agent')).toBe(getIdentity(c.identity).userAgent)
            expect(value(hop!.headers, 'accept')).toBe(field(h1, 'accept'))
            expect(value(hop!.headers, 'host')).toBe(`plain.hotconn-c.test:${plainPort}`)
            // fetch() followed the redirect itself: the same identity head, fetch's defaults dropped.
            expect(fetched!.headers.map(([n]) => n).filter((n) => n.toLowerCase() !== 'referer')).toEqual(names)
            const stats = pool.stats().hosts[`http://plain.hotconn-c.test:${plainPort}`]
            expect(stats?.handshakes).toBe(1)
            expect(stats?.requests).toBe(2)
          } finally {
            await pool.close()
          }
        })
      }
    })
  }
})
