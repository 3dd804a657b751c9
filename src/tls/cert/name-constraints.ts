/**
 * nameConstraints (RFC 5280 §4.2.1.10, §6.1.3 (b), (c)) applied to the names of one certificate below the
 * constraining CA: every subjectAltName form that hotconn processes (dNSName, iPAddress, rfc822Name,
 * uniformResourceIdentifier, directoryName), the subject Name as a directoryName and, for a certificate
 * without subjectAltName, its emailAddress attributes as rfc822Names.
 *
 * - A wildcard dNSName stands for every name it can match (CVE-2025-61727): it is permitted only when all of
 *   them are, and excluded when any of them is.
 * - A constraint on a form hotconn does not process (otherName, x400Address, ediPartyName, registeredID)
 *   rejects a certificate that carries a name of that form (§4.2.1.10: "process the constraint or reject").
 * - A malformed constraint, or a malformed name under a constraint of its form, rejects: such a name cannot be
 *   shown to lie inside the permitted namespace.
 * - A dNSName constraint with a leading period ("." + domain) constrains the subdomains only, as in
 *   mozilla::pkix and Go (RFC 5280 gives the period that meaning for URIs and mail addresses).
 *
 * The number of comparisons is counted in the chain's VerificationBudget before any is made.
 */
import type { VerificationBudget } from './budget.js'
import { GENERAL_NAME_FORM, type DistinguishedName, type GeneralNames, type NameConstraints } from './general-names.js'
import { formatIp } from './ip.js'
import type { ParsedCertificate } from './parse.js'

/** Why a certificate's names break a CA's constraints. */
export interface NameConstraintViolation {
  /** The offending name, as text. */
  readonly name: string
  readonly why: string
}

interface PreparedSubtrees {
  readonly dns: readonly string[]
  readonly ip: readonly Buffer[]
  readonly email: readonly Mailbox[]
  readonly uri: readonly string[]
  readonly dn: readonly DistinguishedName[]
  readonly otherForms: ReadonlySet<number>
}

interface Prepared {
  readonly permitted: PreparedSubtrees | undefined
  readonly excluded: PreparedSubtrees | undefined
}

const prepared = new WeakMap<NameConstraints, Prepared | NameConstraintViolation>()

/** The first violation of `nc` by `cert`'s names, or undefined. Spends comparisons from `budget`. */
export function nameConstraintViolation(
  nc: NameConstraints,
  cert: ParsedCertificate,
  budget: VerificationBudget,
): NameConstraintViolation | undefined {
  let p = prepared.get(nc)
  if (!p) {
    p = prepare(nc)
    prepared.set(nc, p)
  }
  if ('why' in p) return p
  const san = cert.subjectAltName
  const names = {
    dns: san?.dnsNames ?? [],
    ip: san?.ipAddresses ?? [],
    email: san ? san.rfc822Names : cert.subjectEmails,
    uri: san?.uris ?? [],
    dn: [...(cert.subjectRdns.length > 0 ? [cert.subjectRdns] : []), ...(san?.directoryNames ?? [])],
  }
  const size = (s: PreparedSubtrees | undefined, form: keyof typeof names) => (s ? s[form].length : 0)
  let comparisons = 0
  for (const form of ['dns', 'ip', 'email', 'uri', 'dn'] as const)
    comparisons += names[form].length * (size(p.permitted, form) + size(p.excluded, form))
  budget.spend('nameConstraintComparisons', comparisons)

  for (const tag of san?.otherForms ?? []) {
    if (p.permitted?.otherForms.has(tag) || p.excluded?.otherForms.has(tag)) {
      const form = GENERAL_NAME_FORM[tag]!
      return { name: `a ${form}`, why: `the CA constrains ${form} names, which hotconn does not process` }
    }
  }
  return (
    check(names.dns, p, 'dns', dnsName, dnsPermitted, dnsExcluded) ??
    check(names.ip, p, 'ip', ipName, ipWithin, ipWithin) ??
    check(names.email, p, 'email', emailName, emailWithin, emailWithin) ??
    check(names.uri, p, 'uri', uriHost, uriWithin, uriWithin) ??
    check(names.dn, p, 'dn', (n) => n, dnWithin, dnWithin)
  )
}

