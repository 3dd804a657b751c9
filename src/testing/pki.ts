/**
 * A fast, synchronous test PKI: root CAs, intermediates and leaf certificates for loopback servers,
 * tests, the demo origin and the CLI capture server.
 *
 * Keys come from `node:crypto.generateKeyPairSync` (RSA 2048, ECDSA P-256/P-384/P-521, Ed25519, RSA-PSS).
 * The certificate structure (names, validity, RFC 5280 §4.2 extensions) is encoded with node-forge's
 * ASN.1 codec; the subject public key is the key's own SubjectPublicKeyInfo and the TBSCertificate is
 * signed with `node:crypto.sign`, so every key type works, without forge's slow RSA key generation
 * and without any global polyfill.
 *
 * Broken certificates on purpose (expired, not yet valid, wrong host, untrusted root, intermediate
 * without CA:TRUE, pathLen violations, missing keyCertSign, clientAuth-only EKU) are made through
 * the options; see `test/tls/cert/` for recipes.
 */
import * as crypto from 'node:crypto'
import { isIP } from 'node:net'
import forge from 'node-forge'
import { InvalidArgumentError } from '../errors.js'
import {
  applyVersion,
  keyIdExtensions,
  nameConstraintsExtension,
  overrideExtensions,
  sanExtension,
  type CertificateOverrides,
  type ExtensionSpec,
} from './pki-extensions.js'

import type { TestKeyType } from './key-type.js'
export type { CertificateOverrides, ExtraAltName, NameConstraintsSpec } from './pki-extensions.js'

const { asn1, pki } = forge

/** Parts of node-forge's API that its type declarations leave out. */
const forgeUntyped = forge as unknown as {
  asn1: { fromDer(bytes: forge.util.ByteStringBuffer, options: { decodeBitStrings: boolean }): forge.asn1.Asn1 }
  pki: { getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 }
}

export type { TestKeyType } from './key-type.js'

/** RFC 5280 §4.2.1.3 key usage bit names. */
export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'

/** Hash for the issuer's signature over the certificate (ignored for Ed25519). Default: sha256 (sha384 for P-384, sha512 for P-521). */
export type TestSignatureHash = 'sha1' | 'sha256' | 'sha384' | 'sha512'

export interface CreateCAOptions {
  /** Subject commonName. Default `hotconn test CA <n>`. */
  name?: string
  /** Default 'ecdsa-p256'. */
  keyType?: TestKeyType
  /** basicConstraints pathLenConstraint (RFC 5280 §4.2.1.9); omitted by default (unlimited). */
  pathLen?: number
  /** Default: now - 1 hour. */
  notBefore?: Date
  /** Default: now + 10 years. */
  notAfter?: Date
  /** false = basicConstraints CA:FALSE (not a CA); true (default) = critical CA:TRUE. */
  isCA?: boolean
  /** Key usage bits (critical). Default ['keyCertSign', 'cRLSign']; `false` omits the extension. */
  keyUsage?: readonly KeyUsageName[] | false
  /** extendedKeyUsage on the CA itself; omitted by default. */
  eku?: LeafEku
  /** Hash used by the issuer's signature. */
  signatureHash?: TestSignatureHash
  /** Critical nameConstraints (RFC 5280 §4.2.1.10): DNS names ("example.com", ".example.com") and CIDRs ("127.0.0.0/8"). */
  nameConstraints?: { permitted?: readonly string[]; excluded?: readonly string[] }
  /** Reuse the key pair of this certificate instead of generating one (cross-signing: same name and key, another issuer). */
  keyOf?: TestCertificate
  /** subjectAltName DNS names and IP literals on the CA itself (a self-signed server certificate, as `openssl req -x509` makes). */
  hosts?: readonly string[]
  /** Profile-breaking encodings, for negative tests. */
  overrides?: CertificateOverrides
}

export type LeafEku = 'serverAuth' | 'clientAuth' | 'both' | 'none'

