/**
 * Server identity check (RFC 9525 §6, which obsoletes RFC 6125, and the CA/Browser Forum BR §7.1.2.7.12):
 * DNS names against subjectAltName dNSName entries (one wildcard, the whole left-most label), IP literals
 * against iPAddress entries only. The subject commonName is never used (RFC 9525 §6.3: a client MUST NOT
 * seek a match in the CN; browsers stopped doing so, Chrome in version 58), so a certificate without a
 * subjectAltName matches no host. Case-insensitive; a trailing dot is ignored; Unicode names are compared in
 * their A-label (punycode) form.
 */
import { isIP } from 'node:net'
import { domainToASCII } from 'node:url'

/** The identities a certificate presents. */
export interface PresentedIdentities {
  readonly dnsNames: readonly string[]
  readonly ipAddresses: readonly Uint8Array[]
}

/** Whether `host` (DNS name or IP literal, IPv6 with or without brackets) matches the presented identities. */
export function matchesHostname(host: string, ids: PresentedIdentities): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (isIP(bare)) {
    const want = ipBytes(bare)
    return ids.ipAddresses.some((ip) => want !== undefined && Buffer.compare(Buffer.from(ip), want) === 0)
  }
  const name = normalizeDnsName(bare)
  if (name === undefined) return false
  return ids.dnsNames.some((pattern) => matchesPattern(name, pattern))
}

/**
 * RFC 9525 §6.3 with the strict profile browsers use: `*` must be the entire left-most label,
 * matches exactly one non-empty label, and at least two labels must follow it (no `*.com`).
 */
export function matchesPattern(name: string, pattern: string): boolean {
  const p = normalizeDnsName(pattern, true)
  if (p === undefined) return false
  if (!p.includes('*')) return p === name
  const labels = p.split('.')
  if (labels[0] !== '*' || labels.slice(1).some((l) => l.includes('*')) || labels.length < 3) return false
  const suffix = p.slice(1) // ".a.com"
  if (!name.endsWith(suffix)) return false
  const first = name.slice(0, name.length - suffix.length)
  return first.length > 0 && !first.includes('.')
}

/** Lowercase A-label form without the trailing dot; undefined when not a usable DNS name. */
function normalizeDnsName(raw: string, allowWildcard = false): string | undefined {
  let s = raw.endsWith('.') ? raw.slice(0, -1) : raw
  if (s === '' || s.startsWith('.') || s.includes('..')) return undefined
  if (/[^\x21-\x7e]/.test(s)) {
    // IDN: compare A-labels (RFC 5890); dNSName entries are already ASCII (RFC 5280 §7.2).
    if (allowWildcard) return undefined
    s = domainToASCII(s)
    if (s === '') return undefined
  }
  s = s.toLowerCase()
  if (!allowWildcard && s.includes('*')) return undefined
  return s
}

/** The 4 or 16 bytes of an IP literal, or undefined. */
export function ipBytes(ip: string): Buffer | undefined {
  const family = isIP(ip)
  if (family === 4) return Buffer.from(ip.split('.').map(Number))
  if (family !== 6) return undefined
  let text = ip.split('%')[0]!
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number]
    text = text.slice(0, v4.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16)
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined]
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
  const out = Buffer.alloc(16)
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2))
  return out
}
