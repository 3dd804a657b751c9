/**
 * A strict DER reader (X.690 §8, §10) for certificate decoding: definite, minimal lengths; minimal tag
 * numbers; every byte accounted for. Values are views into the certificate's Buffer (no copies), so a large
 * certificate costs its size in work, not more. Every function throws a plain Error on a structure it does
 * not expect; `parseCertificate` turns those into TlsCertificateError('malformed').
 */

export const TagClass = { universal: 0, application: 1, context: 2, private: 3 } as const

/** Universal tag numbers (X.680 §8.4). */
export const Tag = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  utf8String: 12,
  sequence: 16,
  set: 17,
  printableString: 19,
  teletexString: 20,
  ia5String: 22,
  utcTime: 23,
  generalizedTime: 24,
  universalString: 28,
  bmpString: 30,
} as const

/** One TLV: tag, and where its whole encoding and its contents lie in `buf`. */
export interface Der {
  readonly buf: Buffer
  readonly tagClass: number
  readonly constructed: boolean
  readonly tag: number
  /** Offset of the identifier octet. */
  readonly start: number
  readonly valueStart: number
  readonly end: number
}

/** Decodes the single TLV that fills `buf` (trailing bytes are an error). */
export function readDer(buf: Buffer): Der {
  const node = readTlv(buf, 0, buf.length)
  if (node.end !== buf.length) throw new Error('trailing bytes after the DER value')
  return node
}

function readTlv(buf: Buffer, at: number, limit: number): Der {
  if (at >= limit) throw new Error('DER value truncated')
  const start = at
  const id = buf[at++]!
  const tagClass = id >> 6
  const constructed = (id & 0x20) !== 0
  let tag = id & 0x1f
  if (tag === 0x1f) {
    tag = 0
    let first = true
    for (;;) {
      if (at >= limit) throw new Error('DER tag truncated')
      const b = buf[at++]!
      if (first && b === 0x80) throw new Error('DER tag number is not minimal')
      first = false
      tag = tag * 128 + (b & 0x7f)
      if (tag > 0xffffff) throw new Error('DER tag number too large')
      if (!(b & 0x80)) break
    }
    if (tag < 0x1f) throw new Error('DER tag number is not minimal')
  }
  if (at >= limit) throw new Error('DER length truncated')
  let length = buf[at++]!
  if (length & 0x80) {
    const n = length & 0x7f
    if (n === 0) throw new Error('indefinite length is not DER')
    if (n > 4) throw new Error('DER length too large')
    if (at + n > limit) throw new Error('DER length truncated')
    if (buf[at] === 0) throw new Error('DER length is not minimal')
    length = 0
    for (let i = 0; i < n; i++) length = length * 256 + buf[at++]!
    if (length < 0x80) throw new Error('DER length is not minimal')
  }
  if (at + length > limit) throw new Error('DER value runs past its container')
  return { buf, tagClass, constructed, tag, start, valueStart: at, end: at + length }
}

/** The TLVs inside a constructed value. */
export function children(node: Der | undefined): Der[] {
  if (!node || !node.constructed) throw new Error('expected a constructed DER value')
  const out: Der[] = []
  for (let at = node.valueStart; at < node.end;) {
    const child = readTlv(node.buf, at, node.end)
    out.push(child)
    at = child.end
  }
  return out
}

export function value(node: Der): Buffer {
  return node.buf.subarray(node.valueStart, node.end)
}

/** The whole encoding (identifier, length, contents). */
export function encoding(node: Der): Buffer {
  return node.buf.subarray(node.start, node.end)
}

export function isUniversal(node: Der | undefined, tag: number): node is Der {
  return node !== undefined && node.tagClass === TagClass.universal && node.tag === tag
}

export function isContext(node: Der | undefined, tag: number): node is Der {
  return node !== undefined && node.tagClass === TagClass.context && node.tag === tag
}

/** A universal-class value of `tag`, primitive or constructed as X.690 requires, else an error. */
export function expect(node: Der | undefined, tag: number, what: string): Der {
  if (!isUniversal(node, tag)) throw new Error(`expected ${what}`)
  const mustConstruct = tag === Tag.sequence || tag === Tag.set
  if (node.constructed !== mustConstruct) throw new Error(`${what} has the wrong form (X.690 §10.2)`)
  return node
}

export function sequence(node: Der | undefined, what: string): Der[] {
  return children(expect(node, Tag.sequence, `a SEQUENCE (${what})`))
}

/** Contents of a primitive value (any class); an error for a constructed one. */
export function primitive(node: Der | undefined, what: string): Buffer {
  if (!node || node.constructed) throw new Error(`expected a primitive value (${what})`)
  return value(node)
}

const oidCache = new Map<string, string>()

/** OBJECT IDENTIFIER in dotted form (X.690 §8.19), minimal sub-identifiers. */
export function oid(node: Der | undefined): string {
  const v = primitive(expect(node, Tag.oid, 'an OBJECT IDENTIFIER'), 'OID')
  const key = v.length <= 16 ? v.toString('latin1') : undefined
  const known = key === undefined ? undefined : oidCache.get(key)
  if (known !== undefined) return known
  const text = decodeOid(v)
  if (key !== undefined && oidCache.size < 1024) oidCache.set(key, text)
  return text
}

function decodeOid(v: Buffer): string {
  if (v.length === 0) throw new Error('empty OBJECT IDENTIFIER')
  const arcs: number[] = []
  let n = 0
  let fresh = true
  for (const b of v) {
    if (fresh && b === 0x80) throw new Error('OBJECT IDENTIFIER arc is not minimal')
    fresh = false
    n = n * 128 + (b & 0x7f)
    if (n > Number.MAX_SAFE_INTEGER / 128) throw new Error('OBJECT IDENTIFIER arc too large')
    if (!(b & 0x80)) {
      if (arcs.length === 0) arcs.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80)
      else arcs.push(n)
      n = 0
      fresh = true
    }
  }
  if (!fresh) throw new Error('OBJECT IDENTIFIER truncated')
  return arcs.join('.')
}

/** BOOLEAN in DER: one byte, 0x00 or 0xff (X.690 §11.1). */
export function boolean(node: Der | undefined): boolean {
  const v = primitive(expect(node, Tag.boolean, 'a BOOLEAN'), 'BOOLEAN')
  if (v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff)) throw new Error('BOOLEAN is not DER (one byte, 00 or FF)')
  return v[0] === 0xff
}

/** INTEGER contents, checked for minimal two's-complement encoding (X.690 §8.3.2). */
export function integerBytes(node: Der | undefined, what: string): Buffer {
  const v = primitive(expect(node, Tag.integer, `an INTEGER (${what})`), what)
  if (v.length === 0) throw new Error(`${what}: empty INTEGER`)
  if (v.length > 1 && ((v[0] === 0 && !(v[1]! & 0x80)) || (v[0] === 0xff && v[1]! & 0x80)))
    throw new Error(`${what}: INTEGER is not minimally encoded`)
  return v
}

/** A non-negative INTEGER that fits 48 bits. */
export function smallInteger(node: Der | undefined, what: string): number {
  return smallIntegerOf(integerBytes(node, what), what)
}

export function smallIntegerOf(v: Buffer, what: string): number {
  if (v[0]! & 0x80) throw new Error(`${what} is negative`)
  if (v.length > 6) throw new Error(`${what} is too large`)
  let n = 0
  for (const b of v) n = n * 256 + b
  return n
}
