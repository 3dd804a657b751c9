/**
 * Decodes the parts of an X.509 certificate that path validation needs (RFC 5280 §4.1, §4.2) with the
 * strict DER reader in der.ts. node:crypto verifies the signatures (public-key.ts); a node:crypto
 * X509Certificate is built only for the certificates of the validated path (OpenSSL 3.0's decoder costs
 * ~0.4 ms a certificate, so the extras a server sends are never handed to it).
 *
 * Anything that does not decode, or that RFC 5280 says a certificate cannot hold (a duplicate extension, an
 * empty GeneralNames, an empty nameConstraints), ends in TlsCertificateError('malformed'), never in another
 * error.
 */
import { X509Certificate, type KeyObject } from 'node:crypto'
import {
  boolean,
  children,
  encoding,
  expect,
  integerBytes,
  isContext,
  isUniversal,
  oid,
  primitive,
  readDer,
  sequence,
  smallInteger,
  Tag,
  TagClass,
  value,
  type Der,
} from './der.js'
import { ownedCopy } from '../../util/bytes.js'
import { TlsCertificateError } from './errors.js'
import {
  decodeGeneralNames,
  decodeNameConstraints,
  rdnSequence,
  type DistinguishedName,
  type GeneralNames,
  type NameConstraints,
} from './general-names.js'
import { attributeValues, decodeName, nameToString, OID_COMMON_NAME, OID_EMAIL_ADDRESS } from './name.js'
import {
  decodeSubjectPublicKey,
  importPublicKey,
  verifyCertificateSignature,
  type SubjectPublicKey,
} from './public-key.js'

export type { GeneralNames, NameConstraints } from './general-names.js'
export { MAX_NAME_ATTRIBUTES } from './name.js'

/** RFC 5280 §4.2 extension OIDs. */
export const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  inhibitAnyPolicy: '2.5.29.54',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  anyExtendedKeyUsage: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const

/** RFC 5280 §4.2.1.3 KeyUsage bit numbers. */
export const KeyUsageBit = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const

export interface ParsedExtension {
  readonly critical: boolean
  /** extnValue contents (DER of the extension's own syntax). */
  readonly value: Buffer
}

/** authorityKeyIdentifier (RFC 5280 §4.2.1.1). */
export interface AuthorityKeyIdentifier {
  readonly keyIdentifier: Buffer | undefined
  readonly hasAuthorityCertIssuer: boolean
  readonly hasAuthorityCertSerialNumber: boolean
}

/** One certificate as path validation sees it. */
export interface ParsedCertificate {
  readonly der: Buffer
  /** node:crypto's view, built on first use; throws TlsCertificateError('malformed') if OpenSSL rejects it. */
  readonly x509: X509Certificate
  /** The subject public key, imported on first use; throws TlsCertificateError('malformed') if it does not import. */
  readonly publicKey: KeyObject
  /** 1, 2 or 3 (RFC 5280 §4.1.2.1). */
  readonly version: number
  /** One-line forms ("CN=a, O=b"), for messages ('' for an empty Name). */
  readonly subject: string
  readonly issuer: string
  /** Lowercased one-line forms, a fallback for Names encoded differently but equal (RFC 5280 §7.1). */
  readonly subjectKey: string
  readonly issuerKey: string
  /** DER of the subject and issuer Names (RFC 5280 §7.1 compares them; byte equality is the common case). */
  readonly subjectDer: string
  readonly issuerDer: string
  /** The subject's RDNs (DER each); empty for an empty subject. */
  readonly subjectRdns: DistinguishedName
  readonly issuerEmpty: boolean
  /** emailAddress attributes of the subject (PKCS #9), which rfc822Name constraints cover (RFC 5280 §4.2.1.10). */
  readonly subjectEmails: readonly string[]
  readonly notBefore: Date
  readonly notAfter: Date
  /** OID of the signature algorithm the issuer used (RFC 5280 §4.1.1.2). */
  readonly signatureAlgorithm: string
  /** The signature AlgorithmIdentifier inside the TBSCertificate equals the outer one (RFC 5280 §4.1.1.2). */
  readonly signatureAlgorithmsMatch: boolean
  readonly subjectPublicKey: SubjectPublicKey
  readonly extensions: ReadonlyMap<string, ParsedExtension>
  /** undefined when the extension is absent. */
  readonly basicConstraints: { readonly ca: boolean; readonly pathLen: number | undefined } | undefined
  /** Set bits (KeyUsageBit numbers); undefined when the extension is absent. */
  readonly keyUsage: ReadonlySet<number> | undefined
  /** Key purpose OIDs; undefined when the extension is absent. */
  readonly extKeyUsage: readonly string[] | undefined
  /** undefined when the extension is absent. */
  readonly subjectAltName: GeneralNames | undefined
  readonly nameConstraints: NameConstraints | undefined
  readonly subjectKeyIdentifier: Buffer | undefined
  readonly authorityKeyIdentifier: AuthorityKeyIdentifier | undefined
  /** The subject's last commonName, for messages only (identity comes from subjectAltName). */
  readonly commonName: string | undefined
  readonly selfIssued: boolean
  /** Whether this certificate's signature verifies with `issuer`'s key (RFC 5280 §6.1.3 (a)(1)); remembered. */
  signedBy(issuer: ParsedCertificate): boolean
  /** The remembered result of `signedBy(issuer)`, or undefined when it was never checked. */
  knownSignedBy(issuer: ParsedCertificate): boolean | undefined
}

