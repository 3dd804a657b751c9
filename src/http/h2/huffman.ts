/**
 * HPACK's static Huffman code (RFC 7541 §5.2, Appendix B): the encoder, and the decoder the
 * tests read captured header blocks with. The code is canonical (codes of one length are
 * consecutive, in symbol order, and each length starts where the previous one ended, shifted),
 * so the table is the bit length of each symbol's code, 0–255 and EOS (256), transcribed from
 * Appendix B; the codes follow from it. `HUFFMAN_CODES[48]` ('0') is 0b00000 (5 bits),
 * `HUFFMAN_CODES[256]` (EOS) 0x3fffffff (30 bits), as in the appendix.
 */

/** Code length in bits of symbols 0–256 (RFC 7541 Appendix B, column "len in bits"). */
// prettier-ignore
const LENGTHS: readonly number[] = [
  // 0–31: control characters
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  // 32–63: ' ' ! " # $ % & ' ( ) * + , - . / 0–9 : ; < = > ?
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  // 64–95: @ A–Z [ \ ] ^ _
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  // 96–127: ` a–z { | } ~ DEL
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  // 128–255
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  // 256: EOS
  30,
]

/** The canonical codes of LENGTHS (right-aligned). */
function canonicalCodes(lengths: readonly number[]): number[] {
  const order = lengths.map((len, sym) => ({ len, sym })).sort((a, b) => a.len - b.len || a.sym - b.sym)
  const codes = new Array<number>(lengths.length).fill(0)
  let code = 0
  let prevLen = order[0]!.len
  for (const { len, sym } of order) {
    code *= 2 ** (len - prevLen)
    prevLen = len
    codes[sym] = code
    code++
  }
  // A complete prefix code: the last (longest) code is all ones (EOS, RFC 7541 §5.2).
  if (code !== 2 ** prevLen) throw new Error('HPACK Huffman table is not a complete prefix code')
  return codes
}

/** Right-aligned code of each symbol 0–256. */
export const HUFFMAN_CODES: readonly number[] = canonicalCodes(LENGTHS)
/** Bit length of each symbol's code. */
export const HUFFMAN_LENGTHS: readonly number[] = LENGTHS

/** Length in bytes of `s` Huffman-coded, padding included. */
export function huffmanLength(s: Uint8Array): number {
  let bits = 0
  for (const b of s) bits += LENGTHS[b]!
  return Math.ceil(bits / 8)
}

/** `s` Huffman-coded, padded to a byte with the most significant bits of EOS (all ones). */
export function huffmanEncode(s: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(huffmanLength(s))
  let acc = 0 // pending bits, at most 7 + 30 < 2^53
  let n = 0
  let at = 0
  for (const b of s) {
    const len = LENGTHS[b]!
    acc = acc * 2 ** len + HUFFMAN_CODES[b]!
    n += len
    while (n >= 8) {
      n -= 8
      const div = 2 ** n
      out[at++] = Math.floor(acc / div)
      acc %= div
    }
  }
  if (n > 0) out[at++] = acc * 2 ** (8 - n) + (2 ** (8 - n) - 1)
  return out
}

/** The code as a binary trie: node n's children at 2n (0 bit) and 2n+1 (1 bit); a leaf is ~symbol. */
let trie: Int32Array | undefined

function buildTrie(): Int32Array {
  const t = new Int32Array(2 * 512).fill(0)
  let nodes = 1
  for (let sym = 0; sym <= 256; sym++) {
    const len = LENGTHS[sym]!
    const code = HUFFMAN_CODES[sym]!
    let node = 0
    for (let i = len - 1; i >= 0; i--) {
      const slot = 2 * node + (Math.floor(code / 2 ** i) % 2)
      if (i === 0) t[slot] = ~sym
      else {
        if (t[slot] === 0) t[slot] = nodes++
        node = t[slot]!
      }
    }
  }
  return t
}

/**
 * Decodes a Huffman-coded string (RFC 7541 §5.2): codes, then at most 7 bits of EOS padding.
 * @throws Error on EOS in the data or padding that is not EOS's first bits
 */
export function huffmanDecode(data: Uint8Array): Buffer {
  const t = (trie ??= buildTrie())
  const out = Buffer.allocUnsafe(Math.floor((data.length * 8) / 5))
  let n = 0
  let node = 0
  let depth = 0
  let ones = true
  for (const byte of data) {
    for (let bit = 7; bit >= 0; bit--) {
      const b = (byte >> bit) & 1
      const next = t[2 * node + b]!
      ones &&= b === 1
      depth++
      if (next < 0) {
        const sym = ~next
        if (sym === 256) throw new Error('HPACK Huffman: EOS in the string')
        out[n++] = sym
        node = 0
        depth = 0
        ones = true
      } else node = next
    }
  }
  if (depth > 7 || !ones) throw new Error('HPACK Huffman: padding is not EOS')
  return out.subarray(0, n)
}
