/**
 * The certificate profile hotconn requires of each certificate on a path, by its role: RFC 5280 §4 as the
 * CA/Browser Forum Baseline Requirements (BR) §7.1 and §6.1.5 profile it for the web PKI.
 *
 * Trust anchors are held to the rules every root in Mozilla's store (Node's `tls.rootCertificates`) meets:
 * some trusted roots carry an authorityKeyIdentifier with issuer and serial (QuoVadis Root CA 2 and 3,
 * Certigna), a non-critical basicConstraints (Chunghwa Telecom ePKI Root) or no subjectKeyIdentifier (TWCA
 * Global Root CA), and browsers accept them, so those three rules apply to intermediates only.
 */
import { HINT, TlsCertificateError, type CertificateFailureReason } from './errors.js'
import { KeyUsageBit, OID, type ParsedCertificate } from './parse.js'

/** Where a certificate sits on the candidate path. `trustedLeaf`: the leaf is itself a trust anchor. */
export type CertificateRole = 'leaf' | 'intermediate' | 'anchor' | 'trustedLeaf'

const INSECURE_HINT = HINT.insecure

/** Public key algorithms accepted on certificates (BR §6.1.5, §7.1.3.1; RFC 8410 EdDSA; FIPS 204 ML-DSA). */
const KEY_ALGORITHMS = new Map([
  ['1.2.840.113549.1.1.1', 'RSA'],
  ['1.2.840.113549.1.1.10', 'RSASSA-PSS'],
  ['1.2.840.10045.2.1', 'EC'],
  ['1.3.101.112', 'Ed25519'],
  ['1.3.101.113', 'Ed448'],
  ['2.16.840.1.101.3.4.3.17', 'ML-DSA-44'],
  ['2.16.840.1.101.3.4.3.18', 'ML-DSA-65'],
  ['2.16.840.1.101.3.4.3.19', 'ML-DSA-87'],
])

/** BR §6.1.5: P-256, P-384, P-521 by name (RFC 5480 §2.1.1.1). */
const NAMED_CURVES = new Map([
  ['1.2.840.10045.3.1.7', 'P-256'],
  ['1.3.132.0.34', 'P-384'],
  ['1.3.132.0.35', 'P-521'],
])

const OID_DSA = '1.2.840.10040.4.1'

function fail(reason: CertificateFailureReason, cert: ParsedCertificate, rule: string): never {
  throw new TlsCertificateError(reason, `certificate "${cert.subject}" ${rule}; ${INSECURE_HINT}`, cert.subject)
}

/** Checks one certificate against the profile for its role. Throws TlsCertificateError. */
export function checkProfile(cert: ParsedCertificate, role: CertificateRole): void {
  checkEveryCertificate(cert)
  checkPublicKey(cert)
  if (role === 'leaf') checkEndEntity(cert)
  if (role === 'leaf' || role === 'intermediate') checkAuthorityKeyIdentifier(cert)
  if (role === 'intermediate' || role === 'anchor') checkCa(cert, role)
  if (role === 'anchor') checkRootKeyIdentifiers(cert)
}

function checkEveryCertificate(cert: ParsedCertificate): void {
  if (cert.version !== 3)
    fail('profile_violation', cert, `is an X.509 v${cert.version} certificate; only v3 is accepted (BR §7.1.1)`)
  if (cert.issuerEmpty)
    fail('profile_violation', cert, 'has an empty issuer Name (RFC 5280 §4.1.2.4: the issuer MUST be non-empty)')
  if (!cert.signatureAlgorithmsMatch)
    fail(
      'bad_signature',
      cert,
      'names different signature algorithms inside and outside the TBSCertificate (RFC 5280 §4.1.1.2)',
    )
  for (const [id, name] of [
    [OID.authorityKeyIdentifier, 'authorityKeyIdentifier (RFC 5280 §4.2.1.1)'],
    [OID.subjectKeyIdentifier, 'subjectKeyIdentifier (RFC 5280 §4.2.1.2)'],
  ] as const) {
    if (cert.extensions.get(id)?.critical) fail('profile_violation', cert, `marks ${name} critical; it MUST NOT be`)
  }
  const san = cert.extensions.get(OID.subjectAltName)
  if (cert.subjectRdns.length === 0 && !san?.critical)
    fail(
      'profile_violation',
      cert,
      'has an empty subject without a critical subjectAltName (RFC 5280 §4.1.2.6, §4.2.1.6)',
    )
}