/** Certificates of at most this size are kept by `parseCertificateCached`. */
const CACHE_MAX_DER = 8 * 1024
const CACHE_ENTRIES = 256
const cache = new Map<string, ParsedCertificate>()

/** Drops every certificate `parseCertificateCached` keeps (their parsed form, keys and checked signatures). */
export function clearCertificateCache(): void {
  cache.clear()
}

function cacheKey(der: Buffer | Uint8Array): string {
  return Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1')
}

/**
 * `parseCertificate` with a small LRU cache keyed by the DER: the intermediates (and leaves) of the hosts a
 * pool talks to come back on every handshake, and their parsed form, imported key and checked signatures
 * are reused. Errors are not cached.
 */
export function parseCertificateCached(der: Buffer | Uint8Array): ParsedCertificate {
  if (der.byteLength > CACHE_MAX_DER) return parseCertificate(der)
  const key = cacheKey(der)
  let cert = cache.get(key)
  if (cert) {
    cache.delete(key)
  } else {
    // An unpooled copy: a slice of Buffer's shared 8 KiB pool would keep the whole slab alive.
    cert = parseCertificate(ownedCopy(der))
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!)
  }
  cache.set(key, cert)
  return cert
}

/**
 * The cache's copy of `der` when it holds that certificate, else an own copy: every connection to a
 * host then keeps one buffer of its chain, not one each. The bytes must not be modified.
 */
export function sharedCertificateDer(der: Buffer | Uint8Array): Buffer {
  return (der.byteLength <= CACHE_MAX_DER ? cache.get(cacheKey(der))?.der : undefined) ?? ownedCopy(der)
}

/** Parses one DER certificate. Throws TlsCertificateError('malformed') when it does not decode. */
export function parseCertificate(der: Buffer | Uint8Array): ParsedCertificate {
  const bytesIn = Buffer.from(der.buffer, der.byteOffset, der.byteLength)
  let subject = ''
  try {
    const root = readDer(bytesIn)
    const top = sequence(root, 'Certificate')
    if (top.length !== 3) throw new Error('Certificate must have three fields')
    const tbsFields = sequence(top[0], 'TBSCertificate')
    const hasVersion = isContext(tbsFields[0], 0)
    const subjectNode = tbsFields[(hasVersion ? 1 : 0) + 4]
    subject = subjectNode ? nameToString(subjectNode) : ''
    return decode(bytesIn, top, tbsFields, hasVersion, subject)
  } catch (cause) {
    if (cause instanceof TlsCertificateError) throw cause
    throw malformed(subject, (cause as Error).message, cause)
  }
}

function malformed(subject: string, why: string, cause?: unknown): TlsCertificateError {
  return new TlsCertificateError(
    'malformed',
    subject
      ? `certificate "${subject}" has a malformed field (RFC 5280 §4.1): ${why}`
      : `certificate does not decode as DER X.509 (RFC 5280 §4.1): ${why}; the server sent a corrupt chain`,
    subject || undefined,
    cause === undefined ? undefined : { cause },
  )
}

