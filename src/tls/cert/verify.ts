/**
 * Server certificate chain verification: RFC 5280 §6 path building and validation with the web PKI profile
 * (profile.ts), nameConstraints on every name form (name-constraints.ts), then the RFC 9525 identity check
 * (subjectAltName only). Synchronous, with bounded work (budget.ts).
 *
 * Signatures are verified with node:crypto `verify` (public-key.ts); OpenSSL's `checkIssued` is not used
 * for CA-ness because it ignores basicConstraints, so every issuer is checked here for basicConstraints
 * CA:TRUE, pathLenConstraint, keyUsage keyCertSign and (like Mozilla) extendedKeyUsage compatibility.
 */
import type { KeyObject, X509Certificate } from 'node:crypto'
import { InvalidArgumentError } from '../../errors.js'
import { VerificationBudget } from './budget.js'
import { HINT, TlsCertificateError } from './errors.js'
import { matchesHostname } from './hostname.js'
import { formatIp } from './ip.js'
import { nameConstraintViolation } from './name-constraints.js'
import { KeyUsageBit, OID, parseCertificateCached, type ParsedCertificate } from './parse.js'
import { buildPath } from './path.js'
import { checkProfile, type CertificateRole } from './profile.js'
import { trustStoreFor, type TrustAnchorInput } from './roots.js'

export interface VerifyServerCertificateOptions {
  /** The name the client connected to (DNS name or IP literal); checked per RFC 9525. */
  host: string
  /**
   * Trust anchors (PEM text, or PEM/DER bytes, or a list) that replace the default roots (Node's bundled
   * Mozilla roots plus NODE_EXTRA_CA_CERTS), like node:tls `ca`.
   */
  ca?: TrustAnchorInput | undefined
  /** Trust anchors added to the default roots (or to `ca`). */
  extraCa?: TrustAnchorInput | undefined
  /**
   * Also trust the operating system's store (`tls.getCACertificates('system')`, Node >= 22.15 / 23.8).
   * Default false. On an older Node: TlsUnsupportedError (ERR_TLS_UNSUPPORTED).
   */
  useSystemCa?: boolean | undefined
  /** Time at which validity is checked. Default: now. */
  now?: Date | undefined
}

/**
 * Proof that a chain was verified for a host (rustls' ServerCertVerified). The X509Certificate views are
 * built on first access (OpenSSL 3.0 takes ~0.4 ms a certificate); `leafPublicKey` is cheap.
 */
export interface VerifiedChain {
  readonly host: string
  /** The server's end-entity certificate. */
  readonly leaf: X509Certificate
  /** The leaf's public key, for CertificateVerify / ServerKeyExchange (RFC 8446 §4.4.3). */
  readonly leafPublicKey: KeyObject
  /** The validated path: leaf first, trust anchor last (length 1 when the leaf itself is trusted). */
  readonly path: readonly X509Certificate[]
  readonly trustAnchor: X509Certificate
}

class ValidatedPath implements VerifiedChain {
  private x509Path: readonly X509Certificate[] | undefined

  constructor(
    readonly host: string,
    private readonly certs: readonly ParsedCertificate[],
  ) {}

  /** Throws TlsCertificateError('malformed') when this Node cannot import the key (ML-DSA before Node 24.7). */
  get leafPublicKey(): KeyObject {
    return this.certs[0]!.publicKey
  }

  get path(): readonly X509Certificate[] {
    return (this.x509Path ??= Object.freeze(this.certs.map((c) => c.x509)))
  }

  get leaf(): X509Certificate {
    return this.path[0]!
  }

  get trustAnchor(): X509Certificate {
    return this.path[this.path.length - 1]!
  }
}

/** Signature algorithms no longer accepted on certificates (RFC 6151 MD5, RFC 9155 / CA/B Forum SHA-1). */
const WEAK_SIGNATURE_ALGORITHMS = new Map([
  ['1.2.840.113549.1.1.4', 'md5WithRSAEncryption'],
  ['1.2.840.113549.1.1.5', 'sha1WithRSAEncryption'],
  ['1.2.840.10045.4.1', 'ecdsa-with-SHA1'],
  ['1.2.840.10040.4.3', 'dsa-with-sha1'],
])