function checkPublicKey(cert: ParsedCertificate): void {
  const key = cert.subjectPublicKey
  const name = KEY_ALGORITHMS.get(key.algorithm)
  if (!name) {
    const what = key.algorithm === OID_DSA ? 'a DSA key' : `a key of algorithm ${key.algorithm}`
    fail('weak_key', cert, `holds ${what}, which is not accepted (BR §6.1.5: RSA, ECDSA P-256/P-384/P-521)`)
  }
  if (name === 'EC') {
    if (key.explicitCurve)
      fail(
        'weak_key',
        cert,
        'holds an EC key with explicit curve parameters; only named curves are accepted (RFC 5480 §2.1.1, BR §7.1.3.1.2)',
      )
    if (!NAMED_CURVES.has(key.namedCurve!))
      fail(
        'weak_key',
        cert,
        `holds an EC key on curve ${key.namedCurve}; only P-256, P-384 and P-521 are accepted (BR §6.1.5)`,
      )
  }
  const bits = key.rsaBits
  if (bits !== undefined && (bits < 2048 || bits % 8 !== 0))
    fail('weak_key', cert, `holds a ${bits}-bit RSA key; at least 2048 bits, a multiple of 8, are required (BR §6.1.5)`)
}

/** BR §7.1.2.7: a subscriber (TLS server) certificate. */
function checkEndEntity(cert: ParsedCertificate): void {
  if (cert.basicConstraints?.ca)
    fail(
      'profile_violation',
      cert,
      'is a CA certificate (basicConstraints CA:TRUE) used as the server certificate (BR §7.1.2.7.8)',
    )
  if (cert.keyUsage?.has(KeyUsageBit.keyCertSign))
    fail(
      'key_usage',
      cert,
      'is a server certificate whose keyUsage asserts keyCertSign (RFC 5280 §4.2.1.9: only CA:TRUE certificates may; BR §7.1.2.7.11)',
    )
  if (cert.nameConstraints)
    fail(
      'profile_violation',
      cert,
      'is a server certificate with nameConstraints, which MUST be used only in a CA certificate (RFC 5280 §4.2.1.10)',
    )
  const san = cert.extensions.get(OID.subjectAltName)
  if (san?.critical && cert.subjectRdns.length > 0)
    fail(
      'profile_violation',
      cert,
      'marks subjectAltName critical although its subject is not empty (BR §7.1.2.7.12: it MUST NOT be critical then)',
    )
}

/** RFC 5280 §4.2.1.1: every certificate but a self-signed one names its issuer's key. */
function checkAuthorityKeyIdentifier(cert: ParsedCertificate): void {
  if (cert.selfIssued) return
  if (!cert.authorityKeyIdentifier?.keyIdentifier)
    fail(
      'profile_violation',
      cert,
      'has no authorityKeyIdentifier keyIdentifier (RFC 5280 §4.2.1.1: it MUST be included in all certificates but self-signed ones)',
    )
}

/** RFC 5280 §4.1.2.6, §4.2.1.2, §4.2.1.9 for CA certificates. */
function checkCa(cert: ParsedCertificate, role: 'intermediate' | 'anchor'): void {
  if (cert.subjectRdns.length === 0)
    fail(
      'profile_violation',
      cert,
      'is a CA certificate with an empty subject (RFC 5280 §4.1.2.6: it MUST be non-empty)',
    )
  if (role === 'anchor') return
  if (cert.basicConstraints && !cert.extensions.get(OID.basicConstraints)!.critical)
    fail(
      'profile_violation',
      cert,
      'is a CA certificate whose basicConstraints is not critical (RFC 5280 §4.2.1.9: it MUST be)',
    )
  if (cert.basicConstraints?.ca && !cert.subjectKeyIdentifier)
    fail(
      'profile_violation',
      cert,
      'is a CA certificate without subjectKeyIdentifier (RFC 5280 §4.2.1.2: it MUST appear in all CA certificates)',
    )
}

/** BR §7.1.2.1.3: a root's authorityKeyIdentifier, when present, holds only keyIdentifier, equal to its SKI. */
function checkRootKeyIdentifiers(cert: ParsedCertificate): void {
  const aki = cert.authorityKeyIdentifier
  if (!aki || !cert.selfIssued) return
  if (!aki.keyIdentifier)
    fail('profile_violation', cert, 'is a root whose authorityKeyIdentifier lacks keyIdentifier (BR §7.1.2.1.3)')
  if (cert.subjectKeyIdentifier && !aki.keyIdentifier.equals(cert.subjectKeyIdentifier))
    fail(
      'profile_violation',
      cert,
      'is a root whose authorityKeyIdentifier differs from its subjectKeyIdentifier (BR §7.1.2.1.3: they MUST be identical)',
    )
}
