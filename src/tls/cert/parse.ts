/**
 * Decodes the parts of an X.509 certificate that path validation needs (RFC 5280 §4.1, §4.2).
 * node:crypto's X509Certificate (OpenSSL) parses the certificate and verifies signatures; the
 * extensions it does not expose (basicConstraints, keyUsage, extKeyUsage, raw SANs) are read here
 * with node-forge's DER decoder.
 */
import { X509Certificate } from 'node:crypto'
import forge from 'node-forge'
import { TlsCertificateError } from './errors.js'

const { asn1 } = forge
const forgeAsn1 = forge.asn1 as unknown as {
  fromDer(
    bytes: forge.util.ByteStringBuffer,
    options: { strict: boolean; decodeBitStrings: boolean; parseAllBytes: boolean },
  ): forge.asn1.Asn1
}

/** RFC 5280 §4.2 extension OIDs. */
export const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  inhibitAnyPolicy: '2.5.29.54',
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
  readonly value: string
}

/** One certificate as path validation sees it. */
export interface ParsedCertificate {
  readonly der: Buffer
  readonly x509: X509Certificate
  /** OpenSSL one-line forms, for messages. */
  readonly subject: string
  readonly issuer: string
  /** Lowercased one-line forms, a fallback for Names encoded differently but equal (RFC 5280 §7.1). */
  readonly subjectKey: string
  readonly issuerKey: string
  /** DER of the subject and issuer Names (RFC 5280 §7.1 compares them; byte equality is the common case). */
  readonly subjectDer: string
  readonly issuerDer: string
  readonly notBefore: Date
  readonly notAfter: Date
  /** OID of the signature algorithm the issuer used (RFC 5280 §4.1.1.2). */
  readonly signatureAlgorithm: string
  readonly extensions: ReadonlyMap<string, ParsedExtension>
  /** undefined when the extension is absent. */
  readonly basicConstraints: { readonly ca: boolean; readonly pathLen: number | undefined } | undefined
  /** Set bits (KeyUsageBit numbers); undefined when the extension is absent. */
  readonly keyUsage: ReadonlySet<number> | undefined
  /** Key purpose OIDs; undefined when the extension is absent. */
  readonly extKeyUsage: readonly string[] | undefined
  /** dNSName and iPAddress entries of subjectAltName; undefined when the extension is absent. */
  readonly subjectAltName: { readonly dnsNames: readonly string[]; readonly ipAddresses: readonly Buffer[] } | undefined
  /** dNSName / iPAddress subtrees of nameConstraints (RFC 5280 §4.2.1.10); undefined when absent. */
  readonly nameConstraints: NameConstraints | undefined
  readonly commonName: string | undefined
  readonly selfIssued: boolean
}

export interface NameSubtrees {
  readonly dnsNames: readonly string[]
  /** Address followed by mask: 8 bytes (IPv4) or 32 bytes (IPv6). */
  readonly ipRanges: readonly Buffer[]
}

export interface NameConstraints {
  readonly permitted: NameSubtrees | undefined
  readonly excluded: NameSubtrees | undefined
}

/** Parses one DER certificate. Throws TlsCertificateError('malformed') when it does not decode. */
export function parseCertificate(der: Buffer | Uint8Array): ParsedCertificate {
  const bytes = Buffer.from(der.buffer, der.byteOffset, der.byteLength)
  let x509: X509Certificate
  let root: forge.asn1.Asn1
  try {
    x509 = new X509Certificate(bytes)
    root = forgeAsn1.fromDer(forge.util.createBuffer(bytes.toString('binary')), {
      strict: true,
      decodeBitStrings: false,
      parseAllBytes: true,
    })
  } catch (cause) {
    throw new TlsCertificateError(
      'malformed',
      `certificate does not decode as DER X.509 (RFC 5280 §4.1): ${(cause as Error).message}; the server sent a corrupt chain`,
      undefined,
      { cause },
    )
  }
  const subject = oneLine(x509.subject)
  try {
    return decode(bytes, x509, root, subject)
  } catch (cause) {
    if (cause instanceof TlsCertificateError) throw cause
    throw new TlsCertificateError(
      'malformed',
      `certificate "${subject}" has a malformed field (RFC 5280 §4.1): ${(cause as Error).message}`,
      subject,
      { cause },
    )
  }
}

