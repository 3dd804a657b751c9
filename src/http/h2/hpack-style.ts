/**
 * The browser's HPACK choices on the header blocks node:http2 (nghttp2) encodes (RFC 7541 §6).
 * nghttp2 picks each field's representation (indexed, literal with or without indexing, never
 * indexed) and so owns the dynamic table; two choices that leave the table alone differ between
 * browsers and are redone here, one connection's blocks in order:
 *  - Huffman: nghttp2 and Chromium code a string only when that is shorter; Firefox codes every
 *    string (`Http2Compressor::HuffmanAppend` has no raw branch), so `1`, `?1` and the name `te`
 *    go Huffman-coded at the same length;
 *  - the name reference of a literal: nghttp2 and Chromium point at the static entry (`:path` 4,
 *    `accept` 19); Firefox's lookup (`Http2Compressor::ProcessHeader`) keeps the last entry of
 *    that name in the whole table, so `:path` 5 and, once `accept` is in the dynamic table, the
 *    oldest dynamic `accept`. The styler mirrors the peer's dynamic table (insertions, evictions,
 *    size updates) to know which entry that is.
 * Neither changes what the peer decodes or stores. A block the styler cannot follow (split into
 * CONTINUATION frames, padded, malformed) leaves the mirror unknown: names are then left as they
 * are for the rest of the connection, Huffman is still redone.
 */
import type { HpackStyle } from '../../fingerprint/http.js'
import { huffmanDecode, huffmanEncode } from './huffman.js'

/** Names of the static table, index 1–61 (RFC 7541 Appendix A). */
// prettier-ignore
const STATIC_NAMES: readonly string[] = [
  '', ':authority', ':method', ':method', ':path', ':path', ':scheme', ':scheme', ':status', ':status', ':status',
  ':status', ':status', ':status', ':status', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'accept', 'access-control-allow-origin', 'age', 'allow', 'authorization', 'cache-control',
  'content-disposition', 'content-encoding', 'content-language', 'content-length', 'content-location',
  'content-range', 'content-type', 'cookie', 'date', 'etag', 'expect', 'expires', 'from', 'host', 'if-match',
  'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified', 'link', 'location',
  'max-forwards', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer', 'refresh', 'retry-after',
  'server', 'set-cookie', 'strict-transport-security', 'transfer-encoding', 'user-agent', 'vary', 'via',
  'www-authenticate',
]
const STATIC_COUNT = 61
/** The last static index of each name. */
const LAST_STATIC = new Map(STATIC_NAMES.map((n, i) => [n, i]))
/** The peer's table size until a size update says otherwise (SETTINGS_HEADER_TABLE_SIZE's initial value, RFC 9113 §6.5.2). */
const INITIAL_TABLE_SIZE = 4096

class Unparsable extends Error {}

/** Reads an HPACK integer with an `n`-bit prefix at `at` (RFC 7541 §5.1); returns [value, next offset]. */
function readInt(b: Buffer, at: number, n: number): [number, number] {
  if (at >= b.length) throw new Unparsable()
  const max = (1 << n) - 1
  let v = b[at]! & max
  at++
  if (v < max) return [v, at]
  for (let shift = 0; shift <= 28; shift += 7) {
    if (at >= b.length) throw new Unparsable()
    const byte = b[at++]!
    v += (byte & 0x7f) * 2 ** shift
    if ((byte & 0x80) === 0) return [v, at]
  }
  throw new Unparsable()
}

/** An HPACK integer with an `n`-bit prefix, the prefix octet's other bits set to `flags` (RFC 7541 §5.1). */
function writeInt(v: number, n: number, flags: number): Buffer {
  const max = (1 << n) - 1
  if (v < max) return Buffer.of(flags | v)
  const out = [flags | max]
  v -= max
  while (v >= 128) {
    out.push((v % 128) | 0x80)
    v = Math.floor(v / 128)
  }
  out.push(v)
  return Buffer.from(out)
}

interface Entry {
  readonly name: string
  /** RFC 7541 §4.1: name and value lengths (octets, decoded) + 32. */
  readonly size: number
}

/** One connection's outgoing header blocks, restyled in order (see the module comment). */
export class HeaderBlockStyler {
  readonly #style: HpackStyle
  /** The peer's dynamic table, newest first (index 62 = [0]). */
  readonly #table: Entry[] = []
  #size = 0
  #max = INITIAL_TABLE_SIZE
  #lost = false

  constructor(style: HpackStyle) {
    this.#style = style
  }

