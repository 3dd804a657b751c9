/**
 * Server certificate chain verification: RFC 5280 §6 path building and validation, then the
 * RFC 6125 identity check. Synchronous.
 *
 * Signatures are verified by OpenSSL through node:crypto `X509Certificate.verify`; OpenSSL's
 * `checkIssued` is not used for CA-ness because it ignores basicConstraints, so every issuer is
 * checked here for basicConstraints CA:TRUE, pathLenConstraint, keyUsage keyCertSign and
 * (like Mozilla) extendedKeyUsage compatibility.
 */
import type { X509Certificate } from 'node:crypto'
import { InvalidArgumentError } from '../../errors.js'
import { TlsCertificateError } from './errors.js'
import { matchesHostname } from './hostname.js'
import { nameConstraintViolation } from './name-constraints.js'
import { KeyUsageBit, OID, parseCertificate, type ParsedCertificate } from './parse.js'
import { systemTrustStore, trustStoreFrom, type TrustAnchorInput, type TrustStore } from './roots.js'

export interface VerifyServerCertificateOptions {
  /** The name the client connected to (DNS name or IP literal); checked per RFC 6125. */
  host: string
  /** Trust anchors (PEM text, or PEM/DER bytes, or a list) replacing the system roots (`tls.rootCertificates`). */
  ca?: TrustAnchorInput
  /** Time at which validity is checked. Default: now. */
  now?: Date
}

/** Proof that a chain was verified for a host (rustls' ServerCertVerified). */
export interface VerifiedChain {
  readonly host: string
  /** The server's end-entity certificate. */
  readonly leaf: X509Certificate
  /** The validated path: leaf first, trust anchor last (length 1 when the leaf itself is trusted). */
  readonly path: readonly X509Certificate[]
  readonly trustAnchor: X509Certificate
}

/** Paths longer than this many intermediates are not explored (Go and Chrome use similar bounds). */
const MAX_INTERMEDIATES = 8
/** Bound on signature checks per verification, so a hostile chain cannot make path building explode. */
const MAX_SIGNATURE_CHECKS = 64

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
])

const INSECURE_HINT = 'or, for testing only, insecure: true'

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
  const certs = chain.map((der) => parseCertificate(der))
  const leaf = certs[0]!
  const path = buildPath(leaf, certs.slice(1), store, now, source)
  checkLeaf(leaf)
  checkHost(leaf, host)
  const x509Path = path.map((c) => c.x509)
  return { host, leaf: leaf.x509, path: x509Path, trustAnchor: x509Path[x509Path.length - 1]! }
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
  const store = options.ca === undefined ? systemTrustStore() : cachedStore(options.ca)
  const source = options.ca === undefined ? 'the system roots (tls.rootCertificates)' : 'the ca option'
  return { host: options.host, now, store, source }
}

// The same `ca` value is usually passed for every connection: parse it once.
const objectStores = new WeakMap<object, TrustStore>()
const stringStores = new Map<string, TrustStore>()

function cachedStore(ca: TrustAnchorInput): TrustStore {
  if (typeof ca === 'string') {
    let store = stringStores.get(ca)
    if (!store) {
      store = trustStoreFrom(ca)
      if (stringStores.size >= 16) stringStores.delete(stringStores.keys().next().value!)
      stringStores.set(ca, store)
    }
    return store
  }
  let store = objectStores.get(ca)
  if (!store) {
    store = trustStoreFrom(ca)
    objectStores.set(ca, store)
  }
  return store
}

/**
 * Depth-first path building (RFC 4158): at each step trust anchors are tried before the
 * certificates the server sent, and a candidate path that fails validation is abandoned for the
 * next. The first failure on a path that reached a trust anchor is reported; otherwise a
 * signature failure, otherwise "untrusted".
 */
function buildPath(
  leaf: ParsedCertificate,
  pool: readonly ParsedCertificate[],
  store: TrustStore,
  now: Date,
  source: string,
): ParsedCertificate[] {
  let pathFailure: TlsCertificateError | undefined
  let signatureFailure: TlsCertificateError | undefined
  let checks = 0

  const signedBy = (child: ParsedCertificate, issuer: ParsedCertificate): boolean => {
    if (++checks > MAX_SIGNATURE_CHECKS) return false
    let ok = false
    try {
      ok = child.x509.verify(issuer.x509.publicKey)
    } catch {
      ok = false
    }
    if (!ok) {
      signatureFailure ??= new TlsCertificateError(
        'bad_signature',
        `certificate "${child.subject}" names "${issuer.subject}" as its issuer but its signature does not verify with that certificate's key (RFC 5280 §6.1.3 (a)(1)); the chain is corrupt or forged — pass the right issuing CA as ca, ${INSECURE_HINT}`,
        child.subject,
      )
    }
    return ok
  }

  const complete = (path: ParsedCertificate[]): boolean => {
    try {
      validatePath(path, now)
      return true
    } catch (err) {
      if (!(err instanceof TlsCertificateError)) throw err
      pathFailure ??= err
      return false
    }
  }

  const visit = (path: ParsedCertificate[]): ParsedCertificate[] | undefined => {
    const cur = path[path.length - 1]!
    // A certificate that is itself a trust anchor ends the path (this covers a trusted leaf).
    if (store.has(cur)) return complete(path) ? path : undefined
    for (const anchor of store.issuersOf(cur)) {
      if (path.some((c) => c.der.equals(anchor.der))) continue
      if (!signedBy(cur, anchor)) continue
      const candidate = [...path, anchor]
      if (complete(candidate)) return candidate
    }
    if (path.length - 1 >= MAX_INTERMEDIATES) return undefined
    for (const next of pool) {
      if (next.subjectDer !== cur.issuerDer && next.subjectKey !== cur.issuerKey) continue
      if (path.some((c) => c.der.equals(next.der))) continue
      if (!signedBy(cur, next)) continue
      const found = visit([...path, next])
      if (found) return found
    }
    return undefined
  }

  const found = visit([leaf])
  if (found) return found
  if (pathFailure) throw pathFailure
  if (signatureFailure) throw signatureFailure
  throw new TlsCertificateError(
    'untrusted',
    `certificate "${leaf.subject}" does not chain to a trusted root (RFC 5280 §6.1): no issuer of it or of the intermediates sent (top: "${topIssuer(leaf, pool)}") is in ${source}; pass the issuing CA as ca, ${INSECURE_HINT}`,
    leaf.subject,
  )
}