export interface IssueLeafOptions {
  /** DNS names and IP literals for the subjectAltName (RFC 5280 §4.2.1.6). May be empty. */
  hosts: readonly string[]
  /** Default 'ecdsa-p256'. */
  keyType?: TestKeyType
  /** Subject commonName. Default hosts[0] (or 'hotconn test leaf'). */
  commonName?: string
  /** false = no subjectAltName extension at all (legacy CN-only certificate). Default true. */
  san?: boolean
  /** Default: now - 1 hour. */
  notBefore?: Date
  /** Default: now + 1 year. */
  notAfter?: Date
  /** extendedKeyUsage: default 'serverAuth'; 'none' omits the extension. */
  eku?: LeafEku
  /** Key usage bits (critical). Default digitalSignature (+ keyEncipherment for RSA); `false` omits it. */
  keyUsage?: readonly KeyUsageName[] | false
  /** Hash used by the issuer's signature. */
  signatureHash?: TestSignatureHash
  /** Profile-breaking encodings, for negative tests. */
  overrides?: CertificateOverrides
}

/** One issued certificate with its private key. */
export interface TestCertificate {
  readonly keyType: TestKeyType
  readonly certPem: string
  readonly certDer: Buffer
  /** PKCS#8 PEM of the private key. */
  readonly keyPem: string
  readonly privateKey: crypto.KeyObject
  readonly publicKey: crypto.KeyObject
  /** Parsed by node:crypto. */
  readonly x509: crypto.X509Certificate
}

/** A CA (root or intermediate) that can issue certificates. */
export interface TestCA extends TestCertificate {
  readonly name: string
  /** Intermediates from this CA up to (not including) the root, this CA first; empty for a root. */
  readonly intermediates: readonly TestCertificate[]
  /** The root at the top of this CA's chain (itself for a root). */
  readonly root: TestCertificate
  /** @internal forge subject attributes of this CA, used as the issuer of what it signs. */
  readonly subjectAttrs: readonly forge.pki.CertificateField[]
  /** @internal RFC 5280 §4.2.1.2 key identifier. */
  readonly keyId: Buffer
}

/** A leaf certificate and the chain a server sends (RFC 8446 §4.4.2: leaf first, then intermediates, no root). */
export interface TestLeaf extends TestCertificate {
  /** Leaf + intermediates, PEM concatenated (for `tls.createServer({ cert })`). */
  readonly chainPem: string
  /** Leaf + intermediates, DER, leaf first (as in a TLS Certificate message). */
  readonly chainDer: readonly Buffer[]
}

const HOUR = 3600_000
const YEAR = 365 * 24 * HOUR
let caCounter = 0
let serialCounter = 0

/** Creates a self-signed root CA (or, with `isCA: false`, a self-signed certificate that is not a CA). */
export function createCA(options: CreateCAOptions = {}): TestCA {
  return issueCA(options, options.name ?? `hotconn test CA ${++caCounter}`, undefined)
}

/** Creates an intermediate CA signed by `parent`. Same options as `createCA`. */
export function createIntermediate(parent: TestCA, options: CreateCAOptions = {}): TestCA {
  return issueCA(options, options.name ?? `hotconn test intermediate ${++caCounter}`, parent)
}

/** A CA certificate: self-signed (root, valid 10 years) or signed by `parent` (intermediate, 5 years). */
function issueCA(options: CreateCAOptions, name: string, parent: TestCA | undefined): TestCA {
  const keyType = options.keyOf?.keyType ?? options.keyType ?? 'ecdsa-p256'
  const keys = options.keyOf ?? generateKeys(keyType)
  const subjectAttrs = options.overrides?.emptySubject ? [] : nameAttrs(name)
  const keyId = keyIdentifier(keys.publicKey)
  const der = buildCertificate({
    subjectAttrs,
    issuerAttrs: parent?.subjectAttrs ?? subjectAttrs,
    subjectPublicKey: keys.publicKey,
    issuerPrivateKey: parent?.privateKey ?? keys.privateKey,
    issuerKeyId: parent?.keyId ?? keyId,
    subjectKeyId: keyId,
    notBefore: options.notBefore,
    notAfter: options.notAfter ?? new Date(Date.now() + (parent ? 5 : 10) * YEAR),
    extensions: caExtensions(options),
    signatureHash: options.signatureHash,
    overrides: options.overrides ?? {},
  })
  const cert = certificate(keyType, keys, der)
  return parent
    ? { ...cert, name, intermediates: [cert, ...parent.intermediates], root: parent.root, subjectAttrs, keyId }
    : { ...cert, name, intermediates: [], root: cert, subjectAttrs, keyId }
}

