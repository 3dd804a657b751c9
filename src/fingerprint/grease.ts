/**
 * GREASE (RFC 8701): reserved codepoints a client sprinkles into its ClientHello so that servers
 * keep tolerating unknown values. The 16 values are 0x0a0a, 0x1a1a, …, 0xfafa (RFC 8701 §2).
 *
 * Chromium (BoringSSL `ssl_get_grease_value`) draws one value per use per connection:
 * cipher suite, supported group (the same value is the key_share GREASE group, with a 1-byte
 * key 0x00), the two GREASE extensions (always different from each other), supported_versions
 * and signature_algorithms.
 */
import { type RandomSource, defaultRandom, randomBelow } from './random.js'

/** The 16 GREASE values of RFC 8701 §2, in increasing order. */
export const GREASE_VALUES: readonly number[] = Array.from({ length: 16 }, (_, i) => 0x0a0a + 0x1010 * i)

/** True for a GREASE value (RFC 8701 §2: both bytes equal, low nibble 0xa). */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff)
}

/** A uniformly chosen GREASE value. */
export function randomGrease(rng: RandomSource = defaultRandom): number {
  return GREASE_VALUES[randomBelow(rng, GREASE_VALUES.length)]!
}

/** The GREASE values of one connection, one per place a ClientHello can carry GREASE. */
export interface GreaseChoice {
  readonly cipherSuite: number
  /** supported_groups GREASE; the key_share GREASE entry uses the same group. */
  readonly group: number
  /** The first GREASE extension type. */
  readonly extension1: number
  /** The second GREASE extension type; never equal to `extension1`. */
  readonly extension2: number
  readonly version: number
  readonly signatureAlgorithm: number
}

/** Draws the GREASE values for one connection (Chromium's rules, see the module doc). */
export function chooseGrease(rng: RandomSource = defaultRandom): GreaseChoice {
  const extension1 = randomGrease(rng)
  // BoringSSL flips a bit pattern when the two extension values collide; a uniform draw among
  // the 15 others gives the same "always different" property.
  const others = GREASE_VALUES.filter((v) => v !== extension1)
  const extension2 = others[randomBelow(rng, others.length)]!
  return {
    cipherSuite: randomGrease(rng),
    group: randomGrease(rng),
    extension1,
    extension2,
    version: randomGrease(rng),
    signatureAlgorithm: randomGrease(rng),
  }
}
