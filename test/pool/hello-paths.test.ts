/**
 * The ClientHello stays the browser's on every path the pool takes, for every identity: HTTP/2 on,
 * HTTP/2 off, the per-IP HTTP/2 fallback, TLS 1.3 resumption, a retry after a keep-alive race,
 * a request with overrides (another UA of the family, a referer, a destination, an alias), and
 * through an HTTP CONNECT proxy (per-IP mode: CONNECT ip:port, SNI = host).
 * A relay in front of a real HTTP/2 origin keeps each connection's ClientHello; every hello must
 * equal the browser's capture field for field minus what is random per connection (the compare
 * helpers of test/fingerprint: randoms, key shares, GREASE values, Chromium's extension order, the
 * ECH payload) and the SNI (the captures named another host), the resumed ones its resumed
 * capture minus the PSK identity and binders. ALPN is `h2, http/1.1` on every path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { parseClientHello, type ParsedClientHello } from '../../src/fingerprint/parse.js'
import { IDENTITY_NAMES, getIdentity } from '../../src/fingerprint/identity/table.js'
import { HotConnPool } from '../../src/pool/pool.js'
import type { Resolver } from '../../src/pool/options.js'
import { loadCapture } from '../fingerprint/captures.js'
import { ECH_AEADS, normalisedExtensions } from '../fingerprint/compare.js'
import { normGrease } from '../fingerprint/helpers.js'
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy.js'
import { startHelloTap, type HelloTap } from '../helpers/hello-tap.js'
import { loopbackIps, waitFor } from './helpers/fixtures.js'
import { startH2Origin, type H2Origin } from './helpers/h2-origin.js'

const PSK = '0029'

/** What must equal the capture: everything but the per-connection random fields and the SNI. */
function shape(hello: ParsedClientHello, firefox: boolean): unknown {
  const ext = normalisedExtensions(hello, firefox ? ECH_AEADS.firefox : ECH_AEADS.chrome)
  ext.delete('0000')
  ext.delete(PSK)
  return {
    legacyVersion: hello.legacyVersion,
    sessionIdLength: hello.sessionId.length,
    compression: [...hello.compressionMethods],
    ciphers: normGrease(hello.cipherSuites),
    extensions: Object.fromEntries(ext),
  }
}

const REFERENCE = {
  chromium: { dir: 'chromium-156', full: 'chromium_ice-01', resumed: 'chromium_ice-03' },
  firefox: { dir: 'firefox-esr-153', full: 'firefox_ca-01', resumed: 'firefox_ca-04' },
} as const