/** Issues a server (or client) certificate from `ca`. Throws InvalidArgumentError on a bad host string. */
export function issueLeaf(ca: TestCA, options: IssueLeafOptions): TestLeaf {
  const keyType = options.keyType ?? 'ecdsa-p256'
  const keys = generateKeys(keyType)
  const commonName = options.commonName ?? options.hosts[0] ?? 'hotconn test leaf'
  const extensions: ExtensionSpec[] = []
  const keyUsage =
    options.keyUsage ?? (keyType === 'rsa' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'])
  if (keyUsage !== false) extensions.push(keyUsageExtension(keyUsage))
  const eku = ekuExtension(options.eku ?? 'serverAuth')
  if (eku) extensions.push(eku)
  const o = options.overrides ?? {}
  if (o.basicConstraints !== false)
    extensions.push({
      name: 'basicConstraints',
      cA: o.basicConstraints?.ca ?? false,
      critical: o.basicConstraints?.critical ?? true,
    })
  if (options.san !== false) extensions.push(sanExtension(options.hosts, o))
  const der = buildCertificate({
    subjectAttrs: nameAttrs(commonName),
    issuerAttrs: ca.subjectAttrs,
    subjectPublicKey: keys.publicKey,
    issuerPrivateKey: ca.privateKey,
    issuerKeyId: ca.keyId,
    subjectKeyId: keyIdentifier(keys.publicKey),
    notBefore: options.notBefore,
    notAfter: options.notAfter ?? new Date(Date.now() + YEAR),
    extensions,
    signatureHash: options.signatureHash,
    overrides: o,
  })
  const cert = certificate(keyType, keys, der)
  const chain = [cert, ...ca.intermediates]
  return {
    ...cert,
    chainPem: chain.map((c) => c.certPem).join(''),
    chainDer: chain.map((c) => c.certDer),
  }
}

// ---------------------------------------------------------------------------------------------

interface KeyPair {
  publicKey: crypto.KeyObject
  privateKey: crypto.KeyObject
}

// @types/node 20 declares saltLength as a string; Node takes a number of bytes.
const PSS_KEY_OPTIONS = {
  modulusLength: 2048,
  hashAlgorithm: 'sha256',
  mgf1HashAlgorithm: 'sha256',
  saltLength: 32,
} as unknown as crypto.RSAPSSKeyPairKeyObjectOptions

function generateKeys(keyType: TestKeyType): KeyPair {
  switch (keyType) {
    case 'rsa':
      return crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
    case 'rsa-pss':
      return crypto.generateKeyPairSync('rsa-pss', PSS_KEY_OPTIONS)
    case 'ecdsa-p256':
      return crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    case 'ecdsa-p384':
      return crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' })
    case 'ecdsa-p521':
      return crypto.generateKeyPairSync('ec', { namedCurve: 'P-521' })
    case 'ml-dsa-65':
      // Leaf keys only (signed by a classic CA): node:crypto names the type from Node 24.7 on.
      return crypto.generateKeyPairSync('ml-dsa-65' as 'ed25519')
    case 'ed25519':
      return crypto.generateKeyPairSync('ed25519')
    case 'rsa-1024':
      return crypto.generateKeyPairSync('rsa', { modulusLength: 1024 })
    case 'rsa-2052':
      return crypto.generateKeyPairSync('rsa', { modulusLength: 2052 })
    case 'ecdsa-p192':
      return crypto.generateKeyPairSync('ec', { namedCurve: 'prime192v1' })
    case 'dsa':
      return crypto.generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 })
    default:
      throw new InvalidArgumentError(
        `keyType must be one of rsa, rsa-pss, ecdsa-p256, ecdsa-p384, ecdsa-p521, ed25519, ml-dsa-65 (got ${String(keyType)})`,
      )
  }
}

function certificate(keyType: TestKeyType, keys: KeyPair, der: Buffer): TestCertificate {
  const x509 = new crypto.X509Certificate(der)
  return {
    keyType,
    certDer: der,
    certPem: x509.toString(),
    keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKey: keys.privateKey,
    publicKey: keys.publicKey,
    x509,
  }
}

