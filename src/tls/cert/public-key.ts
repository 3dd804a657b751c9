/**
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) to a node:crypto KeyObject, and certificate signature
 * verification (RFC 5280 §4.1.1.3) with node:crypto `verify` over the TBSCertificate.
 *
 * RSA, EC and EdDSA keys are imported as JWK (RFC 7517) built from the SPKI fields: on Node 20 (OpenSSL 3.0)
 * that is several times faster than importing the SPKI DER or constructing an X509Certificate, whose
 * decoders cost ~0.4 ms per key. Other keys (RSASSA-PSS, ML-DSA) are imported from the SPKI DER.
 */
import * as crypto from 'node:crypto'
import {
  children,
  expect,
  integerBytes,
  isContext,
  oid,
  primitive,
  readDer,
  sequence,
  smallInteger,
  Tag,
  value,
} from './der.js'
import type { Der } from './der.js'

export const KEY_OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
} as const

const JWK_CURVES: Readonly<Record<string, { crv: string; bytes: number }>> = {
  '1.2.840.10045.3.1.7': { crv: 'P-256', bytes: 32 },
  '1.3.132.0.34': { crv: 'P-384', bytes: 48 },
  '1.3.132.0.35': { crv: 'P-521', bytes: 66 },
}

/** The SPKI algorithm, its key bits and, for RSA, the modulus size. */
export interface SubjectPublicKey {
  readonly algorithm: string
  /** id-ecPublicKey: the namedCurve OID; undefined for explicit (specifiedCurve) or absent parameters. */
  readonly namedCurve: string | undefined
  readonly explicitCurve: boolean
  /** RSA modulus length in bits (rsaEncryption and RSASSA-PSS keys). */
  readonly rsaBits: number | undefined
  /** The whole SubjectPublicKeyInfo DER. */
  readonly spki: Buffer
  /** The subjectPublicKey BIT STRING contents after the unused-bits byte. */
  readonly keyBits: Buffer
}

export function decodeSubjectPublicKey(spkiNode: Der, spki: Buffer): SubjectPublicKey {
  const [alg, key] = sequence(spkiNode, 'SubjectPublicKeyInfo')
  const bits = primitive(expect(key, Tag.bitString, 'a BIT STRING (subjectPublicKey)'), 'subjectPublicKey')
  if (bits.length < 1 || bits[0] !== 0) throw new Error('subjectPublicKey has unused bits')
  const keyBits = bits.subarray(1)
  const [algOid, params] = sequence(alg, 'AlgorithmIdentifier')
  const algorithm = oid(algOid)
  let namedCurve: string | undefined
  let explicitCurve = false
  let rsaBits: number | undefined
  if (algorithm === KEY_OID.ecPublicKey) {
    if (params && params.tag === Tag.oid && params.tagClass === 0) namedCurve = oid(params)
    else explicitCurve = true
  } else if (algorithm === KEY_OID.rsaEncryption || algorithm === KEY_OID.rsassaPss) {
    const { n } = rsaFields(keyBits)
    rsaBits = (n.length - 1) * 8 + (32 - Math.clz32(n[0]!))
  }
  return { algorithm, namedCurve, explicitCurve, rsaBits, spki, keyBits }
}

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 §A.1.1), without sign bytes. */
function rsaFields(keyBits: Buffer): { n: Buffer; e: Buffer } {
  const [n, e, extra] = sequence(readDer(keyBits), 'RSAPublicKey')
  if (extra) throw new Error('RSAPublicKey has extra fields')
  const nb = integerBytes(n, 'modulus')
  const eb = integerBytes(e, 'publicExponent')
  if (nb[0]! & 0x80 || eb[0]! & 0x80) throw new Error('RSA key fields must be positive')
  const strip = (b: Buffer) => (b[0] === 0 && b.length > 1 ? b.subarray(1) : b)
  return { n: strip(nb), e: strip(eb) }
}

const b64 = (b: Buffer) => b.toString('base64url')

/** The key as a KeyObject. Throws when node:crypto cannot import it. */
export function importPublicKey(k: SubjectPublicKey): crypto.KeyObject {
  if (k.algorithm === KEY_OID.rsaEncryption) {
    const { n, e } = rsaFields(k.keyBits)
    return crypto.createPublicKey({ key: { kty: 'RSA', n: b64(n), e: b64(e) }, format: 'jwk' })
  }
  if (k.algorithm === KEY_OID.ecPublicKey && k.namedCurve) {
    const curve = JWK_CURVES[k.namedCurve]
    const p = k.keyBits
    if (curve && p.length === 1 + 2 * curve.bytes && p[0] === 4) {
      const x = b64(p.subarray(1, 1 + curve.bytes))
      const y = b64(p.subarray(1 + curve.bytes))
      return crypto.createPublicKey({ key: { kty: 'EC', crv: curve.crv, x, y }, format: 'jwk' })
    }
  }
  if (k.algorithm === KEY_OID.ed25519 || k.algorithm === KEY_OID.ed448) {
    const crv = k.algorithm === KEY_OID.ed25519 ? 'Ed25519' : 'Ed448'
    return crypto.createPublicKey({ key: { kty: 'OKP', crv, x: b64(k.keyBits) }, format: 'jwk' })
  }
  return crypto.createPublicKey({ key: k.spki, format: 'der', type: 'spki' })
}