describe('the ClientHello on every path', () => {
  let origin: H2Origin
  let tap: HelloTap
  let proxy: ConnectProxy
  let resolver: Resolver
  beforeAll(async () => {
    origin = await startH2Origin({ ips: loopbackIps(1) })
    tap = await startHelloTap(loopbackIps(1)[0]!, origin.ips[0]!, origin.port)
    proxy = await startConnectProxy()
    resolver = {
      resolve: async () => ({ addresses: [{ address: tap.ip, family: 4, ttlMs: 60_000 }], minTtlMs: 60_000 }),
    }
  })
  afterAll(async () => {
    await proxy.close()
    await tap.close()
    await origin.close()
  })

  const newPool = (identity: string, extra: Record<string, unknown> = {}): HotConnPool =>
    new HotConnPool({
      ca: origin.caPem,
      resolver,
      tls: { profile: identity },
      pool: { warmConnsPerIp: 0 },
      ...extra,
    } as never)
  const get = async (dispatcher: HotConnPool, path: string, opts: Record<string, unknown> = {}) => {
    const res = await request(origin.url(path), { dispatcher, ...opts } as never)
    await res.body.dump()
    return res.statusCode
  }
  /** Runs `step` and returns the hello of the one connection it opened. */
  const helloOf = async (step: () => Promise<unknown>): Promise<Buffer> => {
    const before = tap.hellos.length
    await step()
    const opened = tap.hellos.slice(before)
    expect(opened.length).toBeGreaterThanOrEqual(1)
    return opened[opened.length - 1]!
  }

  for (const name of IDENTITY_NAMES) {
    it(`${name}: the browser's hello with h2 on and off, on fallback, resumption, retry, overrides and through a CONNECT proxy`, async () => {
      const id = getIdentity(name)
      const firefox = id.browser === 'firefox'
      const ref = REFERENCE[firefox ? 'firefox' : 'chromium']
      const full = shape(parseClientHello(loadCapture(ref.dir, ref.full).bin), firefox)
      const resumed = shape(parseClientHello(loadCapture(ref.dir, ref.resumed).bin), firefox)
      const hellos = new Map<string, Buffer>()
      const pool = newPool(name)
      const off = newPool(name, { http2: { enabled: false } })
      const fallback = newPool(name, { http2: { fallbackThreshold: 1, fallbackTtlMs: 60_000 } })
      const proxied = newPool(name, { egress: { proxies: [proxy.url] } })
      try {
        hellos.set('h2 on', await helloOf(() => get(pool, '/first')))
        // The relay cuts the connection; the next one resumes with the ticket it got.
        tap.cutAll()
        await waitFor(() => pool.stats().connections === 0, 'the cut connection to close')
        hellos.set('resumption', await helloOf(() => get(pool, '/resumed')))
        // The next request finds its connection dead at its first byte: retried on a new one.
        tap.armCut()
        hellos.set('retry', await helloOf(async () => expect(await get(pool, '/retried')).toBe(200)))
        tap.cutAll()
        await waitFor(() => pool.stats().connections === 0, 'the cut connection to close')
        const other = firefox ? getIdentity('firefox-153-macos') : getIdentity('chrome-156-android')
        const alias = pool.forRequests({ identity: firefox ? 'firefox-latest-linux' : 'chrome-latest-linux' })
        hellos.set(
          'overrides',
          await helloOf(() =>
            get(alias as HotConnPool, '/overrides', {
              destination: 'document',
              headers: { 'user-agent': other.userAgent, referer: origin.url('/page') },
            }),
          ),
        )
        hellos.set('h2 off', await helloOf(() => get(off, '/off')))
        origin.breakH2 = true
        await get(fallback, '/broken').catch(() => undefined)
        origin.breakH2 = false
        const host = fallback.stats().hosts[`${origin.hostname}:${origin.port}`]
        expect(host?.ips[0]?.http1FallbackUntil).toBeInstanceOf(Date)
        tap.cutAll()
        await waitFor(() => fallback.stats().connections === 0, 'the broken connections to close')
        hellos.set('fallback', await helloOf(() => get(fallback, '/fallback')))
        const tunnels = proxy.requests.length
        hellos.set('proxy', await helloOf(() => get(proxied, '/proxied')))
        expect(proxy.requests.slice(tunnels).map((r) => r.authority)).toEqual([`${tap.ip}:${origin.port}`])
        for (const [path, bytes] of hellos) {
          const hello = parseClientHello(bytes)
          const psk = hello.extensions.some((e) => e.type === 0x0029)
          expect(hello.alpn, `${name} ${path}: ALPN`).toEqual(['h2', 'http/1.1'])
          expect(hello.serverName, `${name} ${path}: SNI`).toBe(origin.hostname)
          expect(shape(hello, firefox), `${name} ${path}`).toEqual(psk ? resumed : full)
        }
        // Every connection after the first resumed (TLS 1.3 tickets, one per connection).
        expect(parseClientHello(hellos.get('resumption')!).extensions.some((e) => e.type === 0x0029)).toBe(true)
      } finally {
        origin.breakH2 = false
        await Promise.all([pool.close(), off.close(), fallback.close(), proxied.close()])
      }
    })
  }
})
