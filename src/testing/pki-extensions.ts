/**
 * Extension encoders of the test PKI (RFC 5280 §4.2) and the overrides that make certificates which break the
 * profile on purpose: for tests of the verifier's rules (version, key identifiers, basicConstraints
 * criticality, empty subjects, extra name forms, nameConstraints of every form, raw extensions, foreign keys).
 */
import { isIP } from 'node:net'
import forge from 'node-forge'
import { InvalidArgumentError } from '../errors.js'

const { asn1 } = forge
const forgeUntyped = forge as unknown as { util: { bytesFromIP(ip: string): string | null } }

export type ExtensionSpec = Record<string, unknown> & { name?: string; id?: string; critical?: boolean }

/** A subjectAltName entry of a form other than dNSName / iPAddress. */
export interface ExtraAltName {
  readonly type: 'email' | 'uri' | 'otherName' | 'registeredID' | 'directoryName'
  /** email/uri: the IA5String; otherName/registeredID: an OID; directoryName: the O attribute of the Name. */
  readonly value: string
}

/** Ways to make a certificate that breaks the profile (every field defaults to the ordinary encoding). */
export interface CertificateOverrides {
  /** X.509 version to write (RFC 5280 §4.1.2.1). v1 omits the version field; v1 and v2 carry no extensions. */
  readonly version?: 1 | 2 | 3
  /** false omits subjectKeyIdentifier; `critical` marks it critical. */
  readonly subjectKeyId?: false | { readonly critical?: boolean }
  /**
   * false omits authorityKeyIdentifier; `critical` marks it critical; `keyId: false` leaves out keyIdentifier,
   * a Buffer replaces it; `issuerAndSerial` adds authorityCertIssuer and authorityCertSerialNumber.
   */
  readonly authorityKeyId?:
    false | { readonly critical?: boolean; readonly keyId?: Buffer | false; readonly issuerAndSerial?: boolean }
  /** basicConstraints: its criticality, or CA:TRUE on a leaf; false omits it. */
  readonly basicConstraints?: false | { readonly critical?: boolean; readonly ca?: boolean }
  /** An empty subject Name (RFC 5280 §4.1.2.6). */
  readonly emptySubject?: boolean
  /** Marks subjectAltName critical. */
  readonly sanCritical?: boolean
  /** subjectAltName entries of other forms, after the hosts. */
  readonly extraAltNames?: readonly ExtraAltName[]
  /** nameConstraints on this certificate (leaf or CA), with `critical` (default true). */
  readonly nameConstraints?: NameConstraintsSpec & { readonly critical?: boolean }
  /** Further extensions with a DER value. */
  readonly extensions?: readonly { readonly id: string; readonly critical?: boolean; readonly value: Buffer }[]
  /** A SubjectPublicKeyInfo (DER) written instead of the key's own; the certificate is still signed by its issuer. */
  readonly spki?: Buffer
}

/**
 * nameConstraints subtrees: DNS names ("example.com", ".example.com"), CIDRs ("127.0.0.0/8"), and with a prefix
 * "email:" (rfc822Name), "uri:" (uniformResourceIdentifier), "otherName:<oid>", "dirName:<O value>".
 */
export interface NameConstraintsSpec {
  readonly permitted?: readonly string[]
  readonly excluded?: readonly string[]
}

const ctx = (tag: number, constructed: boolean, value: string | forge.asn1.Asn1[]) =>
  asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag, constructed, value)

export function seq(value: forge.asn1.Asn1[]): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, value)
}

function oidNode(oid: string): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes())
}

/** A Name with one O attribute (UTF8String). */
function organizationName(value: string): forge.asn1.Asn1 {
  const atv = seq([oidNode('2.5.4.10'), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTF8, false, value)])
  return seq([asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [atv])])
}

function ipBytes(ip: string): string {
  return forgeUntyped.util.bytesFromIP(ip) ?? ''
}

function extraName(n: ExtraAltName): forge.asn1.Asn1 {
  switch (n.type) {
    case 'email':
      return ctx(1, false, n.value)
    case 'uri':
      return ctx(6, false, n.value)
    case 'otherName':
      return ctx(0, true, [
        oidNode(n.value),
        ctx(0, true, [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTF8, false, 'x')]),
      ])
    case 'registeredID':
      return ctx(8, false, asn1.oidToDer(n.value).getBytes())
    case 'directoryName':
      return ctx(4, true, [organizationName(n.value)])
    default:
      throw new InvalidArgumentError(`extraAltNames: unknown type ${String((n as ExtraAltName).type)}`)
  }
}