function decode(der: Buffer, top: Der[], tbs: Der[], hasVersion: boolean, subject: string): ParsedCertificate {
  // tbs: [0]version? serial signature issuer validity subject spki [1]? [2]? [3]extensions?
  const version = hasVersion ? smallInteger(children(tbs[0])[0], 'version') + 1 : 1
  if (hasVersion && version === 1) throw new Error('version v1 must be omitted, not encoded (DER DEFAULT)')
  if (version > 3) throw new Error(`unknown certificate version ${version}`)
  const offset = hasVersion ? 1 : 0
  integerBytes(tbs[offset], 'serialNumber')
  const innerSigAlg = tbs[offset + 1]
  const issuerNode = tbs[offset + 2]
  const validity = sequence(tbs[offset + 3], 'Validity')
  const subjectNode = tbs[offset + 4]!
  const spkiNode = tbs[offset + 5]
  if (!innerSigAlg || !issuerNode || !spkiNode || validity.length !== 2) throw new Error('TBSCertificate is too short')
  const [sigAlgOid, sigAlgParams, extraParam] = sequence(top[1], 'signatureAlgorithm')
  if (extraParam) throw new Error('AlgorithmIdentifier has extra fields')
  const sigBits = primitive(expect(top[2], Tag.bitString, 'a BIT STRING (signatureValue)'), 'signatureValue')
  if (sigBits.length < 1 || sigBits[0] !== 0) throw new Error('signatureValue has unused bits')
  const signatureValue = sigBits.subarray(1)
  const signatureAlgorithm = oid(sigAlgOid)
  const tbsBytes = encoding(top[0]!)
  const extensions = decodeExtensions(tbs.slice(offset + 6), version)
  const subjectDer = encoding(subjectNode).toString('latin1')
  const issuerDer = encoding(issuerNode).toString('latin1')
  const issuer = nameToString(issuerNode)
  const subjectPublicKey = decodeSubjectPublicKey(spkiNode, encoding(spkiNode))
  const ext = (id: string) => extensions.get(id)
  let x509: X509Certificate | undefined
  let publicKey: KeyObject | undefined
  const signatures = new WeakMap<ParsedCertificate, boolean>()
  const cert: ParsedCertificate = {
    der,
    get x509() {
      if (!x509) {
        try {
          x509 = new X509Certificate(der)
        } catch (cause) {
          throw malformed(subject, `OpenSSL does not accept it: ${(cause as Error).message}`, cause)
        }
      }
      return x509
    },
    get publicKey() {
      if (!publicKey) {
        try {
          publicKey = importPublicKey(subjectPublicKey)
        } catch (cause) {
          throw malformed(subject, `its public key does not import: ${(cause as Error).message}`, cause)
        }
      }
      return publicKey
    },
    version,
    subject,
    issuer,
    subjectKey: decodeName(subjectNode).text.toLowerCase(),
    issuerKey: decodeName(issuerNode).text.toLowerCase(),
    subjectDer,
    issuerDer,
    subjectRdns: rdnSequence(subjectNode),
    issuerEmpty: rdnSequence(issuerNode).length === 0,
    subjectEmails: attributeValues(subjectNode, OID_EMAIL_ADDRESS),
    notBefore: decodeTime(validity[0]!),
    notAfter: decodeTime(validity[1]!),
    signatureAlgorithm,
    signatureAlgorithmsMatch: encoding(innerSigAlg).equals(encoding(top[1]!)),
    subjectPublicKey,
    extensions,
    basicConstraints: ifPresent(ext(OID.basicConstraints), decodeBasicConstraints),
    keyUsage: ifPresent(ext(OID.keyUsage), decodeKeyUsage),
    extKeyUsage: ifPresent(ext(OID.extKeyUsage), (n) => sequence(n, 'ExtKeyUsageSyntax').map((k) => oid(k))),
    subjectAltName: ifPresent(ext(OID.subjectAltName), decodeGeneralNames),
    nameConstraints: ifPresent(ext(OID.nameConstraints), decodeNameConstraints),
    subjectKeyIdentifier: ifPresent(ext(OID.subjectKeyIdentifier), (n) =>
      primitive(expect(n, Tag.octetString, 'an OCTET STRING (subjectKeyIdentifier)'), 'subjectKeyIdentifier'),
    ),
    authorityKeyIdentifier: ifPresent(ext(OID.authorityKeyIdentifier), decodeAuthorityKeyIdentifier),
    commonName: attributeValues(subjectNode, OID_COMMON_NAME).at(-1),
    selfIssued:
      subjectDer === issuerDer ||
      decodeName(subjectNode).text.toLowerCase() === decodeName(issuerNode).text.toLowerCase(),
    signedBy(issuerCert) {
      let ok = signatures.get(issuerCert)
      if (ok === undefined) {
        ok = verifyCertificateSignature(
          signatureAlgorithm,
          sigAlgParams,
          tbsBytes,
          signatureValue,
          issuerCert.publicKey,
        )
        signatures.set(issuerCert, ok)
      }
      return ok
    },
    knownSignedBy(issuerCert) {
      return signatures.get(issuerCert)
    },
  }
  return cert
}

