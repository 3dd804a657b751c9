import { describe, expect, it } from 'vitest'
import { parseClientHello, readClientHelloRecords } from '../../src/fingerprint/parse.js'
import { DecodeError } from '../../src/util/bytes.js'
import { loadCapture, toRecords } from './captures.js'

const chromium = loadCapture('chromium-156', 'chromium-01').bin
const firefox = loadCapture('firefox-esr-153', 'firefox-01').bin

/** Rebuilds a handshake message from a body (fixes the 3-byte length). */
function message(body: Buffer): Buffer {
  const head = Buffer.from([1, 0, 0, 0])
  head.writeUIntBE(body.length, 1, 3)
  return Buffer.concat([head, body])
}

describe('parseClientHello', () => {
  it('decodes the fields of a Chromium capture', () => {
    const h = parseClientHello(chromium)
    expect(h.legacyVersion).toBe(0x0303)
    expect(h.random.toString('hex')).toBe('33d15aff404fe0d3d3b211bdf2f14cb3a3c9c0ea00442bdc5628441000566489')
    expect(h.sessionId.length).toBe(32)
    expect(h.cipherSuites).toHaveLength(16)
    expect(h.cipherSuites[0]).toBe(0x7a7a)
    expect(h.compressionMethods).toEqual([0])
    expect(h.extensions).toHaveLength(19)
    expect(h.extensions[0]).toMatchObject({ type: 0x7a7a })
    expect(h.serverName).toBe('tiles.test')
    expect(h.alpn).toEqual(['h2', 'http/1.1'])
    expect(h.supportedGroups).toEqual([0x9a9a, 0x11ec, 0x001d, 0x0017, 0x0018])
    expect(h.keyShares!.map((k) => [k.group, k.keyExchange.length])).toEqual([
      [0x9a9a, 1],
      [0x11ec, 1216],
      [0x001d, 32],
    ])
    expect(h.signatureAlgorithms![0]).toBe(0x1a1a)
    expect(h.supportedVersions).toEqual([0x5a5a, 0x0304, 0x0303])
    expect(h.ecPointFormats).toEqual([0])
    expect(h.recordVersion).toBeUndefined()
    expect(h.message.equals(chromium)).toBe(true)
  })

  it('accepts the record form, one record or fragmented', () => {
    for (const fragment of [16_384, 1000, 1]) {
      const h = parseClientHello(toRecords(firefox, 0x0301, fragment))
      expect(h.recordVersion).toBe(0x0301)
      expect(h.message.equals(firefox)).toBe(true)
      expect(h.keyShares).toHaveLength(3)
    }
  })

  it('rejects truncated input at every length', () => {
    for (let n = 0; n < firefox.length; n += 37) {
      expect(() => parseClientHello(firefox.subarray(0, n)), `prefix of ${n} bytes`).toThrow(DecodeError)
    }
    expect(() => parseClientHello(firefox.subarray(0, firefox.length - 1))).toThrow(DecodeError)
    const records = toRecords(firefox)
    expect(() => parseClientHello(records.subarray(0, records.length - 1))).toThrow(DecodeError)
  })

  it('rejects trailing bytes after the message and after the records', () => {
    expect(() => parseClientHello(Buffer.concat([firefox, Buffer.from([0])]))).toThrow(/trailing|after/)
    expect(() => parseClientHello(Buffer.concat([toRecords(firefox), Buffer.from([0x16])]))).toThrow(DecodeError)
    // Trailing bytes inside the body (after the extensions block), length fixed up.
    expect(() => parseClientHello(message(Buffer.concat([firefox.subarray(4), Buffer.from([0, 0])])))).toThrow(
      DecodeError,
    )
  })

  it('rejects a duplicate extension', () => {
    const h = parseClientHello(firefox)
    const extStart =
      4 + 2 + 32 + 1 + h.sessionId.length + 2 + h.cipherSuites.length * 2 + 1 + h.compressionMethods.length
    const extLen = firefox.readUInt16BE(extStart)
    // Append a second extended_master_secret (0x0017, empty) to the extensions block.
    const body = Buffer.concat([
      firefox.subarray(4, extStart),
      Buffer.alloc(2),
      firefox.subarray(extStart + 2),
      Buffer.from([0x00, 0x17, 0x00, 0x00]),
    ])
    body.writeUInt16BE(extLen + 4, extStart - 4)
    expect(() => parseClientHello(message(body))).toThrow(/appears twice/)
    // Sanity: the same surgery with a new, unique type parses.
    const ok = Buffer.from(body)
    ok.writeUInt16BE(0x7777, ok.length - 4)
    expect(parseClientHello(message(ok)).extensions.at(-1)!.type).toBe(0x7777)
  })

  it('rejects other handshake messages, other record types and malformed extension bodies', () => {
    const notHello = Buffer.from(firefox)
    notHello[0] = 2
    expect(() => parseClientHello(notHello)).toThrow(DecodeError)
    const alert = Buffer.from([21, 3, 3, 0, 2, 2, 40])
    expect(() => parseClientHello(alert)).toThrow(DecodeError)
    expect(() => readClientHelloRecords(Buffer.from('GET / HTTP/1.1\r\n'))).toThrow(DecodeError)
    // supported_versions with an odd-length list: 0x002b body 03 03 04 03
    const bad = Buffer.concat([
      Buffer.from('0303', 'hex'),
      Buffer.alloc(32),
      Buffer.from([0]),
      Buffer.from('00021301', 'hex'),
      Buffer.from('0100', 'hex'),
      Buffer.from('0008002b000403030403', 'hex'),
    ])
    expect(() => parseClientHello(message(bad))).toThrow(DecodeError)
  })
})

describe('readClientHelloRecords', () => {
  it('asks for more bytes until the last record is in', () => {
    const records = toRecords(firefox, 0x0301, 500)
    for (const n of [0, 3, 5, 505, records.length - 1])
      expect(readClientHelloRecords(records.subarray(0, n))).toBeUndefined()
    const done = readClientHelloRecords(Buffer.concat([records, Buffer.from([0x14, 3, 3, 0, 1, 1])]))
    expect(done!.consumed).toBe(records.length)
    expect(done!.message.equals(firefox)).toBe(true)
  })
})