function decode(der: Buffer, x509: X509Certificate, root: forge.asn1.Asn1, subject: string): ParsedCertificate {
  const top = children(root)
  const tbs = children(top[0])
  const sigAlg = children(top[1])
  // tbs: [0]version? serial signature issuer validity subject spki [1]? [2]? [3]extensions?
  const offset = tbs[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC && tbs[0].type === 0 ? 1 : 0
  const issuerNode = tbs[offset + 2]
  const subjectNode = tbs[offset + 4]
  if (!issuerNode || !subjectNode) throw new Error('TBSCertificate is too short')
  const extensions = new Map<string, ParsedExtension>()
  const extsNode = tbs.find((n) => n.tagClass === asn1.Class.CONTEXT_SPECIFIC && n.type === 3)
  if (extsNode) {
    for (const ext of children(children(extsNode)[0])) {
      const parts = children(ext)
      const id = asn1.derToOid(primitive(parts[0]))
      const critical = parts.length === 3 && primitive(parts[1]).charCodeAt(0) !== 0
      const value = primitive(parts[parts.length - 1])
      // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
      if (extensions.has(id)) throw new Error(`duplicate extension ${id} (RFC 5280 §4.2)`)
      extensions.set(id, { critical, value })
    }
  }
  const subjectDer = asn1.toDer(subjectNode).getBytes()
  const issuerDer = asn1.toDer(issuerNode).getBytes()
  return {
    der,
    x509,
    subject,
    issuer: oneLine(x509.issuer),
    subjectKey: subject.toLowerCase(),
    issuerKey: oneLine(x509.issuer).toLowerCase(),
    subjectDer,
    issuerDer,
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    signatureAlgorithm: asn1.derToOid(primitive(sigAlg[0])),
    extensions,
    basicConstraints: decodeBasicConstraints(extensions.get(OID.basicConstraints)),
    keyUsage: decodeKeyUsage(extensions.get(OID.keyUsage)),
    extKeyUsage: decodeExtKeyUsage(extensions.get(OID.extKeyUsage)),
    subjectAltName: decodeSubjectAltName(extensions.get(OID.subjectAltName)),
    nameConstraints: decodeNameConstraints(extensions.get(OID.nameConstraints)),
    commonName: commonNameOf(subjectNode),
    selfIssued: subjectDer === issuerDer || oneLine(x509.subject).toLowerCase() === oneLine(x509.issuer).toLowerCase(),
  }
}

function decodeBasicConstraints(ext: ParsedExtension | undefined): ParsedCertificate['basicConstraints'] {
  if (!ext) return undefined
  const fields = children(fromDer(ext.value))
  let ca = false
  let pathLen: number | undefined
  for (const f of fields) {
    if (f.type === asn1.Type.BOOLEAN) ca = primitive(f).charCodeAt(0) !== 0
    else if (f.type === asn1.Type.INTEGER) pathLen = asn1.derToInteger(primitive(f))
  }
  if (pathLen !== undefined && pathLen < 0) throw new Error('negative pathLenConstraint')
  return { ca, pathLen }
}

function decodeKeyUsage(ext: ParsedExtension | undefined): Set<number> | undefined {
  if (!ext) return undefined
  const bits = primitive(fromDer(ext.value))
  const set = new Set<number>()
  for (let i = 0; i < (bits.length - 1) * 8; i++) {
    if (bits.charCodeAt(1 + (i >> 3)) & (0x80 >> (i & 7))) set.add(i)
  }
  return set
}

function decodeExtKeyUsage(ext: ParsedExtension | undefined): string[] | undefined {
  if (!ext) return undefined
  return children(fromDer(ext.value)).map((n) => asn1.derToOid(primitive(n)))
}

function decodeSubjectAltName(ext: ParsedExtension | undefined): ParsedCertificate['subjectAltName'] {
  if (!ext) return undefined
  const dnsNames: string[] = []
  const ipAddresses: Buffer[] = []
  for (const gn of children(fromDer(ext.value))) {
    if (gn.tagClass !== asn1.Class.CONTEXT_SPECIFIC) continue
    if (gn.type === 2) dnsNames.push(primitive(gn))
    else if (gn.type === 7) ipAddresses.push(Buffer.from(primitive(gn), 'binary'))
  }
  return { dnsNames, ipAddresses }
}

function decodeNameConstraints(ext: ParsedExtension | undefined): NameConstraints | undefined {
  if (!ext) return undefined
  let permitted: NameSubtrees | undefined
  let excluded: NameSubtrees | undefined
  for (const part of children(fromDer(ext.value))) {
    const subtrees: NameSubtrees = { dnsNames: [], ipRanges: [] }
    for (const subtree of children(part)) {
      const base = children(subtree)[0]
      if (!base || base.tagClass !== asn1.Class.CONTEXT_SPECIFIC) continue
      if (base.type === 2) (subtrees.dnsNames as string[]).push(primitive(base))
      else if (base.type === 7) (subtrees.ipRanges as Buffer[]).push(Buffer.from(primitive(base), 'binary'))
    }
    if (part.tagClass === asn1.Class.CONTEXT_SPECIFIC && part.type === 0) permitted = subtrees
    else if (part.tagClass === asn1.Class.CONTEXT_SPECIFIC && part.type === 1) excluded = subtrees
  }
  return { permitted, excluded }
}

const OID_COMMON_NAME = '2.5.4.3'

function commonNameOf(name: forge.asn1.Asn1): string | undefined {
  let cn: string | undefined
  for (const rdn of children(name)) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv)
      if (type && value && asn1.derToOid(primitive(type)) === OID_COMMON_NAME) {
        const raw = primitive(value)
        // BMPString (30) is UTF-16BE; UTF8String (12) is UTF-8; the rest are ASCII subsets.
        cn =
          value.type === 30
            ? Buffer.from(raw, 'binary').swap16().toString('utf16le')
            : Buffer.from(raw, 'binary').toString(value.type === asn1.Type.UTF8 ? 'utf8' : 'latin1')
      }
    }
  }
  return cn // RFC 6125 §6.4.4: the most specific (last) CN
}

function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ')
}

function children(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new Error('expected a constructed ASN.1 value')
  return node.value
}

function primitive(node: forge.asn1.Asn1 | undefined): string {
  if (!node || typeof node.value !== 'string') throw new Error('expected a primitive ASN.1 value')
  return node.value
}

function fromDer(bytes: string): forge.asn1.Asn1 {
  return forgeAsn1.fromDer(forge.util.createBuffer(bytes), {
    strict: true,
    decodeBitStrings: false,
    parseAllBytes: true,
  })
}