/** Extensions this validator processes (or may safely ignore); an unknown critical one fails (RFC 5280 §4.2). */
const KNOWN_EXTENSIONS = new Set<string>([
  OID.subjectKeyIdentifier,
  OID.keyUsage,
  OID.subjectAltName,
  OID.basicConstraints,
  OID.certificatePolicies,
  OID.policyMappings,
  OID.authorityKeyIdentifier,
  OID.policyConstraints,
  OID.extKeyUsage,
  OID.inhibitAnyPolicy,
  OID.nameConstraints,
  OID.issuerAltName,
])

const INSECURE_HINT = HINT.insecure

/**
 * Verifies the server's chain (`chain`: DER certificates as in the TLS Certificate message, leaf
 * first; intermediates may come in any order and unrelated extras are ignored) and that the leaf
 * is valid for `options.host`.
 *
 * @returns the validated path.
 * @throws TlsCertificateError (ERR_TLS_BAD_CERTIFICATE) with `reason` and `alert`;
 *   InvalidArgumentError for bad options (empty host, undecodable `ca`, invalid `now`).
 */
export function verifyServerCertificateChain(
  chain: readonly Uint8Array[],
  options: VerifyServerCertificateOptions,
): VerifiedChain {
  const { host, now, store, source } = checkOptions(chain, options)
  if (chain.length === 0) {
    throw new TlsCertificateError(
      'empty_chain',
      'the server sent an empty Certificate message (RFC 8446 §4.4.2.4); it has no certificate configured for this name — check the host/SNI',
    )
  }
  const leaf = parseCertificateCached(chain[0]!)
  const { pool, malformed } = parsePool(chain.slice(1))
  const budget = new VerificationBudget()
  let path: ParsedCertificate[]
  try {
    path = buildPath({ leaf, pool, store, source, budget, validate: (p) => validatePath(p, now, budget) })
  } catch (err) {
    // An intermediate that did not decode may be the missing link: say so rather than "untrusted".
    if (malformed && err instanceof TlsCertificateError && err.reason === 'untrusted') throw malformed
    throw err
  }
  checkLeaf(leaf)
  checkHost(leaf, host)
  return new ValidatedPath(host, path)
}

/** The certificates after the leaf; one that does not decode is left out (it may be an unrelated extra). */
function parsePool(ders: readonly Uint8Array[]): { pool: ParsedCertificate[]; malformed?: TlsCertificateError } {
  const pool: ParsedCertificate[] = []
  let malformed: TlsCertificateError | undefined
  for (const der of ders) {
    try {
      pool.push(parseCertificateCached(der))
    } catch (err) {
      if (!(err instanceof TlsCertificateError)) throw err
      malformed ??= err
    }
  }
  return malformed ? { pool, malformed } : { pool }
}

function checkOptions(chain: readonly Uint8Array[], options: VerifyServerCertificateOptions) {
  if (!Array.isArray(chain) || chain.some((c) => !(c instanceof Uint8Array))) {
    throw new InvalidArgumentError('chain must be an array of DER certificates (Buffer), leaf first')
  }
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError('options must be an object with a host')
  if (typeof options.host !== 'string' || options.host === '')
    throw new InvalidArgumentError('host must be a non-empty string (the DNS name or IP the certificate must match)')
  const now = options.now ?? new Date()
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new InvalidArgumentError('now must be a valid Date')
  const { store, source } = trustStoreFor(options)
  return { host: options.host, now, store, source }
}

/** RFC 5280 §6.1.3-6.1.4 checks on a path that ends at a trust anchor. `path[0]` is the leaf. */
function validatePath(path: readonly ParsedCertificate[], now: Date, budget: VerificationBudget): void {
  const last = path.length - 1
  for (let i = 0; i <= last; i++) {
    const cert = path[i]!
    checkValidity(cert, now)
    checkCriticalExtensions(cert)
    // The anchor's own signature is not checked (RFC 5280 §6.1: a trust anchor is trusted as given).
    if (i < last) checkSignatureAlgorithm(cert)
    checkProfile(cert, roleOf(i, last))
    if (i > 0) checkIssuer(cert, path, i, budget)
  }
}

