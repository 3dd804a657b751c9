/** Comparing a ClientHello with the reference captures, field by field, minus what is random per connection. */
import { isGrease } from '../../src/fingerprint/grease.js'
import { type ParsedClientHello, parseClientHello } from '../../src/fingerprint/parse.js'
import { ByteReader } from '../../src/util/bytes.js'
import type { ReferenceCapture } from './captures.js'
import { normGrease } from './helpers.js'

/**
 * What is random per connection and therefore left out of the body comparison. Everything else
 * in the hello must equal the capture byte for byte.
 */
export const RANDOM_PER_CONNECTION = [
  'random',
  'legacy_session_id',
  'key_share key_exchange bytes (only group and length compared)',
  'GREASE values (cipher, extension types, groups, key share group, versions, signature algorithms)',
  'GREASE ECH config_id, enc bytes and payload bytes (type, kdf, aead, enc length compared; payload length checked against the allowed set)',
  'Chromium only: extension order',
  'Firefox only: GREASE ECH AEAD id, 0x0001 or 0x0003 (firefox-01 vs firefox-02/03)',
] as const

/** GREASE ECH AEAD ids each browser draws from (Chromium always 0x0001). */
export const ECH_AEADS = { chrome: [0x0001], firefox: [0x0001, 0x0003] }

const EXT_KEY_SHARE = 0x0033
const EXT_ECH = 0xfe0d

/** An extension body with the per-connection random fields removed. */
function normaliseBody(type: number, body: Buffer, hello: ParsedClientHello, echAeads: readonly number[]): unknown {
  switch (type) {
    case 0x000a:
      return normGrease(hello.supportedGroups)
    case 0x000d:
      return normGrease(hello.signatureAlgorithms)
    case 0x002b:
      return normGrease(hello.supportedVersions)
    case EXT_KEY_SHARE:
      return hello.keyShares!.map((ks) => [isGrease(ks.group) ? 'GREASE' : ks.group, ks.keyExchange.length])
    case EXT_ECH: {
      const r = new ByteReader(body)
      const type = r.u8()
      const kdf = r.u16()
      const aeadId = r.u16()
      const aead = echAeads.includes(aeadId) ? `one of ${echAeads.join('|')}` : aeadId
      const outer = { type, kdf, aead }
      r.u8() // config_id: random
      const enc = r.vec(2).length
      r.vec(2) // payload: random, its length is checked separately
      r.expectEmpty()
      return { ...outer, enc }
    }
    default:
      return body.toString('hex')
  }
}

/** Extensions keyed by type ('GREASE-first'/'GREASE-last' for GREASE ones), bodies normalised. */
export function normalisedExtensions(hello: ParsedClientHello, echAeads: readonly number[]): Map<string, unknown> {
  const out = new Map<string, unknown>()
  hello.extensions.forEach((e, i) => {
    const key = isGrease(e.type) ? (i === 0 ? 'GREASE-first' : 'GREASE-other') : e.type.toString(16).padStart(4, '0')
    out.set(key, normaliseBody(e.type, e.body, hello, echAeads))
  })
  return out
}

export function echPayloadLength(hello: ParsedClientHello): number {
  const r = new ByteReader(hello.extensions.find((e) => e.type === EXT_ECH)!.body)
  r.bytes(6)
  r.vec(2)
  return r.vec(2).length
}

export const withoutPsk = (captures: ReferenceCapture[]) =>
  captures.filter((c) => !parseClientHello(c.bin).extensions.some((e) => e.type === 0x0029))