function nameAttrs(commonName: string): forge.pki.CertificateField[] {
  // UTF8String: PrintableString cannot hold '*' or '_' (X.680 §41.4).
  return [
    { shortName: 'O', value: 'hotconn test PKI', valueTagClass: asn1.Type.UTF8 as unknown as forge.asn1.Class },
    { shortName: 'CN', value: commonName, valueTagClass: asn1.Type.UTF8 as unknown as forge.asn1.Class },
  ]
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value. */
function keyIdentifier(publicKey: crypto.KeyObject): Buffer {
  const der = publicKey.export({ type: 'spki', format: 'der' }).toString('binary')
  const spki = forgeUntyped.asn1.fromDer(forge.util.createBuffer(der), { decodeBitStrings: false })
  const bits = (spki.value as forge.asn1.Asn1[])[1]!.value as string
  return crypto
    .createHash('sha1')
    .update(Buffer.from(bits.slice(1), 'binary'))
    .digest()
}

const KEY_USAGE_NAMES: readonly KeyUsageName[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
]

function keyUsageExtension(bits: readonly KeyUsageName[]): ExtensionSpec {
  const ext: ExtensionSpec = { name: 'keyUsage', critical: true }
  for (const bit of bits) {
    if (!KEY_USAGE_NAMES.includes(bit)) throw new InvalidArgumentError(`keyUsage: unknown bit ${String(bit)}`)
    ext[bit] = true
  }
  return ext
}

function ekuExtension(eku: LeafEku): ExtensionSpec | undefined {
  switch (eku) {
    case 'none':
      return undefined
    case 'serverAuth':
      return { name: 'extKeyUsage', serverAuth: true }
    case 'clientAuth':
      return { name: 'extKeyUsage', clientAuth: true }
    case 'both':
      return { name: 'extKeyUsage', serverAuth: true, clientAuth: true }
    default:
      throw new InvalidArgumentError(`eku must be serverAuth, clientAuth, both or none (got ${String(eku)})`)
  }
}

function caExtensions(options: CreateCAOptions): ExtensionSpec[] {
  const extensions: ExtensionSpec[] = []
  const isCA = options.isCA ?? true
  if (options.pathLen !== undefined && (!Number.isInteger(options.pathLen) || options.pathLen < 0)) {
    throw new InvalidArgumentError(`pathLen must be an integer >= 0 (got ${options.pathLen})`)
  }
  const o = options.overrides ?? {}
  const bc: ExtensionSpec = {
    name: 'basicConstraints',
    cA: isCA,
    critical: o.basicConstraints ? (o.basicConstraints.critical ?? true) : true,
  }
  if (options.pathLen !== undefined) bc['pathLenConstraint'] = options.pathLen
  if (o.basicConstraints !== false) extensions.push(bc)
  const keyUsage = options.keyUsage ?? ['keyCertSign', 'cRLSign']
  if (keyUsage !== false) extensions.push(keyUsageExtension(keyUsage))
  const eku = options.eku === undefined ? undefined : ekuExtension(options.eku)
  if (eku) extensions.push(eku)
  if (options.nameConstraints) extensions.push(nameConstraintsExtension(options.nameConstraints))
  if (options.hosts) extensions.push(sanExtension(options.hosts, o))
  return extensions
}

interface BuildOptions {
  subjectAttrs: readonly forge.pki.CertificateField[]
  issuerAttrs: readonly forge.pki.CertificateField[]
  subjectPublicKey: crypto.KeyObject
  issuerPrivateKey: crypto.KeyObject
  issuerKeyId: Buffer
  subjectKeyId: Buffer
  notBefore: Date | undefined
  notAfter: Date
  extensions: ExtensionSpec[]
  signatureHash: TestSignatureHash | undefined
  overrides: CertificateOverrides
}

// forge only encodes RSA SubjectPublicKeyInfo; a placeholder key lets it build the rest of the
// TBSCertificate, and the real SPKI replaces it below.
const placeholderKey = pki.setRsaPublicKey(new forge.jsbn.BigInteger('3'), new forge.jsbn.BigInteger('3'))

function buildCertificate(o: BuildOptions): Buffer {
  const cert = pki.createCertificate()
  cert.serialNumber = serialHex()
  cert.validity.notBefore = o.notBefore ?? new Date(Date.now() - HOUR)
  cert.validity.notAfter = o.notAfter
  cert.setSubject(o.overrides.emptySubject ? [] : o.subjectAttrs.map((a) => ({ ...a })))
  cert.setIssuer(o.issuerAttrs.map((a) => ({ ...a })))
  cert.publicKey = placeholderKey
  cert.setExtensions([
    ...o.extensions,
    ...keyIdExtensions(o.subjectKeyId, o.issuerKeyId, o.overrides),
    ...overrideExtensions(o.overrides),
  ])
  const sig = signatureAlgorithm(o.issuerPrivateKey, o.signatureHash)
  cert.siginfo.algorithmOid = pki.oids['sha256WithRSAEncryption']!
  const tbs = forgeUntyped.pki.getTBSCertificate(cert)
  const fields = tbs.value as forge.asn1.Asn1[]
  fields[2] = sig.asn1()
  fields[6] = fromDer(o.overrides.spki ?? o.subjectPublicKey.export({ type: 'spki', format: 'der' }))
  applyVersion(fields, o.overrides.version)
  const tbsDer = toDer(tbs)
  const signature = crypto.sign(sig.hash, tbsDer, sig.key)
  const certAsn1 = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    sig.asn1(),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, '\x00' + signature.toString('binary')),
  ])
  return toDer(certAsn1)
}