function decodeExtensions(rest: Der[], version: number): Map<string, ParsedExtension> {
  const extensions = new Map<string, ParsedExtension>()
  for (const node of rest) {
    if (isContext(node, 1) || isContext(node, 2)) continue // issuerUniqueID, subjectUniqueID
    if (!isContext(node, 3)) throw new Error('unexpected field after subjectPublicKeyInfo')
    if (version !== 3) throw new Error(`a version ${version} certificate has extensions (RFC 5280 §4.1.2.9)`)
    const list = sequence(children(node)[0], 'Extensions')
    if (list.length === 0) throw new Error('Extensions must not be empty (RFC 5280 §4.1)')
    for (const e of list) {
      const parts = sequence(e, 'Extension')
      if (parts.length < 2 || parts.length > 3) throw new Error('Extension must have two or three fields')
      const id = oid(parts[0])
      const critical = parts.length === 3 && boolean(parts[1])
      if (parts.length === 3 && !critical) throw new Error('critical FALSE must be omitted (DER DEFAULT)')
      const extnValue = primitive(
        expect(parts[parts.length - 1], Tag.octetString, 'an OCTET STRING (extnValue)'),
        'extnValue',
      )
      // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
      if (extensions.has(id)) throw new Error(`duplicate extension ${id} (RFC 5280 §4.2)`)
      extensions.set(id, { critical, value: extnValue })
    }
  }
  const aia = extensions.get(OID.authorityInfoAccess)
  if (aia) decodeAuthorityInfoAccess(readDer(aia.value))
  return extensions
}

function ifPresent<T>(ext: ParsedExtension | undefined, decode: (node: Der) => T): T | undefined {
  return ext ? decode(readDer(ext.value)) : undefined
}

function decodeBasicConstraints(node: Der): NonNullable<ParsedCertificate['basicConstraints']> {
  const fields = sequence(node, 'BasicConstraints')
  let ca = false
  let pathLen: number | undefined
  for (const [i, f] of fields.entries()) {
    if (i === 0 && isUniversal(f, Tag.boolean)) ca = boolean(f)
    else if (isUniversal(f, Tag.integer) && i === fields.length - 1) pathLen = smallInteger(f, 'pathLenConstraint')
    else throw new Error('BasicConstraints holds an unexpected field')
  }
  return { ca, pathLen }
}

function decodeKeyUsage(node: Der): Set<number> {
  const bits = primitive(expect(node, Tag.bitString, 'a BIT STRING (keyUsage)'), 'keyUsage')
  if (bits.length < 1 || bits[0]! > 7 || (bits.length === 1 && bits[0] !== 0))
    throw new Error('keyUsage BIT STRING is malformed')
  const set = new Set<number>()
  for (let i = 0; i < (bits.length - 1) * 8; i++) {
    if (bits[1 + (i >> 3)]! & (0x80 >> (i & 7))) set.add(i)
  }
  return set
}

function decodeAuthorityKeyIdentifier(node: Der): AuthorityKeyIdentifier {
  let keyIdentifier: Buffer | undefined
  let hasAuthorityCertIssuer = false
  let hasAuthorityCertSerialNumber = false
  for (const f of sequence(node, 'AuthorityKeyIdentifier')) {
    if (isContext(f, 0)) keyIdentifier = primitive(f, 'keyIdentifier')
    else if (isContext(f, 1)) hasAuthorityCertIssuer = true
    else if (isContext(f, 2)) hasAuthorityCertSerialNumber = true
    else throw new Error('AuthorityKeyIdentifier holds an unexpected field')
  }
  return { keyIdentifier, hasAuthorityCertIssuer, hasAuthorityCertSerialNumber }
}

/** AuthorityInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF AccessDescription (RFC 5280 §4.2.2.1). */
function decodeAuthorityInfoAccess(node: Der): void {
  const items = sequence(node, 'AuthorityInfoAccessSyntax')
  if (items.length === 0) throw new Error('authorityInfoAccess must hold at least one AccessDescription')
  for (const item of items) {
    const parts = sequence(item, 'AccessDescription')
    if (parts.length !== 2) throw new Error('AccessDescription must have two fields')
    oid(parts[0])
    if (parts[1]!.tagClass !== TagClass.context) throw new Error('accessLocation must be a GeneralName')
  }
}

/** UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.1, §4.1.2.5.2). */
function decodeTime(node: Der): Date {
  const utc = isUniversal(node, Tag.utcTime)
  if (!utc && !isUniversal(node, Tag.generalizedTime))
    throw new Error('validity time must be UTCTime or GeneralizedTime')
  const text = primitive(node, 'Time').toString('latin1')
  const m = (
    utc ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/
  ).exec(text)
  if (!m) throw new Error(`validity time ${JSON.stringify(text)} is not in the RFC 5280 form (seconds, Zulu)`)
  const [y, mo, d, h, mi, sec] = m.slice(1).map(Number) as [number, number, number, number, number, number]
  const year = utc ? (y >= 50 ? 1900 + y : 2000 + y) : y
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, sec))
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || sec > 59)
    throw new Error(`validity time ${JSON.stringify(text)} is not a valid date`)
  if (year < 100) date.setUTCFullYear(year)
  return date
}