function roleOf(i: number, last: number): CertificateRole {
  if (i === 0) return last === 0 ? 'trustedLeaf' : 'leaf'
  return i === last ? 'anchor' : 'intermediate'
}

function checkValidity(cert: ParsedCertificate, now: Date): void {
  // RFC 5280 §4.1.2.5: valid from notBefore to notAfter, both inclusive, in whole seconds (the encoding's
  // granularity; the web PKI reads a notAfter of 00:00:00 as valid through 00:00:00.999).
  const second = Math.floor(now.getTime() / 1000) * 1000
  if (second > cert.notAfter.getTime()) {
    throw new TlsCertificateError(
      'expired',
      `certificate "${cert.subject}" expired at ${cert.notAfter.toISOString()} (RFC 5280 §4.1.2.5; now ${now.toISOString()}); the server must renew it — check the system clock, ${INSECURE_HINT}`,
      cert.subject,
    )
  }
  if (second < cert.notBefore.getTime()) {
    throw new TlsCertificateError(
      'not_yet_valid',
      `certificate "${cert.subject}" is not valid before ${cert.notBefore.toISOString()} (RFC 5280 §4.1.2.5; now ${now.toISOString()}); check the system clock, ${INSECURE_HINT}`,
      cert.subject,
    )
  }
}

function checkCriticalExtensions(cert: ParsedCertificate): void {
  for (const [oid, ext] of cert.extensions) {
    if (ext.critical && !KNOWN_EXTENSIONS.has(oid)) {
      throw new TlsCertificateError(
        'unsupported_critical_extension',
        `certificate "${cert.subject}" has critical extension ${oid}, which hotconn does not process (RFC 5280 §4.2: such a certificate MUST be rejected); ${INSECURE_HINT}`,
        cert.subject,
      )
    }
  }
}

function checkSignatureAlgorithm(cert: ParsedCertificate): void {
  const weak = WEAK_SIGNATURE_ALGORITHMS.get(cert.signatureAlgorithm)
  if (weak) {
    throw new TlsCertificateError(
      'bad_signature',
      `certificate "${cert.subject}" is signed with ${weak}, which is no longer accepted (RFC 6151, RFC 9155); the server must use a certificate signed with SHA-256 or better, ${INSECURE_HINT}`,
      cert.subject,
    )
  }
}

/** RFC 5280 §6.1.4 (k), (l), (m), (n) for the issuer at `path[i]`, plus EKU chaining. */
function checkIssuer(
  issuer: ParsedCertificate,
  path: readonly ParsedCertificate[],
  i: number,
  budget: VerificationBudget,
): void {
  const bc = issuer.basicConstraints
  if (!bc || !bc.ca) {
    throw new TlsCertificateError(
      'not_a_ca',
      `certificate "${issuer.subject}" issued "${path[i - 1]!.subject}" but is not a CA: basicConstraints ${bc ? 'has CA:FALSE' : 'is missing'} (RFC 5280 §4.2.1.9, §6.1.4 (k)); the server sent a wrong chain, ${INSECURE_HINT}`,
      issuer.subject,
    )
  }
  if (bc.pathLen !== undefined) {
    // Non-self-issued intermediates between this issuer and the leaf (RFC 5280 §6.1.4 (l), (m)).
    let below = 0
    for (let j = 1; j < i; j++) if (!path[j]!.selfIssued) below++
    if (below > bc.pathLen) {
      throw new TlsCertificateError(
        'path_length',
        `CA certificate "${issuer.subject}" allows ${bc.pathLen} intermediate CA(s) below it (pathLenConstraint), but the path has ${below} (RFC 5280 §4.2.1.9, §6.1.4 (l)); the CA hierarchy is misconfigured, ${INSECURE_HINT}`,
        issuer.subject,
      )
    }
  }
  if (issuer.keyUsage && !issuer.keyUsage.has(KeyUsageBit.keyCertSign)) {
    throw new TlsCertificateError(
      'key_usage',
      `CA certificate "${issuer.subject}" has a keyUsage extension without keyCertSign, so it may not sign certificates (RFC 5280 §4.2.1.3, §6.1.4 (n)); ${INSECURE_HINT}`,
      issuer.subject,
    )
  }
  if (issuer.nameConstraints) checkNameConstraints(issuer, path, i, budget)
  // Mozilla and Chrome: an EKU on a CA restricts what it may issue for.
  if (issuer.extKeyUsage && !allowsServerAuth(issuer.extKeyUsage)) {
    throw new TlsCertificateError(
      'extended_key_usage',
      `CA certificate "${issuer.subject}" restricts its extendedKeyUsage to ${issuer.extKeyUsage.join(', ')}, without serverAuth (RFC 5280 §4.2.1.12); it may not issue TLS server certificates, ${INSECURE_HINT}`,
      issuer.subject,
    )
  }
}