function serialHex(): string {
  // Positive, unique within the process, random enough across processes (RFC 5280 §4.1.2.2).
  const bytes = crypto.randomBytes(12)
  bytes[0] = (bytes[0]! & 0x7f) | 0x01
  bytes.writeUInt32BE(++serialCounter, 8)
  return bytes.toString('hex')
}

interface SignatureAlgorithm {
  hash: string | null
  key: crypto.KeyObject | crypto.SignKeyObjectInput
  asn1(): forge.asn1.Asn1
}

const SIG_OIDS = {
  rsa: {
    sha1: '1.2.840.113549.1.1.5',
    sha256: '1.2.840.113549.1.1.11',
    sha384: '1.2.840.113549.1.1.12',
    sha512: '1.2.840.113549.1.1.13',
  },
  ecdsa: {
    sha1: '1.2.840.10045.4.1',
    sha256: '1.2.840.10045.4.3.2',
    sha384: '1.2.840.10045.4.3.3',
    sha512: '1.2.840.10045.4.3.4',
  },
  hash: {
    sha1: '1.3.14.3.2.26',
    sha256: '2.16.840.1.101.3.4.2.1',
    sha384: '2.16.840.1.101.3.4.2.2',
    sha512: '2.16.840.1.101.3.4.2.3',
  },
} as const

const HASH_LEN: Record<TestSignatureHash, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 }

/** RFC 5758 (ECDSA), RFC 8410 (Ed25519), RFC 4055 (RSA PKCS#1 v1.5 and RSASSA-PSS) AlgorithmIdentifiers. */
function signatureAlgorithm(key: crypto.KeyObject, wanted: TestSignatureHash | undefined): SignatureAlgorithm {
  const type = key.asymmetricKeyType
  if (type === 'ed25519') {
    return { hash: null, key, asn1: () => algorithmId('1.3.101.112', undefined) }
  }
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve
    const hash = wanted ?? (curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : 'sha256')
    return { hash, key, asn1: () => algorithmId(SIG_OIDS.ecdsa[hash], undefined) }
  }
  if (type === 'rsa') {
    const hash = wanted ?? 'sha256'
    return { hash, key, asn1: () => algorithmId(SIG_OIDS.rsa[hash], null) }
  }
  if (type === 'rsa-pss') {
    const hash = wanted ?? 'sha256'
    const saltLength = HASH_LEN[hash]
    return {
      hash,
      key: { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength },
      asn1: () => algorithmId('1.2.840.113549.1.1.10', pssParams(hash, saltLength)),
    }
  }
  throw new InvalidArgumentError(`cannot sign certificates with a ${String(type)} key`)
}

/** RFC 4055 §3.1 RSASSA-PSS-params with explicit hash, MGF1(hash) and salt length. */
function pssParams(hash: TestSignatureHash, saltLength: number): forge.asn1.Asn1 {
  const hashId = algorithmId(SIG_OIDS.hash[hash], null)
  return seq([
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [hashId]),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 1, true, [
      algorithmId('1.2.840.113549.1.1.8', algorithmId(SIG_OIDS.hash[hash], null)),
    ]),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 2, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(saltLength).getBytes()),
    ]),
  ])
}

/** params: undefined = absent, null = ASN.1 NULL. */
function algorithmId(oid: string, params: forge.asn1.Asn1 | null | undefined): forge.asn1.Asn1 {
  const value: forge.asn1.Asn1[] = [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes()),
  ]
  if (params === null) value.push(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''))
  else if (params !== undefined) value.push(params)
  return seq(value)
}

function seq(value: forge.asn1.Asn1[]): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, value)
}

function fromDer(der: Buffer): forge.asn1.Asn1 {
  return asn1.fromDer(forge.util.createBuffer(der.toString('binary')))
}

function toDer(node: forge.asn1.Asn1): Buffer {
  return Buffer.from(asn1.toDer(node).getBytes(), 'binary')
}