/** For each name: normalize (undefined = malformed), then permitted (if any subtree of the form) and excluded. */
function check<N, T, C>(
  names: readonly N[],
  p: Prepared,
  form: 'dns' | 'ip' | 'email' | 'uri' | 'dn',
  normalize: (name: N) => T | undefined,
  permits: (name: T, c: C) => boolean,
  excludes: (name: T, c: C) => boolean,
): NameConstraintViolation | undefined {
  const permitted = p.permitted?.[form] as readonly C[] | undefined
  const excluded = p.excluded?.[form] as readonly C[] | undefined
  if (!permitted?.length && !excluded?.length) return undefined
  for (const raw of names) {
    const name = normalize(raw)
    if (name === undefined) return { name: show(raw), why: 'it is malformed, so it cannot be checked against them' }
    if (permitted?.length && !permitted.some((c) => permits(name, c)))
      return { name: show(raw), why: 'it is outside every permitted subtree' }
    if (excluded?.some((c) => excludes(name, c))) return { name: show(raw), why: 'it is inside an excluded subtree' }
  }
  return undefined
}

function show(name: unknown): string {
  if (Buffer.isBuffer(name)) return formatIp(name)
  if (Array.isArray(name)) return `directoryName of ${name.length} RDN(s)`
  return JSON.stringify(name)
}

// --- preparing a CA's constraints (once per certificate) ---------------------------------------------------

function prepare(nc: NameConstraints): Prepared | NameConstraintViolation {
  try {
    return { permitted: prepareSubtrees(nc.permitted), excluded: prepareSubtrees(nc.excluded) }
  } catch (err) {
    return { name: (err as Error).message, why: 'the constraint itself is malformed (RFC 5280 §4.2.1.10)' }
  }
}

function prepareSubtrees(s: GeneralNames | undefined): PreparedSubtrees | undefined {
  if (!s) return undefined
  return {
    dns: s.dnsNames.map((c) => must(dnsConstraint(c), c, 'dNSName')),
    ip: s.ipAddresses.map((r) => must(ipRange(r), r, 'iPAddress')),
    email: s.rfc822Names.map((c) => must(emailConstraint(c), c, 'rfc822Name')),
    uri: s.uris.map((c) => must(hostConstraint(c), c, 'uniformResourceIdentifier')),
    dn: s.directoryNames,
    otherForms: s.otherForms,
  }
}

function must<T>(value: T | undefined, raw: unknown, form: string): T {
  if (value === undefined) throw new Error(`${form} constraint ${show(raw)}`)
  return value
}

// --- dNSName ------------------------------------------------------------------------------------------------

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/

function validLabels(name: string): boolean {
  return name.length <= 253 && name.split('.').every((l) => LABEL.test(l))
}

/** A presented dNSName: lowercase, trailing dot dropped; "*." + domain allowed; undefined when malformed. */
function dnsName(raw: string): string | undefined {
  const s = (raw.endsWith('.') ? raw.slice(0, -1) : raw).toLowerCase()
  if (s === '') return undefined
  const rest = s.startsWith('*.') ? s.slice(2) : s
  return validLabels(rest) ? s : undefined
}

/** A dNSName constraint: '' (every name), 'domain' or '.domain' (subdomains only). */
function dnsConstraint(raw: string): string | undefined {
  const s = (raw.endsWith('.') && raw.length > 1 ? raw.slice(0, -1) : raw).toLowerCase()
  if (s === '') return s
  const domain = s.startsWith('.') ? s.slice(1) : s
  return validLabels(domain) ? s : undefined
}

/** Whether the concrete name `name` lies in the subtree `c`. */
function dnsIn(name: string, c: string): boolean {
  if (c === '') return true
  if (c.startsWith('.')) return name.endsWith(c)
  return name === c || (name.endsWith(c) && name.charCodeAt(name.length - c.length - 1) === 0x2e)
}