  /** Whether blocks need restyling at all (nghttp2's own choices are Chromium's). */
  get active(): boolean {
    return this.#style.huffman !== 'shorter' || this.#style.staticName !== 'first'
  }

  /** A block the styler did not read (CONTINUATION, padding): the mirror is unknown from now on. */
  skipped(): void {
    this.#lost = true
  }

  /** `block` (one whole header block) restyled, or `block` itself when nothing changes. */
  restyle(block: Buffer): Buffer {
    if (!this.active) return block
    const out = new BlockWriter(block)
    try {
      let at = 0
      while (at < block.length) at = this.#field(block, at, out)
    } catch (err) {
      if (!(err instanceof Unparsable)) throw err
      this.#lost = true
      return block
    }
    return out.result()
  }

  #field(block: Buffer, at: number, out: BlockWriter): number {
    const first = block[at]!
    if ((first & 0x80) !== 0) return readInt(block, at, 7)[1] // indexed field
    if ((first & 0xe0) === 0x20) {
      const [max, next] = readInt(block, at, 5) // dynamic table size update
      this.#max = max
      this.#evict(0)
      return next
    }
    const incremental = (first & 0x40) !== 0
    const prefix = incremental ? 6 : 4
    const [index, afterIndex] = readInt(block, at, prefix)
    let name: string
    let at2: number
    if (index === 0) {
      const s = this.#string(block, afterIndex, out)
      name = s.text
      at2 = s.end
    } else {
      name = this.#nameOf(index)
      const last = this.#style.staticName === 'last' && !this.#lost ? this.#lastIndexOf(name, index) : index
      if (last !== index) out.replace(at, afterIndex, writeInt(last, prefix, first & ~((1 << prefix) - 1)))
      at2 = afterIndex
    }
    const value = this.#string(block, at2, out)
    if (incremental) this.#insert({ name, size: Buffer.byteLength(name, 'latin1') + value.length + 32 })
    return value.end
  }

  /** Reads the string at `at` (re-coding it when the style codes every string). */
  #string(block: Buffer, at: number, out: BlockWriter): { text: string; length: number; end: number } {
    const huffman = (block[at]! & 0x80) !== 0
    const [len, start] = readInt(block, at, 7)
    const end = start + len
    if (end > block.length) throw new Unparsable()
    const raw = block.subarray(start, end)
    let decoded: Buffer
    if (huffman) {
      try {
        decoded = huffmanDecode(raw)
      } catch {
        throw new Unparsable()
      }
    } else {
      decoded = raw
      if (this.#style.huffman === 'always') {
        const coded = huffmanEncode(raw)
        out.replace(at, end, Buffer.concat([writeInt(coded.length, 7, 0x80), coded]))
      }
    }
    return { text: decoded.toString('latin1'), length: decoded.length, end }
  }

  /** The name at `index` ('' for an entry the mirror lost track of). */
  #nameOf(index: number): string {
    if (index <= STATIC_COUNT) return STATIC_NAMES[index]!
    const e = this.#table[index - STATIC_COUNT - 1]
    if (e !== undefined) return e.name
    if (this.#lost) return ''
    throw new Unparsable()
  }

  /** The name reference Firefox's lookup ends on: the oldest dynamic entry of that name, else the last static one. */
  #lastIndexOf(name: string, index: number): number {
    for (let i = this.#table.length - 1; i >= 0; i--) if (this.#table[i]!.name === name) return STATIC_COUNT + 1 + i
    return LAST_STATIC.get(name) ?? index
  }

  #insert(e: Entry): void {
    this.#evict(e.size)
    if (e.size > this.#max) return // RFC 7541 §4.4: a larger entry empties the table and is not added
    this.#table.unshift(e)
    this.#size += e.size
  }

  /** Evicts the oldest entries until `room` more octets fit (RFC 7541 §4.4). */
  #evict(room: number): void {
    while (this.#table.length > 0 && this.#size + room > this.#max) this.#size -= this.#table.pop()!.size
  }
}

/** Copies a block with some byte ranges replaced, in order. */
class BlockWriter {
  readonly #src: Buffer
  readonly #parts: Buffer[] = []
  #copied = 0

  constructor(src: Buffer) {
    this.#src = src
  }

  replace(from: number, to: number, bytes: Buffer): void {
    this.#parts.push(this.#src.subarray(this.#copied, from), bytes)
    this.#copied = to
  }

  result(): Buffer {
    if (this.#parts.length === 0) return this.#src
    this.#parts.push(this.#src.subarray(this.#copied))
    return Buffer.concat(this.#parts)
  }
}