/** RFC 5280 §6.1.3 (b), (c): every certificate below the constraining CA (self-issued intermediates excepted). */
function checkNameConstraints(
  issuer: ParsedCertificate,
  path: readonly ParsedCertificate[],
  i: number,
  budget: VerificationBudget,
): void {
  for (let j = 0; j < i; j++) {
    const cert = path[j]!
    if (j > 0 && cert.selfIssued) continue
    const bad = nameConstraintViolation(issuer.nameConstraints!, cert, budget)
    if (bad !== undefined) {
      throw new TlsCertificateError(
        'name_constraints',
        `certificate "${cert.subject}" names ${bad.name}, but ${bad.why} of the nameConstraints of CA "${issuer.subject}" (RFC 5280 §4.2.1.10); that CA may not issue for this name, ${INSECURE_HINT}`,
        cert.subject,
      )
    }
  }
}

function allowsServerAuth(eku: readonly string[]): boolean {
  return eku.includes(OID.serverAuth) || eku.includes(OID.anyExtendedKeyUsage)
}

/** End-entity usage checks (RFC 5280 §4.2.1.3, §4.2.1.12; RFC 5246 §7.4.2, RFC 8446 §4.4.2.2). */
function checkLeaf(leaf: ParsedCertificate): void {
  if (leaf.extKeyUsage && !allowsServerAuth(leaf.extKeyUsage)) {
    throw new TlsCertificateError(
      'extended_key_usage',
      `certificate "${leaf.subject}" is not for TLS servers: its extendedKeyUsage (${leaf.extKeyUsage.map(ekuName).join(', ')}) lacks serverAuth (RFC 5280 §4.2.1.12); the server must use a server certificate, ${INSECURE_HINT}`,
      leaf.subject,
    )
  }
  const ku = leaf.keyUsage
  if (
    ku &&
    !ku.has(KeyUsageBit.digitalSignature) &&
    !ku.has(KeyUsageBit.keyEncipherment) &&
    !ku.has(KeyUsageBit.keyAgreement)
  ) {
    throw new TlsCertificateError(
      'key_usage',
      `certificate "${leaf.subject}" has a keyUsage extension without digitalSignature, keyEncipherment or keyAgreement, so its key cannot authenticate a TLS handshake (RFC 5280 §4.2.1.3, RFC 8446 §4.4.2.2); ${INSECURE_HINT}`,
      leaf.subject,
    )
  }
}

function ekuName(oid: string): string {
  return oid === OID.clientAuth ? 'clientAuth' : oid === OID.serverAuth ? 'serverAuth' : oid
}

function checkHost(leaf: ParsedCertificate, host: string): void {
  const san = leaf.subjectAltName
  if (!san) {
    throw new TlsCertificateError(
      'hostname_mismatch',
      `certificate "${leaf.subject}" has no subjectAltName, so it names no host; the subject commonName is not used (RFC 9525 §6.3, BR §7.1.2.7.12, as in browsers) — the server must use a certificate with a subjectAltName for "${host}", ${INSECURE_HINT}`,
      leaf.subject,
    )
  }
  if (matchesHostname(host, san)) return
  const presented = [...san.dnsNames, ...san.ipAddresses.map(formatIp)]
  const list =
    presented.length > 0
      ? presented.slice(0, 10).join(', ') + (presented.length > 10 ? ', …' : '')
      : 'no DNS name or IP address'
  throw new TlsCertificateError(
    'hostname_mismatch',
    `certificate "${leaf.subject}" is not valid for "${host}" (RFC 9525 §6; it names ${list}); connect with a name the certificate lists, ${INSECURE_HINT}`,
    leaf.subject,
  )
}
