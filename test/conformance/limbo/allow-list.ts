/**
 * x509-limbo core cases the verifier accepts although the suite expects a rejection. Each entry says why
 * hotconn accepts such a chain on purpose; keep the list short and reviewed. The test fails on a false accept
 * missing here, and on an entry that is no longer a false accept (so the list cannot go stale).
 */

const CN_NOT_USED =
  'BR §7.1.4.3 (the subject CN must copy a SAN entry) binds CAs, and hotconn never reads the CN: identity comes ' +
  'from the subjectAltName only (RFC 9525 §6.3), so a CN that differs from the SANs cannot make it accept a wrong ' +
  "host. Rejecting it would refuse private-PKI certificates whose CN is a label (Kubernetes' API server: " +
  'CN=kube-apiserver with DNS/IP SANs). Chrome, Firefox, Go and rustls-webpki accept these chains too.'

const MOZILLA_ROOTS =
  "Mozilla's root store (Node's tls.rootCertificates, which browsers trust too) holds roots that break this rule, " +
  'and browsers accept the sites they serve: '

export const ALLOWED_FALSE_ACCEPTS: Readonly<Record<string, string>> = {
  'webpki::cn::case-mismatch': CN_NOT_USED,
  'webpki::cn::ipv4-hex-mismatch': CN_NOT_USED,
  'webpki::cn::ipv4-leading-zeros-mismatch': CN_NOT_USED,
  'webpki::cn::ipv6-non-rfc5952-mismatch': CN_NOT_USED,
  'webpki::cn::ipv6-uncompressed-mismatch': CN_NOT_USED,
  'webpki::cn::ipv6-uppercase-mismatch': CN_NOT_USED,
  'webpki::cn::not-in-san': CN_NOT_USED,
  'webpki::cn::punycode-not-in-san': CN_NOT_USED,
  'webpki::cn::utf8-vs-punycode-mismatch': CN_NOT_USED,
  'rfc5280::ski::root-missing-ski':
    MOZILLA_ROOTS + 'TWCA Global Root CA has no subjectKeyIdentifier. Enforced for intermediates.',
  'rfc5280::root-non-critical-basic-constraints':
    MOZILLA_ROOTS + 'Chunghwa Telecom ePKI Root CA has a non-critical basicConstraints. Enforced for intermediates.',
  'webpki::aki::root-with-aki-authoritycertissuer':
    MOZILLA_ROOTS + 'QuoVadis Root CA 2 and 3 and Certigna carry authorityCertIssuer in their authorityKeyIdentifier.',
  'webpki::aki::root-with-aki-authoritycertserialnumber':
    MOZILLA_ROOTS +
    'QuoVadis Root CA 2 and 3 and Certigna carry authorityCertSerialNumber in their authorityKeyIdentifier.',
  'webpki::aki::root-with-aki-all-fields':
    MOZILLA_ROOTS + 'QuoVadis Root CA 2 and 3 and Certigna carry both fields in their authorityKeyIdentifier.',
  'rfc5280::nc::invalid-dnsname-leading-period':
    'mozilla::pkix (Firefox), Go and OpenSSL read the dNSName constraint ".example.com" as "the subdomains of ' +
    'example.com", and private CAs issue it that way; hotconn applies it with that meaning, which permits (or ' +
    'excludes) a subset of what "example.com" does, so it cannot widen what the CA may issue for.',
  'rfc5280::san::underscore-dns':
    'Chrome, Firefox and Go accept "_" in a presented dNSName (the BR banned it in publicly trusted certificates ' +
    'only in 2019, and internal names still use it); hotconn compares it as a literal character, so it can only ' +
    'match the very host that carries it.',
}
