/**
 * Reads a header block's representations (RFC 7541 §6) as the encoder chose them: kind, name
 * reference, Huffman flags and the decoded strings. The tests compare hotconn's HEADERS with the
 * browsers' captured ones at this level (the values of `:authority` and `:path` aside).
 */
import { huffmanDecode } from '../../../src/http/h2/huffman.js'

export interface Representation {
  kind: 'indexed' | 'incremental' | 'without' | 'never' | 'size-update'
  /** Table index of the field (indexed) or of the name (literals; 0 = literal name). */
  index: number
  name?: { huffman: boolean; value: string }
  value?: { huffman: boolean; value: string }
}

function int(b: Buffer, at: number, n: number): [number, number] {
  const max = (1 << n) - 1
  let v = b[at]! & max
  at++
  if (v < max) return [v, at]
  for (let shift = 0; ; shift += 7) {
    const byte = b[at++]!
    v += (byte & 0x7f) * 2 ** shift
    if ((byte & 0x80) === 0) return [v, at]
  }
}

function str(b: Buffer, at: number): [{ huffman: boolean; value: string }, number] {
  const huffman = (b[at]! & 0x80) !== 0
  const [len, start] = int(b, at, 7)
  const raw = b.subarray(start, start + len)
  return [{ huffman, value: (huffman ? huffmanDecode(raw) : raw).toString('latin1') }, start + len]
}

export function readRepresentations(block: Buffer): Representation[] {
  const out: Representation[] = []
  let at = 0
  while (at < block.length) {
    const first = block[at]!
    if ((first & 0x80) !== 0) {
      const [index, next] = int(block, at, 7)
      out.push({ kind: 'indexed', index })
      at = next
      continue
    }
    if ((first & 0xe0) === 0x20) {
      const [index, next] = int(block, at, 5)
      out.push({ kind: 'size-update', index })
      at = next
      continue
    }
    const kind = (first & 0x40) !== 0 ? 'incremental' : (first & 0x10) !== 0 ? 'never' : 'without'
    const [index, next] = int(block, at, kind === 'incremental' ? 6 : 4)
    const r: Representation = { kind, index }
    at = next
    if (index === 0) [r.name, at] = str(block, at)
    ;[r.value, at] = str(block, at)
    out.push(r)
  }
  return out
}
