/**
 * The built-in profiles against the reference captures: a hello encoded from each profile is
 * sent over a real TCP connection to the capture server and compared, extension by extension,
 * with every full-handshake capture of the same browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CaptureServer } from '../../src/fingerprint/capture-server.js'
import { isGrease } from '../../src/fingerprint/grease.js'
import { parseClientHello } from '../../src/fingerprint/parse.js'
import { chrome, firefox } from '../../src/fingerprint/profiles/index.js'
import { listCaptures } from './captures.js'
import { ECH_AEADS, RANDOM_PER_CONNECTION, echPayloadLength, normalisedExtensions, withoutPsk } from './compare.js'
import { helloFor, normGrease, sendHello } from './helpers.js'

let server: CaptureServer
beforeAll(async () => {
  server = await CaptureServer.listen({ host: '127.0.0.1', port: 0, timeout: 5_000 })
})
afterAll(async () => {
  await server.close()
})

describe('the fields left out of the comparison', () => {
  it('are named', () => {
    expect(RANDOM_PER_CONNECTION).toHaveLength(7)
  })
})

describe('chrome profile vs Chromium 156 captures', () => {
  const captures = withoutPsk(listCaptures('chromium-156'))

  it('has full-handshake captures to compare with', () => {
    expect(captures.length).toBeGreaterThanOrEqual(6)
  })

  it('sends over TCP what the captures show, except the per-connection random fields', async () => {
    const { encoded } = helloFor(chrome)
    const { reply, capture } = await sendHello(server, encoded.message)
    expect(reply.equals(Buffer.from([21, 3, 3, 0, 2, 2, 40]))).toBe(true) // fatal handshake_failure
    expect(capture).toBeDefined()
    const got = capture!.hello
    expect(got.message.equals(encoded.message)).toBe(true)
    expect(capture!.serverName).toBe('tiles.test')
    expect(capture!.alpn).toEqual(['h2', 'http/1.1'])
    for (const c of captures) {
      const ref = parseClientHello(c.bin)
      expect(capture!.fingerprints.ja4).toBe(c.json.fingerprints.ja4)
      expect(capture!.fingerprints.ja3n.hash).toBe(c.json.fingerprints.ja3n_md5)
      expect(got.legacyVersion).toBe(ref.legacyVersion)
      expect(got.sessionId.length).toBe(ref.sessionId.length)
      expect(got.compressionMethods).toEqual(ref.compressionMethods)
      expect(normGrease(got.cipherSuites)).toEqual(normGrease(ref.cipherSuites))
      const mine = normalisedExtensions(got, ECH_AEADS.chrome)
      const theirs = normalisedExtensions(ref, ECH_AEADS.chrome)
      expect(new Set(mine.keys())).toEqual(new Set(theirs.keys()))
      expect(Object.fromEntries(mine)).toEqual(Object.fromEntries(theirs))
    }
    expect([144, 176, 208, 240]).toContain(echPayloadLength(got))
    expect([1913, 1945, 1977, 2009]).toContain(got.message.length)
  })

  it('shuffles the extensions per connection, GREASE first and last, with Chromium GREASE rules', async () => {
    const orders = new Set<string>()
    const lengths = new Set<number>()
    for (let i = 0; i < 20; i++) {
      const { encoded } = helloFor(chrome)
      const { capture } = await sendHello(server, encoded.message)
      const hello = capture!.hello
      const types = hello.extensions.map((e) => e.type)
      orders.add(types.join(','))
      lengths.add(hello.message.length)
      expect(isGrease(types[0]!)).toBe(true)
      expect(isGrease(types[types.length - 1]!)).toBe(true)
      expect(types.filter(isGrease)).toHaveLength(2)
      expect(types[0]).not.toBe(types[types.length - 1])
      expect(hello.extensions[0]!.body.length).toBe(0)
      expect(hello.extensions[types.length - 1]!.body.toString('hex')).toBe('00')
      const groupGrease = hello.supportedGroups!.filter(isGrease)
      const shareGrease = hello.keyShares!.filter((k) => isGrease(k.group))
      expect(groupGrease).toHaveLength(1)
      expect(shareGrease).toHaveLength(1)
      expect(shareGrease[0]!.group).toBe(groupGrease[0])
      expect(shareGrease[0]!.keyExchange.toString('hex')).toBe('00')
      expect(isGrease(hello.cipherSuites[0]!)).toBe(true)
      expect(hello.supportedVersions!.filter(isGrease)).toHaveLength(1)
      expect(hello.signatureAlgorithms!.filter(isGrease)).toHaveLength(1)
      expect(capture!.fingerprints.ja4).toBe('t13d1517h2_8daaf6152771_cb7bf5808d99')
      expect(capture!.fingerprints.ja3n.hash).toBe('bd4930bd9b000ee684830e44bab76fdf')
      // X25519MLKEM768 and x25519 are independent keys in Chromium.
      const hybrid = hello.keyShares!.find((k) => k.group === 0x11ec)!.keyExchange
      const x25519 = hello.keyShares!.find((k) => k.group === 0x001d)!.keyExchange
      expect(hybrid.subarray(1184).equals(x25519)).toBe(false)
    }
    expect(orders.size).toBeGreaterThan(1)
    for (const n of lengths) expect([1913, 1945, 1977, 2009]).toContain(n)
  })
})

describe('firefox profile vs Firefox ESR 153 captures', () => {
  const captures = withoutPsk(listCaptures('firefox-esr-153'))

  it('has full-handshake captures to compare with', () => {
    expect(captures.length).toBeGreaterThanOrEqual(4)
  })

  it('sends over TCP what the captures show, in the same order, except the per-connection random fields', async () => {
    const { encoded } = helloFor(firefox)
    const { capture } = await sendHello(server, encoded.message)
    const got = capture!.hello
    expect(got.message.equals(encoded.message)).toBe(true)
    for (const c of captures) {
      const ref = parseClientHello(c.bin)
      expect(capture!.fingerprints.ja4).toBe(c.json.fingerprints.ja4)
      expect(capture!.fingerprints.ja3.hash).toBe(c.json.fingerprints.ja3_md5)
      expect(capture!.fingerprints.ja4_o).toBe(c.json.fingerprints.ja4_o)
      expect(got.cipherSuites).toEqual(ref.cipherSuites)
      expect(got.extensions.map((e) => e.type)).toEqual(ref.extensions.map((e) => e.type))
      expect(Object.fromEntries(normalisedExtensions(got, ECH_AEADS.firefox))).toEqual(
        Object.fromEntries(normalisedExtensions(ref, ECH_AEADS.firefox)),
      )
      expect(got.message.length).toBe(ref.message.length)
    }
    expect(got.message.length).toBe(1888)
    expect(echPayloadLength(got)).toBe(239)
  })

  it('reuses the X25519 half of the hybrid share as its x25519 share, as the spec says', async () => {
    expect(firefox.reuseX25519InHybrid).toBe(true)
    const { encoded } = helloFor(firefox)
    const { capture } = await sendHello(server, encoded.message)
    const shares = capture!.hello.keyShares!
    expect(shares.map((k) => [k.group, k.keyExchange.length])).toEqual([
      [0x11ec, 1216],
      [0x001d, 32],
      [0x0017, 65],
    ])
    expect(shares[0]!.keyExchange.subarray(1184).equals(shares[1]!.keyExchange)).toBe(true)
  })
})

describe('resumption hellos vs the resumption captures', () => {
  const psk = {
    identities: [{ identity: new Uint8Array(224).fill(7), obfuscatedTicketAge: 123_456 }],
    binderLengths: [48],
  }

  it('firefox: session_ticket dropped, pre_shared_key last, ECH payload 527, 2459 bytes (firefox_ca-04)', () => {
    const ref = listCaptures('firefox-esr-153').find((c) => c.name === 'firefox_ca-04')!
    const refHello = parseClientHello(ref.bin)
    const { encoded } = helloFor(firefox, { psk })
    const got = parseClientHello(encoded.message)
    expect(got.extensions.map((e) => e.type)).toEqual(refHello.extensions.map((e) => e.type))
    expect(got.message.length).toBe(2459)
    expect(echPayloadLength(got)).toBe(527)
    const fp = parseClientHello(encoded.message)
    expect(fp.extensions.at(-1)!.type).toBe(0x0029)
    expect(encoded.bindersOffset).toBe(encoded.message.length - 2 - 49)
    expect(encoded.message.readUInt16BE(encoded.bindersOffset!)).toBe(49)
  })

  it('chrome: pre_shared_key after the last GREASE, JA4 t13d1518h2_8daaf6152771_e2d80978ab2e', async () => {
    const { fingerprintClientHello } = await import('../../src/fingerprint/ja.js')
    const { encoded } = helloFor(chrome, { psk })
    const got = parseClientHello(encoded.message)
    const types = got.extensions.map((e) => e.type)
    expect(types.at(-1)).toBe(0x0029)
    expect(isGrease(types.at(-2)!)).toBe(true)
    expect(types).toContain(0x0023) // Chromium keeps session_ticket
    expect(fingerprintClientHello(got).ja4).toBe('t13d1518h2_8daaf6152771_e2d80978ab2e')
    expect([2200, 2232, 2264, 2296]).toContain(got.message.length) // chromium_ice-03/06/09: 2232, 2296, 2200
  })
})
