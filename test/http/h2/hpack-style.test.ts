import { describe, expect, it } from 'vitest'
import { huffmanDecode, huffmanEncode, huffmanLength } from '../../../src/http/h2/huffman.js'
import { HeaderBlockStyler } from '../../../src/http/h2/hpack-style.js'
import { readRepresentations } from '../helpers/hpack-reader.js'

const FIREFOX = { huffman: 'always', staticName: 'last', neverIndexed: [] } as const
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

describe('HPACK Huffman code (RFC 7541 Appendix B)', () => {
  it('encodes the RFC 7541 C.4 examples', () => {
    const cases: Array<[string, string]> = [
      ['www.example.com', 'f1e3 c2e5 f23a 6ba0 ab90 f4ff'],
      ['no-cache', 'a8eb 1064 9cbf'],
      ['custom-key', '25a8 49e9 5ba9 7d7f'],
      ['custom-value', '25a8 49e9 5bb8 e8b4 bf'],
    ]
    for (const [text, coded] of cases) {
      expect(huffmanEncode(Buffer.from(text)).toString('hex')).toBe(hex(coded).toString('hex'))
      expect(huffmanDecode(hex(coded)).toString()).toBe(text)
      expect(huffmanLength(Buffer.from(text))).toBe(hex(coded).length)
    }
  })

  it('round-trips every octet; rejects padding that is not EOS', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    expect(huffmanDecode(huffmanEncode(all)).equals(all)).toBe(true)
    expect(() => huffmanDecode(Buffer.of(0x00))).toThrow(/padding/) // '0' + 3 zero bits
    expect(() => huffmanDecode(Buffer.of(0xff, 0xff, 0xff, 0xff))).toThrow(/EOS/) // 30 ones = EOS
  })
})

describe('HeaderBlockStyler', () => {
  it('Firefox: :path as static name 5, every raw string Huffman-coded, names of the dynamic table', () => {
    const s = new HeaderBlockStyler(FIREFOX)
    // :method GET; :path "/a" (without indexing, name 4, raw); accept "x" (incremental, name 19, raw)
    const first = s.restyle(hex('82 0402 2f61 5301 78'))
    expect(readRepresentations(first)).toEqual([
      { kind: 'indexed', index: 2 },
      { kind: 'without', index: 5, value: { huffman: true, value: '/a' } },
      { kind: 'incremental', index: 19, value: { huffman: true, value: 'x' } },
    ])
    // accept "y": nghttp2 names static 19; Firefox's lookup ends on the dynamic accept (62).
    expect(readRepresentations(s.restyle(hex('5301 79')))).toEqual([
      { kind: 'incremental', index: 62, value: { huffman: true, value: 'y' } },
    ])
    // Now two dynamic accepts: the oldest is 63.
    expect(readRepresentations(s.restyle(hex('5301 7a')))[0]!.index).toBe(63)
  })

  it('after a block it could not read, leaves names alone and still Huffman-codes', () => {
    const s = new HeaderBlockStyler(FIREFOX)
    s.restyle(hex('5301 78'))
    s.skipped()
    expect(readRepresentations(s.restyle(hex('5301 79')))).toEqual([
      { kind: 'incremental', index: 19, value: { huffman: true, value: 'y' } },
    ])
  })

  it('Chromium (nghttp2 choices) and malformed blocks pass through untouched', () => {
    const block = hex('82 0402 2f61')
    expect(new HeaderBlockStyler({ huffman: 'shorter', staticName: 'first', neverIndexed: [] }).restyle(block)).toBe(
      block,
    )
    const cut = hex('82 040a 2f61') // the string runs past the end
    expect(new HeaderBlockStyler(FIREFOX).restyle(cut)).toBe(cut)
  })

  it('evicts with the table: a size update to 0 empties it', () => {
    const s = new HeaderBlockStyler(FIREFOX)
    s.restyle(hex('5301 78'))
    expect(readRepresentations(s.restyle(hex('20 3fe1 1f 5301 79')))).toEqual([
      { kind: 'size-update', index: 0 },
      { kind: 'size-update', index: 4096 },
      { kind: 'incremental', index: 19, value: { huffman: true, value: 'y' } },
    ])
  })
})
