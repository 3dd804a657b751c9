/**
 * hotconn's own TLS client (connect() -> TlsSocket) against the capture server over a real socket:
 * what arrives must match the reference captures of the browser the profile imitates, except the
 * fields named in RANDOM_PER_CONNECTION.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CaptureServer, type Capture } from '../../src/fingerprint/capture-server.js'
import { isGrease } from '../../src/fingerprint/grease.js'
import { parseClientHello } from '../../src/fingerprint/parse.js'
import { connect } from '../../src/tls/index.js'
import { listCaptures } from './captures.js'
import { ECH_AEADS, RANDOM_PER_CONNECTION, echPayloadLength, normalisedExtensions, withoutPsk } from './compare.js'
import { normGrease } from './helpers.js'

let server: CaptureServer
beforeAll(async () => {
  server = await CaptureServer.listen({ host: '127.0.0.1', port: 0, timeout: 5_000 })
})
afterAll(async () => {
  await server.close()
})

/** Connects with hotconn's client; the capture server answers handshake_failure, so connect() rejects. */
async function captureClient(profile: 'chrome' | 'firefox'): Promise<Capture> {
  const captured = server.nextCapture()
  const err = await connect({ host: 'tiles.test', ip: '127.0.0.1', port: server.port, profile, timeout: 5_000 }).then(
    (s) => {
      s.destroy()
      return undefined
    },
    (e: unknown) => e,
  )
  expect(err).toMatchObject({ code: 'ERR_TLS_ALERT', alertName: 'handshake_failure' })
  const capture = await captured
  expect(capture).toBeDefined()
  return capture!
}

function compareWithCaptures(capture: Capture, dir: string, echAeads: readonly number[], sameOrder: boolean): void {
  const got = capture.hello
  const refs = withoutPsk(listCaptures(dir))
  expect(refs.length).toBeGreaterThan(0)
  for (const c of refs) {
    const ref = parseClientHello(c.bin)
    expect(capture.fingerprints.ja4).toBe(c.json.fingerprints.ja4)
    expect(normGrease(got.cipherSuites)).toEqual(normGrease(ref.cipherSuites))
    const mine = normalisedExtensions(got, echAeads)
    const theirs = normalisedExtensions(ref, echAeads)
    expect(new Set(mine.keys())).toEqual(new Set(theirs.keys()))
    expect(Object.fromEntries(mine)).toEqual(Object.fromEntries(theirs))
    if (sameOrder) expect(got.extensions.map((e) => e.type)).toEqual(ref.extensions.map((e) => e.type))
  }
}

describe('hotconn client -> capture server', () => {
  it('leaves out of the comparison only the named per-connection fields', () => {
    expect(RANDOM_PER_CONNECTION.length).toBeGreaterThan(0)
  })

  it('chrome: matches Chromium 156 captures; order shuffles across 20 connections, GREASE first and last', async () => {
    const orders = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const capture = await captureClient('chrome')
      compareWithCaptures(capture, 'chromium-156', ECH_AEADS.chrome, false)
      const hello = capture.hello
      const types = hello.extensions.map((e) => e.type)
      orders.add(types.join(','))
      expect(isGrease(types[0]!)).toBe(true)
      expect(isGrease(types[types.length - 1]!)).toBe(true)
      expect([1913, 1945, 1977, 2009]).toContain(hello.message.length)
      expect([144, 176, 208, 240]).toContain(echPayloadLength(hello))
      expect(capture.serverName).toBe('tiles.test')
      expect(capture.alpn).toEqual(['h2', 'http/1.1'])
      // Real keys from the engine: the hybrid share carries an ML-KEM-768 key and an independent x25519 key.
      const hybrid = hello.keyShares!.find((k) => k.group === 0x11ec)!.keyExchange
      const x25519 = hello.keyShares!.find((k) => k.group === 0x001d)!.keyExchange
      expect(hybrid.length).toBe(1216)
      expect(hybrid.subarray(1184).equals(x25519)).toBe(false)
    }
    expect(orders.size).toBeGreaterThan(10)
  })

  it('firefox: matches Firefox ESR 153 captures in order and length; x25519 share = hybrid X25519 half', async () => {
    const capture = await captureClient('firefox')
    compareWithCaptures(capture, 'firefox-esr-153', ECH_AEADS.firefox, true)
    const hello = capture.hello
    expect(hello.message.length).toBe(1888)
    expect(echPayloadLength(hello)).toBe(239)
    expect(capture.fingerprints.ja3.hash).toBe('6447ab086255d194909d4013b1a89e87')
    const hybrid = hello.keyShares!.find((k) => k.group === 0x11ec)!.keyExchange
    const x25519 = hello.keyShares!.find((k) => k.group === 0x001d)!.keyExchange
    expect(hybrid.subarray(1184).equals(x25519)).toBe(true)
  })
})
