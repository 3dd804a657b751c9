/**
 * Every request kind, chosen per request (`destination` dispatch option, `forRequests()` for
 * fetch), through the whole stack (pool, HTTP/2 and HTTP/1.1 channels, hotconn's TLS) against the
 * Xvfb captures of Chromium 156 and Firefox ESR 153: the captured requests of the page walk that
 * carry a referer (same-origin, same-site, cross-site; fonts with Chromium's `origin`, cross-origin
 * fetches with theirs) and the typed navigation, sent
 *  - with the captured referer and cookie, by undici's `request`, undici's `fetch` and Node's global
 *    `fetch`: the head must be the capture's, field for field (names, order, values, pseudo-headers);
 *  - with no header at all: the capture's minus the cookie, the referer derived (the origin + `/`);
 *  - with a custom Chrome/Firefox UA of another OS: the capture's with that UA and its client hints,
 *    and none of fetch()'s own defaults (`accept: *\/*`, `accept-language: *`, `sec-fetch-mode: cors`);
 *  - with an explicit `accept`: the capture's with the caller's value in the browser's slot;
 *  each of these three also by `request`, undici's `fetch` and Node's global `fetch`;
 *  - with a UA of the other browser family: refused with ERR_IDENTITY_MISMATCH, nothing sent.
 * The capture server plays the three sites on one port; ports in URLs are mapped to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetch as undiciFetch, request } from 'undici'
import { H2FingerprintServer, type RequestRecord } from '../../src/cli/h2-listen.js'
import type { Destination } from '../../src/fingerprint/http.js'
import { getIdentity } from '../../src/fingerprint/identity/table.js'
import { secChUa } from '../../src/fingerprint/identity/client-hints.js'
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

const CASES: Array<{ browser: CaptureBrowser; identity: 'chrome-156-linux' | 'firefox-153-linux'; ua: string }> = [
  { browser: 'chromium', identity: 'chrome-156-linux', ua: getIdentity('chrome-156-windows').userAgent },
  { browser: 'firefox', identity: 'firefox-153-linux', ua: getIdentity('firefox-153-windows').userAgent },
]

/** The requests compared: the typed navigation and every subresource of `top` (all carry a referer). */
function compared(requests: readonly CapturedRequest[]): CapturedRequest[] {
  return requests.filter(
    (r) => r.path === '/r/document/top' || (/^\/r\/(?!document)\w+\/top/.test(r.path) && !r.path.includes('xhr')),
  )
}

type Head = Array<[string, string]>