/** A wildcard "*.D" is permitted when every name it matches ("x.D") is: when D itself lies in the subtree. */
function dnsPermitted(name: string, c: string): boolean {
  if (!name.startsWith('*.')) return dnsIn(name, c)
  const domain = name.slice(2)
  return dnsIn(domain, c.startsWith('.') ? c.slice(1) : c)
}

/** A wildcard "*.D" is excluded when some name it matches is: D in the subtree, or the subtree is "x.D". */
function dnsExcluded(name: string, c: string): boolean {
  if (!name.startsWith('*.')) return dnsIn(name, c)
  const domain = name.slice(2)
  if (dnsIn(domain, c.startsWith('.') ? c.slice(1) : c)) return true
  return !c.startsWith('.') && c.endsWith('.' + domain) && !c.slice(0, -domain.length - 1).includes('.')
}

// --- iPAddress ----------------------------------------------------------------------------------------------

function ipName(ip: Buffer): Buffer | undefined {
  return ip.length === 4 || ip.length === 16 ? ip : undefined
}

/** Address then mask; the mask must be a prefix (contiguous ones, RFC 4632 CIDR). */
function ipRange(range: Buffer): Buffer | undefined {
  if (range.length !== 8 && range.length !== 32) return undefined
  const mask = range.subarray(range.length / 2)
  let zero = false
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >> bit) & 1
      if (one && zero) return undefined
      if (!one) zero = true
    }
  }
  return range
}

function ipWithin(ip: Buffer, range: Buffer): boolean {
  if (range.length !== ip.length * 2) return false
  for (let i = 0; i < ip.length; i++) {
    const mask = range[ip.length + i]!
    if ((ip[i]! & mask) !== (range[i]! & mask)) return false
  }
  return true
}

// --- rfc822Name: "local@host", "host" (any mailbox there) or ".domain" (any host below) ----------------------

interface Mailbox {
  readonly local: string | undefined
  readonly host: string
}

function emailName(raw: string): Mailbox | undefined {
  const at = raw.lastIndexOf('@')
  if (at <= 0) return undefined
  const host = raw.slice(at + 1).toLowerCase()
  return validLabels(host) ? { local: raw.slice(0, at), host } : undefined
}

function emailConstraint(raw: string): Mailbox | undefined {
  if (raw.includes('@')) return emailName(raw)
  const host = raw.toLowerCase()
  return validLabels(host.startsWith('.') ? host.slice(1) : host) ? { local: undefined, host } : undefined
}

function emailWithin(name: Mailbox, c: Mailbox): boolean {
  if (c.local !== undefined) return c.local === name.local && c.host === name.host
  if (c.host.startsWith('.')) return name.host.endsWith(c.host)
  return c.host === name.host
}

// --- uniformResourceIdentifier: the host of the authority; "host" exact, ".domain" the hosts below ---------

function uriHost(raw: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^:/?#]*)(?::\d*)?(?:[/?#]|$)/i.exec(raw)
  const host = m?.[1]?.toLowerCase()
  // RFC 5280 §4.2.1.10: a URI without a host name (no authority, or an IP literal) is rejected.
  if (!host || host.startsWith('[') || /^[\d.]+$/.test(host)) return undefined
  return validLabels(host) ? host : undefined
}

function hostConstraint(raw: string): string | undefined {
  const host = raw.toLowerCase()
  return validLabels(host.startsWith('.') ? host.slice(1) : host) ? host : undefined
}

function uriWithin(host: string, c: string): boolean {
  return c.startsWith('.') ? host.endsWith(c) : host === c
}

// --- directoryName: the constraint's RDNs are a prefix of the name's (RFC 5280 §7.1, DER comparison) --------

function dnWithin(name: DistinguishedName, c: DistinguishedName): boolean {
  if (c.length > name.length) return false
  for (let i = 0; i < c.length; i++) if (c[i] !== name[i]) return false
  return true
}
