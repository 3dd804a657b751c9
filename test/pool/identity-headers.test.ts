/**
 * What the pool puts on the wire for each request kind, through the whole stack (pool, HTTP/2 and
 * HTTP/1.1 channels, hotconn's TLS), against the Xvfb captures of Chromium 156 and Firefox ESR 153:
 * `[http2] default_headers` = each Fetch destination, requests by undici's `request` (with the
 * page's referer, as the browser sent it) and by undici's `fetch` (no headers). Names, order and
 * values must be the capture's; the capture server's host, port and cookies are mapped out. Every
 * identity (each OS, Edge) sends the captured document and image heads with its own UA and client
 * hints, the engine's ClientHello (JA4) and HTTP/2 flight.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetch, request } from 'undici'
import { H2FingerprintServer, type RequestRecord } from '../../src/cli/h2-listen.js'
import type { Destination } from '../../src/fingerprint/http.js'
import { HotConnPool } from '../../src/pool/pool.js'
import { IDENTITY_NAMES, getIdentity } from '../../src/fingerprint/identity/table.js'
import { secChUa } from '../../src/fingerprint/identity/client-hints.js'
import type { Resolver } from '../../src/pool/options.js'
import { field, loadRequestCaptures, type CaptureBrowser } from '../fingerprint/request-captures.js'

const loopback: Resolver = {
  resolve: async () => ({ addresses: [{ address: '127.0.0.1', family: 4, ttlMs: 60_000 }], minTtlMs: 60_000 }),
}
/** Capture request per destination: same-origin, from the typed `top` page. */
const PATHS: Record<Destination, string> = {
  document: '/r/document/top',
  image: '/r/image/top.gif',
  script: '/r/script/top.js',
  style: '/r/style/top.css',
  font: '/r/font/top.woff2',
  empty: '/r/empty/top-fetch',
}
/** Fields whose value depends on the page or the server, compared apart or left out. */
const CONTEXT = new Set([':authority', ':path', 'host', 'referer', 'cookie', 'origin'])

const cases: Array<{ browser: CaptureBrowser; identity: 'chrome-156-linux' | 'firefox-153-linux' }> = [
  { browser: 'chromium', identity: 'chrome-156-linux' },
  { browser: 'firefox', identity: 'firefox-153-linux' },
]

for (const alpn of ['h2', 'http/1.1'] as const) {
  describe(`request kinds through the pool vs the captures (${alpn})`, () => {
    let server: H2FingerprintServer
    const records: RequestRecord[] = []
    beforeAll(async () => {
      server = await H2FingerprintServer.listen('127.0.0.1', 0, ['www.hotconn-a.test'], {
        alpn: alpn === 'h2' ? ['h2', 'http/1.1'] : ['http/1.1'],
      })
      server.on('request', (r: RequestRecord) => records.push(r))
    })
    afterAll(async () => {
      await server.close()
    })

    it('every identity: the captured document and image heads with its own UA and client hints (per OS)', async () => {
      for (const name of IDENTITY_NAMES) {
        const id = getIdentity(name)
        const cap = loadRequestCaptures(id.browser === 'firefox' ? 'firefox' : 'chromium', alpn)
        const pool = new HotConnPool({
          ca: server.caPem,
          resolver: loopback,
          tls: { profile: name },
          pool: { warmConnsPerIp: 0 },
        })
        const hints = id.clientHints
        const own: Record<string, string> = {
          'user-agent': id.userAgent,
          ...(hints === undefined
            ? {}
            : {
                'sec-ch-ua': secChUa(hints.brands),
                'sec-ch-ua-mobile': hints.mobile ? '?1' : '?0',
                'sec-ch-ua-platform': `"${{ windows: 'Windows', macos: 'macOS', linux: 'Linux', android: 'Android' }[id.os]}"`,
              }),
        }
        const shape = (h: ReadonlyArray<readonly [string, string]>, capture = false): string[] =>
          h
            .filter(([n]) => !CONTEXT.has(n.toLowerCase()))
            .map(([n, v]) => `${n}: ${capture ? (own[n.toLowerCase()] ?? v) : v}`)
        try {
          for (const dest of ['document', 'image'] as const) {
            const captured = cap.requests.find((r) => r.path === PATHS[dest])!
            const referer = field(captured, 'referer')?.replace(/:\d+\//, `:${server.port}/`)
            const before = records.length
            const res = await request(`https://www.hotconn-a.test:${server.port}${PATHS[dest]}`, {
              dispatcher: pool,
              destination: dest,
              headers: referer === undefined ? {} : { referer },
            } as never)
            await res.body.dump()
            const [sent] = records.slice(before)
            expect(shape(sent!.headers), `${name} ${dest}`).toEqual(shape(captured.headers, true))
            expect(captured.hello?.ja4).toMatch(/^t13d/)
            expect(sent!.hello?.ja4, `${name} JA4`).toBe(captured.hello?.ja4)
            if (alpn === 'h2') expect(sent!.akamai, `${name} Akamai`).toBe(captured.akamai)
          }
        } finally {
          await pool.close()
        }
      }
    })

    for (const c of cases) {
      const cap = loadRequestCaptures(c.browser, alpn)
      for (const dest of Object.keys(PATHS) as Destination[]) {
        it(`${c.identity} ${dest}: request and fetch send the captured head`, async () => {
          const captured = cap.requests.find((r) => r.path === PATHS[dest])!
          const pool = new HotConnPool({
            ca: server.caPem,
            resolver: loopback,
            tls: { profile: c.identity },
            http2: { defaultHeaders: dest },
            pool: { warmConnsPerIp: 0 },
          })
          const origin = `https://www.hotconn-a.test:${server.port}`
          const referer = field(captured, 'referer')?.replace(/:\d+\//, `:${server.port}/`)
          try {
            const before = records.length
            const res = await request(`${origin}${PATHS[dest]}`, {
              dispatcher: pool,
              headers: referer === undefined ? {} : { referer },
            })
            await res.body.dump()
            await (await fetch(`${origin}${PATHS[dest]}`, { dispatcher: pool })).arrayBuffer()
            const [viaRequest, viaFetch] = records.slice(before)
            // sec-ch-ua: the identity's brand list ("Google Chrome" added to Debian Chromium's).
            const brands = getIdentity(c.identity).clientHints
            const shape = (h: ReadonlyArray<readonly [string, string]>, capture = false): string[] =>
              h
                .filter(([n]) => !CONTEXT.has(n.toLowerCase()))
                .map(([n, v]) => `${n}: ${capture && n === 'sec-ch-ua' && brands ? secChUa(brands.brands) : v}`)
            // Fonts carry `origin` in Chromium (always) and cross-origin in Firefox: a per-request field
            // the pool-wide default headers cannot fill (see docs/identities.md); all else must match.
            const want = shape(captured.headers, true)
            expect(shape(viaRequest!.headers), 'request').toEqual(want)
            expect(viaRequest!.headers.find(([n]) => n.toLowerCase() === 'referer')?.[1]).toBe(referer)
            // fetch: undici's own defaults are dropped, the identity's go out (no referer given).
            expect(shape(viaFetch!.headers), 'fetch').toEqual(want)
            if (alpn === 'h2') {
              expect(viaRequest!.akamai).toBe(captured.akamai)
              expect(viaRequest!.priority?.weight).toBe(captured.priority!.weight)
              expect(viaRequest!.priority?.exclusive).toBe(captured.priority!.exclusive)
            }
          } finally {
            await pool.close()
          }
        })
      }
    }
  })
}