function topIssuer(leaf: ParsedCertificate, pool: readonly ParsedCertificate[]): string {
  let cur = leaf
  for (let i = 0; i < MAX_INTERMEDIATES; i++) {
    const next = pool.find((c) => c !== cur && !c.der.equals(cur.der) && c.subjectDer === cur.issuerDer)
    if (!next) break
    cur = next
  }
  return cur.issuer
}

/** RFC 5280 §6.1.3-6.1.4 checks on a path that ends at a trust anchor. `path[0]` is the leaf. */
function validatePath(path: readonly ParsedCertificate[], now: Date): void {
  const last = path.length - 1
  for (let i = 0; i <= last; i++) {
    const cert = path[i]!
    checkValidity(cert, now)
    checkCriticalExtensions(cert)
    // The anchor's own signature is not checked (RFC 5280 §6.1: a trust anchor is trusted as given).
    if (i < last) checkSignatureAlgorithm(cert)
    if (i > 0) checkIssuer(cert, path, i)
  }
}

function checkValidity(cert: ParsedCertificate, now: Date): void {
  // RFC 5280 §4.1.2.5: valid from notBefore to notAfter, both inclusive.
  if (now.getTime() > cert.notAfter.getTime()) {
    throw new TlsCertificateError(
      'expired',
      `certificate "${cert.subject}" expired at ${cert.notAfter.toISOString()} (RFC 5280 §4.1.2.5; now ${now.toISOString()}); the server must renew it — check the system clock, ${INSECURE_HINT}`,
      cert.subject,
    )
  }
  if (now.getTime() < cert.notBefore.getTime()) {
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
function checkIssuer(issuer: ParsedCertificate, path: readonly ParsedCertificate[], i: number): void {
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
  if (issuer.nameConstraints) checkNameConstraints(issuer, path, i)
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
function checkNameConstraints(issuer: ParsedCertificate, path: readonly ParsedCertificate[], i: number): void {
  for (let j = 0; j < i; j++) {
    const cert = path[j]!
    if (j > 0 && cert.selfIssued) continue
    const san = cert.subjectAltName
    // A SAN-less leaf may be matched by its commonName (hostname.ts), so constrain that too (as Chrome does).
    const dnsNames = san ? san.dnsNames : j === 0 && cert.commonName !== undefined ? [cert.commonName] : []
    const bad = nameConstraintViolation(issuer.nameConstraints!, { dnsNames, ipAddresses: san?.ipAddresses ?? [] })
    if (bad !== undefined) {
      throw new TlsCertificateError(
        'name_constraints',
        `certificate "${cert.subject}" names ${bad}, outside the nameConstraints of CA "${issuer.subject}" (RFC 5280 §4.2.1.10); that CA may not issue for this name, ${INSECURE_HINT}`,
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
  const ids = { dnsNames: san?.dnsNames ?? [], ipAddresses: san?.ipAddresses ?? [], commonName: leaf.commonName }
  if (matchesHostname(host, ids)) return
  const presented = [...ids.dnsNames, ...ids.ipAddresses.map(formatIp)]
  const list =
    presented.length > 0
      ? presented.slice(0, 10).join(', ') + (presented.length > 10 ? ', …' : '')
      : `no subjectAltName; commonName ${leaf.commonName ?? '(none)'}`
  throw new TlsCertificateError(
    'hostname_mismatch',
    `certificate "${leaf.subject}" is not valid for "${host}" (RFC 6125 §6; it names ${list}); connect with a name the certificate lists, ${INSECURE_HINT}`,
    leaf.subject,
  )
}

function formatIp(ip: Uint8Array): string {
  if (ip.length === 4) return [...ip].join('.')
  if (ip.length === 16) {
    const groups: string[] = []
    for (let i = 0; i < 16; i += 2) groups.push(((ip[i]! << 8) | ip[i + 1]!).toString(16))
    return groups.join(':')
  }
  return Buffer.from(ip).toString('hex')
}