/** A certificate's signatureAlgorithm (RFC 5280 §4.1.1.2) as node:crypto `verify` arguments. */
interface VerifyParams {
  readonly hash: string | null
  readonly keyTypes: readonly string[]
  readonly pssSaltLength?: number
}

const RSA = ['rsa', 'rsa-pss']
const SIGNATURE_ALGORITHMS: ReadonlyMap<string, VerifyParams> = new Map([
  ['1.2.840.113549.1.1.4', { hash: 'md5', keyTypes: ['rsa'] }],
  ['1.2.840.113549.1.1.5', { hash: 'sha1', keyTypes: ['rsa'] }],
  ['1.2.840.113549.1.1.14', { hash: 'sha224', keyTypes: ['rsa'] }],
  ['1.2.840.113549.1.1.11', { hash: 'sha256', keyTypes: ['rsa'] }],
  ['1.2.840.113549.1.1.12', { hash: 'sha384', keyTypes: ['rsa'] }],
  ['1.2.840.113549.1.1.13', { hash: 'sha512', keyTypes: ['rsa'] }],
  ['1.2.840.10045.4.1', { hash: 'sha1', keyTypes: ['ec'] }],
  ['1.2.840.10045.4.3.1', { hash: 'sha224', keyTypes: ['ec'] }],
  ['1.2.840.10045.4.3.2', { hash: 'sha256', keyTypes: ['ec'] }],
  ['1.2.840.10045.4.3.3', { hash: 'sha384', keyTypes: ['ec'] }],
  ['1.2.840.10045.4.3.4', { hash: 'sha512', keyTypes: ['ec'] }],
  ['1.3.101.112', { hash: null, keyTypes: ['ed25519'] }],
  ['1.3.101.113', { hash: null, keyTypes: ['ed448'] }],
  ['2.16.840.1.101.3.4.3.17', { hash: null, keyTypes: ['ml-dsa-44'] }],
  ['2.16.840.1.101.3.4.3.18', { hash: null, keyTypes: ['ml-dsa-65'] }],
  ['2.16.840.1.101.3.4.3.19', { hash: null, keyTypes: ['ml-dsa-87'] }],
])

const HASH_OIDS: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
}
const OID_MGF1 = '1.2.840.113549.1.1.8'

/** RSASSA-PSS-params (RFC 4055 §3.1) when the MGF1 hash equals the message hash, as node:crypto requires. */
function pssParams(params: Der | undefined): VerifyParams | undefined {
  let hash = 'sha1'
  let mgfHash = 'sha1'
  let salt = 20
  for (const f of params ? sequence(params, 'RSASSA-PSS-params') : []) {
    const inner = children(f)[0]
    if (isContext(f, 0)) hash = HASH_OIDS[oid(sequence(inner, 'hashAlgorithm')[0])] ?? ''
    else if (isContext(f, 1)) {
      const [mgf, mgfParams] = sequence(inner, 'maskGenAlgorithm')
      if (oid(mgf) !== OID_MGF1) return undefined
      mgfHash = HASH_OIDS[oid(sequence(mgfParams, 'MGF1 hash')[0])] ?? ''
    } else if (isContext(f, 2)) salt = smallInteger(inner, 'saltLength')
    else if (isContext(f, 3)) {
      if (smallInteger(inner, 'trailerField') !== 1) return undefined
    } else return undefined
  }
  if (!hash || hash !== mgfHash) return undefined
  return { hash, keyTypes: RSA, pssSaltLength: salt }
}

/**
 * Whether `signature` (the certificate's signatureValue) over `tbs` verifies with `key` under the
 * AlgorithmIdentifier `algorithm` (its OID and parameters). False for a key of the wrong type, an unknown
 * algorithm or parameters node:crypto cannot express.
 */
export function verifyCertificateSignature(
  algorithm: string,
  params: Der | undefined,
  tbs: Buffer,
  signature: Buffer,
  key: crypto.KeyObject,
): boolean {
  let p: VerifyParams | undefined
  if (algorithm === KEY_OID.rsassaPss) p = pssParams(params)
  else {
    p = SIGNATURE_ALGORITHMS.get(algorithm)
    // RFC 4055 §5, RFC 5758 §3.2, RFC 8410 §3: RSA PKCS #1 takes NULL parameters (or none), the others none.
    if (p && params !== undefined && !(p.keyTypes[0] === 'rsa' && isNull(params))) return false
  }
  if (!p || !p.keyTypes.includes(key.asymmetricKeyType ?? '')) return false
  const keyInput: crypto.KeyObject | crypto.VerifyKeyObjectInput =
    p.pssSaltLength !== undefined
      ? { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: p.pssSaltLength }
      : key.asymmetricKeyType === 'rsa'
        ? { key, padding: crypto.constants.RSA_PKCS1_PADDING }
        : key
  try {
    return crypto.verify(p.hash, tbs, keyInput, signature)
  } catch {
    return false
  }
}

function isNull(node: Der): boolean {
  return node.tagClass === 0 && node.tag === Tag.null && value(node).length === 0
}
