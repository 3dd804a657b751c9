/**
 * nameConstraints (RFC 5280 §4.2.1.10, §6.1.4 (g)) for the name forms a TLS server presents:
 * dNSName and iPAddress. Other forms in a constraint are not applied.
 */
import type { NameConstraints } from './parse.js'

export interface ConstrainedNames {
  readonly dnsNames: readonly string[]
  readonly ipAddresses: readonly Uint8Array[]
}

/** The first name that violates `nc`, or undefined when all names are allowed. */
export function nameConstraintViolation(nc: NameConstraints, names: ConstrainedNames): string | undefined {
  for (const raw of names.dnsNames) {
    const name = normalize(raw)
    if (nc.permitted && nc.permitted.dnsNames.length > 0 && !nc.permitted.dnsNames.some((c) => dnsWithin(name, c)))
      return raw
    if (nc.excluded && nc.excluded.dnsNames.some((c) => dnsWithin(name, c))) return raw
  }
  for (const ip of names.ipAddresses) {
    // Permitted iPAddress subtrees of only the other family permit no address of this one.
    if (nc.permitted && nc.permitted.ipRanges.length > 0 && !nc.permitted.ipRanges.some((r) => ipWithin(ip, r)))
      return formatIp(ip)
    if (nc.excluded && nc.excluded.ipRanges.some((r) => ipWithin(ip, r))) return formatIp(ip)
  }
  return undefined
}

function normalize(name: string): string {
  return (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase()
}

/** "example.com" constrains example.com and its subdomains; ".example.com" only the subdomains. */
function dnsWithin(name: string, constraint: string): boolean {
  const c = normalize(constraint)
  if (c === '') return true
  if (c.startsWith('.')) return name.endsWith(c)
  return name === c || name.endsWith('.' + c)
}

function ipWithin(ip: Uint8Array, range: Buffer): boolean {
  if (range.length !== ip.length * 2) return false
  for (let i = 0; i < ip.length; i++) {
    const mask = range[ip.length + i]!
    if ((ip[i]! & mask) !== (range[i]! & mask)) return false
  }
  return true
}

function formatIp(ip: Uint8Array): string {
  if (ip.length === 4) return [...ip].join('.')
  const groups: string[] = []
  for (let i = 0; i + 1 < ip.length; i += 2) groups.push(((ip[i]! << 8) | ip[i + 1]!).toString(16))
  return groups.join(':')
}