/** subjectAltName (RFC 5280 §4.2.1.6) from host strings (DNS names and IP literals) and extra entries. */
export function sanExtension(hosts: readonly string[], o: CertificateOverrides = {}): ExtensionSpec {
  const names = hosts.map((host) => {
    if (typeof host !== 'string' || host === '') throw new InvalidArgumentError('hosts must be non-empty strings')
    const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
    return isIP(bare) ? ctx(7, false, ipBytes(bare)) : ctx(2, false, host)
  })
  for (const n of o.extraAltNames ?? []) names.push(extraName(n))
  return { id: '2.5.29.17', critical: o.sanCritical ?? false, value: seq(names) }
}

/** nameConstraints (RFC 5280 §4.2.1.10), critical unless `critical: false`. */
export function nameConstraintsExtension(nc: NameConstraintsSpec & { critical?: boolean }): ExtensionSpec {
  const subtrees = (tag: number, names: readonly string[]) =>
    ctx(
      tag,
      true,
      names.map((n) => seq([generalSubtreeBase(n)])),
    )
  const parts: forge.asn1.Asn1[] = []
  if (nc.permitted) parts.push(subtrees(0, nc.permitted))
  if (nc.excluded) parts.push(subtrees(1, nc.excluded))
  return { id: '2.5.29.30', critical: nc.critical ?? true, value: seq(parts) }
}

function generalSubtreeBase(name: string): forge.asn1.Asn1 {
  const colon = name.indexOf(':')
  const prefix = colon > 0 && !isIP(name.split('/')[0]!) ? name.slice(0, colon) : ''
  const rest = name.slice(colon + 1)
  if (prefix === 'email') return ctx(1, false, rest)
  if (prefix === 'uri') return ctx(6, false, rest)
  if (prefix === 'otherName') return extraName({ type: 'otherName', value: rest })
  if (prefix === 'dirName') return ctx(4, true, [organizationName(rest)])
  const slash = name.indexOf('/')
  if (slash < 0) return ctx(2, false, name)
  const addr = name.slice(0, slash)
  const bits = Number(name.slice(slash + 1))
  const family = isIP(addr)
  const bytes = family === 4 ? 4 : 16
  if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > bytes * 8)
    throw new InvalidArgumentError(`nameConstraints: bad CIDR ${name}`)
  const ip = Buffer.from(ipBytes(addr), 'binary')
  const mask = Buffer.alloc(bytes)
  for (let i = 0; i < bits; i++) mask[i >> 3]! |= 0x80 >> (i & 7)
  return ctx(7, false, Buffer.concat([ip, mask]).toString('binary'))
}

/** subjectKeyIdentifier and authorityKeyIdentifier (RFC 5280 §4.2.1.1, §4.2.1.2), as the overrides say. */
export function keyIdExtensions(subjectKeyId: Buffer, issuerKeyId: Buffer, o: CertificateOverrides): ExtensionSpec[] {
  const out: ExtensionSpec[] = []
  if (o.subjectKeyId !== false) {
    const value = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, subjectKeyId.toString('binary'))
    out.push({ id: '2.5.29.14', critical: o.subjectKeyId?.critical ?? false, value })
  }
  const aki = o.authorityKeyId
  if (aki !== false) {
    const keyId = aki?.keyId === false ? undefined : (aki?.keyId ?? issuerKeyId)
    const fields: forge.asn1.Asn1[] = []
    if (keyId) fields.push(ctx(0, false, keyId.toString('binary')))
    if (aki?.issuerAndSerial) {
      fields.push(ctx(1, true, [ctx(4, true, [organizationName('hotconn test PKI')])]))
      fields.push(ctx(2, false, '\x01'))
    }
    out.push({ id: '2.5.29.35', critical: aki?.critical ?? false, value: seq(fields) })
  }
  return out
}

/** Raw extensions of the overrides (nameConstraints and `extensions`). */
export function overrideExtensions(o: CertificateOverrides): ExtensionSpec[] {
  const out: ExtensionSpec[] = []
  if (o.nameConstraints) out.push(nameConstraintsExtension(o.nameConstraints))
  for (const e of o.extensions ?? []) {
    out.push({
      id: e.id,
      critical: e.critical ?? false,
      value: asn1.fromDer(forge.util.createBuffer(e.value.toString('binary'))),
    })
  }
  return out
}

/** Applies `version` to a TBSCertificate forge built (v3, extensions last). */
export function applyVersion(fields: forge.asn1.Asn1[], version: 1 | 2 | 3 | undefined): void {
  if (version === undefined || version === 3) return
  if (fields[fields.length - 1]?.tagClass === asn1.Class.CONTEXT_SPECIFIC) fields.pop() // [3] extensions
  if (version === 1) fields.shift()
  else fields[0] = ctx(0, true, [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, '\x01')])
}
