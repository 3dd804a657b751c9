/**
 * Key exchange for the TLS 1.3 key_share extension (RFC 8446 §4.2.8): x25519 (RFC 7748),
 * secp256r1/384r1/521r1 (uncompressed points, §4.2.8.2) and the hybrid X25519MLKEM768
 * (draft-ietf-tls-ecdhe-mlkem: client share = ML-KEM-768 encapsulation key ‖ x25519 key,
 * shared secret = ML-KEM secret ‖ x25519 secret). ML-KEM comes from native node:crypto when
 * the running Node has it (>= 24.7), else from @noble/post-quantum.
 */
import * as nodeCrypto from 'node:crypto'
import { createECDH, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { AlertDescription, NamedGroup, groupName } from '../constants.js'
import { TlsProtocolError, TlsUnsupportedError } from '../errors.js'
import { ffdheShare, isFfdheGroup } from './ffdhe.js'
import { nobleKeyPair } from './mlkem-noble.js'
import type { KeyShare } from './key-share.js'

/** A client key share: the bytes to send and how to combine them with the server's share. */
export type { KeyShare } from './key-share.js'

const MLKEM768_EK_LENGTH = 1184
const MLKEM768_CT_LENGTH = 1088

interface X25519Pair {
  privateKey: KeyObject
  publicKey: Buffer
}

/*
 * x25519 public keys cross node:crypto as JWK (RFC 8037 §2: `x` is the 32-byte u-coordinate,
 * base64url), not as SPKI DER: on Node 20 with OpenSSL 3.0 a DER export costs ~150 µs of CPU and a
 * DER import ~170 µs (OpenSSL's decoder framework), the JWK forms ~8 µs each. Twice per handshake.
 */
function x25519KeyPair(): X25519Pair {
  // The JWK is made inside the key-generation call. Exporting the returned public KeyObject instead
  // can deadlock Node 20: ExportJWK holds the key's mutex while it allocates, and a collection that
  // runs then destroys the finished generation job, whose destructor takes the same mutex.
  const { privateKey, publicKey } = generateKeyPairSync('x25519', {
    publicKeyEncoding: { format: 'jwk' },
  } as never) as unknown as {
    privateKey: KeyObject
    publicKey: { x: string }
  }
  return { privateKey, publicKey: Buffer.from(publicKey.x, 'base64url') }
}

function x25519Derive(pair: X25519Pair, peer: Uint8Array, what: string): Buffer {
  if (peer.length !== 32) {
    throw new TlsProtocolError(
      'bad_key_share_length',
      `${what}: x25519 share of ${peer.length} bytes, expected 32 (RFC 8446 §4.2.8.2)`,
      AlertDescription.illegal_parameter,
    )
  }
  const x = Buffer.from(peer.buffer, peer.byteOffset, peer.length).toString('base64url')
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' })
  const secret = diffieHellman({ privateKey: pair.privateKey, publicKey })
  // RFC 8446 §7.4.2 / RFC 7748 §6.1: an all-zero result means a small-order point.
  if (secret.every((b) => b === 0)) {
    throw new TlsProtocolError(
      'all_zero_shared_secret',
      `${what}: x25519 shared secret is all zeros (RFC 8446 §7.4.2)`,
      AlertDescription.illegal_parameter,
    )
  }
  return secret
}

function x25519Share(pair: X25519Pair = x25519KeyPair()): KeyShare {
  return {
    group: NamedGroup.x25519,
    publicKey: pair.publicKey,
    deriveSecret: (peer) => x25519Derive(pair, peer, 'x25519'),
  }
}

const EC_CURVES: Record<number, { curve: string; coordinate: number }> = {
  [NamedGroup.secp256r1]: { curve: 'prime256v1', coordinate: 32 },
  [NamedGroup.secp384r1]: { curve: 'secp384r1', coordinate: 48 },
  [NamedGroup.secp521r1]: { curve: 'secp521r1', coordinate: 66 },
}

function ecdheShare(group: number): KeyShare {
  const params = EC_CURVES[group]!
  const ecdh = createECDH(params.curve)
  ecdh.generateKeys()
  const name = groupName(group)
  return {
    group,
    publicKey: ecdh.getPublicKey(),
    deriveSecret(peer) {
      // RFC 8446 §4.2.8.2: UncompressedPointRepresentation only.
      if (peer.length !== 1 + 2 * params.coordinate || peer[0] !== 4) {
        throw new TlsProtocolError(
          'bad_key_share_length',
          `${name}: server share is not an uncompressed point of ${1 + 2 * params.coordinate} bytes (RFC 8446 §4.2.8.2)`,
          AlertDescription.illegal_parameter,
        )
      }
      try {
        return ecdh.computeSecret(peer)
      } catch (err) {
        throw new TlsProtocolError(
          'key_share_not_on_curve',
          `${name}: server share is not a point on the curve (RFC 8446 §4.2.8.2)`,
          AlertDescription.illegal_parameter,
          { cause: err },
        )
      }
    },
  }
}

/** ML-KEM-768 decapsulation, native where available. */
interface MlKemKeyPair {
  encapsulationKey: Buffer
  decapsulate(ciphertext: Uint8Array): Buffer
}

type NativeDecapsulate = (key: KeyObject, ciphertext: Uint8Array) => Buffer

function nativeMlKem(): NativeDecapsulate | undefined {
  const decapsulate = (nodeCrypto as unknown as { decapsulate?: NativeDecapsulate }).decapsulate
  if (typeof decapsulate !== 'function') return undefined
  try {
    generateKeyPairSync('ml-kem-768' as 'x25519')
    return decapsulate
  } catch {
    return undefined
  }
}

const native = nativeMlKem()

type NativePair = { privateKey: KeyObject; publicKey: Buffer }

/** Whether generateKeyPairSync knows the `raw-public` encoding (cleared on the first failure). */
let rawPublicEncoding = true

/**
 * A native ML-KEM-768 key pair with its encapsulation key encoded inside generateKeyPairSync: `raw-public` where
 * node:crypto has it, else the tail of the SPKI DER. The returned public KeyObject is never exported afterwards, the
 * pattern that deadlocked Node 20's ExportJWK for x25519 (see x25519KeyPair).
 */
function nativeKeyPair(): { privateKey: KeyObject; encapsulationKey: Buffer } {
  if (rawPublicEncoding) {
    try {
      const { privateKey, publicKey } = generateKeyPairSync(
        'ml-kem-768' as 'x25519',
        {
          publicKeyEncoding: { format: 'raw-public' },
        } as never,
      ) as unknown as NativePair
      return { privateKey, encapsulationKey: publicKey }
    } catch {
      rawPublicEncoding = false
    }
  }
  const { privateKey, publicKey } = generateKeyPairSync(
    'ml-kem-768' as 'x25519',
    {
      publicKeyEncoding: { format: 'der', type: 'spki' },
    } as never,
  ) as unknown as NativePair
  return { privateKey, encapsulationKey: Buffer.from(publicKey.subarray(publicKey.length - MLKEM768_EK_LENGTH)) }
}

/** Which ML-KEM implementation this process uses: 'node:crypto' (Node >= 24.7) or '@noble/post-quantum'. */
export const mlKemBackend: 'node:crypto' | '@noble/post-quantum' = native ? 'node:crypto' : '@noble/post-quantum'

function mlKemKeyPair(forceBackend?: 'node:crypto' | '@noble/post-quantum'): MlKemKeyPair {
  const useNative = forceBackend ? forceBackend === 'node:crypto' : native !== undefined
  if (useNative) {
    if (!native)
      throw new TlsUnsupportedError(
        'native_ml_kem_unavailable',
        'native ML-KEM-768 is not available in this Node.js (needs >= 24.7)',
      )
    const { privateKey, encapsulationKey } = nativeKeyPair()
    if (encapsulationKey.length !== MLKEM768_EK_LENGTH)
      throw new TlsUnsupportedError(
        'bad_native_ml_kem_key',
        `native ML-KEM-768 gave an encapsulation key of ${encapsulationKey.length} bytes, expected ${MLKEM768_EK_LENGTH}`,
      )
    return {
      encapsulationKey,
      decapsulate: (ct) => Buffer.from(native(privateKey, ct)),
    }
  }
  const { publicKey, secretKey } = nobleKeyPair()
  return {
    encapsulationKey: Buffer.from(publicKey),
    decapsulate: (ct) => Buffer.from(ml_kem768.decapsulate(ct, secretKey)),
  }
}

function hybridShare(x25519: X25519Pair, backend?: 'node:crypto' | '@noble/post-quantum'): KeyShare {
  const kem = mlKemKeyPair(backend)
  return {
    group: NamedGroup.X25519MLKEM768,
    publicKey: Buffer.concat([kem.encapsulationKey, x25519.publicKey]),
    deriveSecret(peer) {
      if (peer.length !== MLKEM768_CT_LENGTH + 32) {
        throw new TlsProtocolError(
          'bad_key_share_length',
          `X25519MLKEM768: server share of ${peer.length} bytes, expected ${MLKEM768_CT_LENGTH + 32} (draft-ietf-tls-ecdhe-mlkem §3)`,
          AlertDescription.illegal_parameter,
        )
      }
      const kemSecret = kem.decapsulate(peer.subarray(0, MLKEM768_CT_LENGTH))
      const ecdhSecret = x25519Derive(x25519, peer.subarray(MLKEM768_CT_LENGTH), 'X25519MLKEM768')
      return Buffer.concat([kemSecret, ecdhSecret])
    },
  }
}

/** Groups an ECDHE ServerKeyExchange may name in TLS 1.2 (RFC 8422 §5.1.1; hybrids and FFDHE shares are TLS 1.3 only here). */
export const TLS12_ECDHE_GROUPS: ReadonlySet<number> = new Set([
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
  NamedGroup.secp521r1,
])

/** Groups this engine can complete a TLS 1.3 key exchange with. */
export const SUPPORTED_KEY_SHARE_GROUPS: ReadonlySet<number> = new Set([
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
  NamedGroup.secp521r1,
  NamedGroup.X25519MLKEM768,
  NamedGroup.ffdhe2048,
  NamedGroup.ffdhe3072,
])

export interface KeyShareOptions {
  /** Firefox: the x25519 share reuses the X25519 half of the X25519MLKEM768 share. */
  reuseX25519InHybrid?: boolean
  /** Force an ML-KEM implementation (tests compare both). */
  mlKemBackend?: 'node:crypto' | '@noble/post-quantum'
}

/**
 * Generates one key share per group, in order.
 * @throws TlsUnsupportedError for a group this engine cannot do.
 */
export function generateKeyShares(groups: readonly number[], options: KeyShareOptions = {}): KeyShare[] {
  let sharedX25519: X25519Pair | undefined
  const x25519For = (): X25519Pair => {
    if (!options.reuseX25519InHybrid) return x25519KeyPair()
    sharedX25519 ??= x25519KeyPair()
    return sharedX25519
  }
  return groups.map((group) => {
    if (group === NamedGroup.x25519) return x25519Share(x25519For())
    if (group === NamedGroup.X25519MLKEM768) return hybridShare(x25519For(), options.mlKemBackend)
    if (EC_CURVES[group]) return ecdheShare(group)
    if (isFfdheGroup(group)) return ffdheShare(group)
    throw new TlsUnsupportedError('unsupported_group', `key share for group ${groupName(group)} is not supported`)
  })
}