for (const alpn of ['h2', 'http/1.1'] as const) {
  describe(`request kinds per request vs the captures (${alpn})`, () => {
    let server: H2FingerprintServer
    const records: RequestRecord[] = []
    beforeAll(async () => {
      server = await H2FingerprintServer.listen('127.0.0.1', 0, NAMES, {
        alpn: alpn === 'h2' ? ['h2', 'http/1.1'] : ['http/1.1'],
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
      /** The capture's head with ports mapped and Debian Chromium's brand list replaced by Chrome's. */
      const want = (r: CapturedRequest): Head =>
        r.headers.map(([n, v]) => {
          const lower = n.toLowerCase()
          if (lower === 'sec-ch-ua' && brands !== undefined) return [n, secChUa(brands.brands)]
          return [n, [':authority', 'host', 'referer', 'origin'].includes(lower) ? remap(v) : v]
        })
      const got = (r: RequestRecord): Head => r.headers.map(([n, v]) => [n, v])
      const without = (h: Head, names: string[]): Head => h.filter(([n]) => !names.includes(n.toLowerCase()))
      const replace = (h: Head, values: Record<string, string>): Head =>
        h.map(([n, v]) => [n, values[n.toLowerCase()] ?? v])

      it(`${c.identity}: request, undici fetch and global fetch send the captured heads`, async () => {
        const pool = new HotConnPool({
          ca: server.caPem,
          resolver: loopback,
          tls: { profile: c.identity },
          http2: { defaultHeaders: 'none' },
          pool: { warmConnsPerIp: 0 },
        })
        try {
          // The typed navigation and 10 subresources (Firefox has no same-site font, hence >= 10).
          expect(compared(cap.requests).length).toBeGreaterThanOrEqual(10)
          for (const r of compared(cap.requests)) {
            const destination = field(r, 'sec-fetch-dest') as Destination
            const url = `https://${remap(r.authority)}${r.path}`
            const referer = field(r, 'referer')
            const cookie = field(r, 'cookie')
            const given: Record<string, string> = {
              ...(referer !== undefined ? { referer: remap(referer) } : {}),
              ...(cookie !== undefined ? { cookie } : {}),
            }
            const at = records.length
            await (await request(url, { dispatcher: pool, headers: given, destination } as never)).body.dump()
            const forDest = pool.forRequests({ destination })
            await (await undiciFetch(url, { dispatcher: forDest, headers: given })).arrayBuffer()
            await (
              await globalThis.fetch(url, { dispatcher: forDest, headers: given } as unknown as RequestInit)
            ).arrayBuffer()
            const [viaRequest, viaFetch, viaGlobal] = records.slice(at)
            expect(got(viaRequest!), `request ${r.path}`).toEqual(want(r))
            expect(got(viaFetch!), `undici fetch ${r.path}`).toEqual(want(r))
            expect(got(viaGlobal!), `global fetch ${r.path}`).toEqual(want(r))
            if (alpn === 'h2') {
              expect(viaRequest!.priority?.weight, `weight ${r.path}`).toBe(r.priority?.weight)
              expect(viaRequest!.akamai).toBe(r.akamai)
            }
          }
        } finally {
          await pool.close()
        }
      })

      it(`${c.identity}: no headers, a custom UA, an explicit accept, each by request, undici fetch and global fetch`, async () => {
        const pool = new HotConnPool({
          ca: server.caPem,
          resolver: loopback,
          tls: { profile: c.identity },
          pool: { warmConnsPerIp: 0 },
        })
        const other = getIdentity(c.identity === 'chrome-156-linux' ? 'chrome-156-windows' : 'firefox-153-windows')
        const otherHints: Record<string, string> =
          other.clientHints === undefined
            ? {}
            : { 'sec-ch-ua': secChUa(other.clientHints.brands), 'sec-ch-ua-platform': '"Windows"' }
        try {
          for (const r of compared(cap.requests).filter(
            (q) => new URL(`https://${q.authority}`).hostname === NAMES[0],
          )) {
            const destination = field(r, 'sec-fetch-dest') as Destination
            const url = `https://${remap(r.authority)}${r.path}`
            const forDest = pool.forRequests({ destination })
            /** One request by each API: undici's request, undici's fetch, Node's global fetch. */
            const byEach = async (headers: Record<string, string>): Promise<RequestRecord[]> => {
              const at = records.length
              await (await request(url, { dispatcher: pool, destination, headers } as never)).body.dump()
              await (await undiciFetch(url, { dispatcher: forDest, headers })).arrayBuffer()
              await (
                await globalThis.fetch(url, { dispatcher: forDest, headers } as unknown as RequestInit)
              ).arrayBuffer()
              return records.slice(at)
            }
            // No header: the cookie is the caller's (none), the referer derived from the origin.
            const derived =
              destination === 'document'
                ? want(r)
                : without(want(r), ['cookie']).map(([n, v]): [string, string] =>
                    n.toLowerCase() === 'referer' ? [n, `https://${remap(r.authority)}/`] : [n, v],
                  )
            const variants: Array<[string, Record<string, string>, Head]> = [
              ['no headers', {}, derived],
              ['custom UA', { 'user-agent': c.ua }, replace(derived, { 'user-agent': c.ua, ...otherHints })],
              ['explicit accept', { accept: 'x/y' }, replace(derived, { accept: 'x/y' })],
            ]
            for (const [what, headers, expected] of variants) {
              const sent = await byEach(headers)
              expect(sent.length).toBe(3)
              for (const [i, api] of ['request', 'undici fetch', 'global fetch'].entries())
                expect(got(sent[i]!), `${api}, ${what} ${r.path}`).toEqual(expected)
            }
          }
          // A UA of the other browser family contradicts the ClientHello: refused, nothing sent.
          const foreign = getIdentity(c.browser === 'chromium' ? 'firefox-153-windows' : 'chrome-156-windows').userAgent
          const at = records.length
          const page = `https://${NAMES[0]}:${server.port}/r/document/top`
          await expect(
            request(page, { dispatcher: pool, destination: 'document', headers: { 'user-agent': foreign } } as never),
          ).rejects.toMatchObject({ code: 'ERR_IDENTITY_MISMATCH' })
          await expect(
            undiciFetch(page, {
              dispatcher: pool.forRequests({ destination: 'document' }),
              headers: { 'user-agent': foreign },
            }),
          ).rejects.toMatchObject({ cause: { code: 'ERR_IDENTITY_MISMATCH' } })
          expect(records.length).toBe(at)
        } finally {
          await pool.close()
        }
      })
    }
  })
}
