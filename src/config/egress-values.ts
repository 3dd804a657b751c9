/**
 * Readers of the `[egress]` keys (see values.ts for the Reader contract): proxy URLs, local
 * addresses, an address prefix and CONNECT header lines.
 */
import { isIP } from 'node:net'
import { parseProxyUrl } from './proxy-url.js'
import { describe, type Field, type Reader } from './values.js'

function readList<T>(field: Field, element: (field: Field) => T): T[] {
  const value = field.value
  if (!Array.isArray(value)) return field.fail(`must be an array, got ${describe(value)}`)
  return value.map((v: unknown, i) => element(field.element(i, v)))
}

/** Proxy URLs (config/proxy-url.ts), each once; returned as written (trimmed). */
export function proxyUrls(): Reader<readonly string[], readonly string[]> {
  return {
    read: (field) => {
      const seen = new Set<string>()
      return readList(field, (f) => {
        if (typeof f.value !== 'string') return f.fail(`must be a proxy URL string, got ${describe(f.value)}`)
        const parsed = parseProxyUrl(f.value)
        if (typeof parsed === 'string') return f.fail(`${JSON.stringify(f.value)} ${parsed}`)
        const text = f.value.trim()
        if (seen.has(text)) f.fail(`repeats ${parsed.display}; list each proxy once`)
        seen.add(text)
        return text
      })
    },
    toInput: (urls) => [...urls],
  }
}

/** IP addresses (v4 or v6), each once. */
export function ipAddresses(): Reader<readonly string[], readonly string[]> {
  return {
    read: (field) => {
      const seen = new Set<string>()
      return readList(field, (f) => {
        const v = typeof f.value === 'string' ? f.value.trim() : f.value
        if (typeof v !== 'string' || isIP(v) === 0) {
          return f.fail(`must be an IPv4 or IPv6 address ("127.0.0.10", "2001:db8::10"), got ${describe(f.value)}`)
        }
        if (seen.has(v)) f.fail(`repeats ${v}; list each address once`)
        seen.add(v)
        return v
      })
    },
    toInput: (list) => [...list],
  }
}

/** An address prefix in CIDR notation. */
export interface Cidr {
  readonly address: string
  /** Prefix length in bits. */
  readonly bits: number
  readonly family: 4 | 6
}

/** Parses "2001:db8:1::/64" or "10.1.0.0/24"; a string saying what is wrong otherwise. */
export function parseCidr(text: string): Cidr | string {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(text.trim())
  const family = m === null ? 0 : isIP(m[1] ?? '')
  if (m === null || family === 0) return 'must be an address prefix in CIDR notation ("2001:db8:1::/64", "10.1.0.0/24")'
  const bits = Number(m[2])
  const max = family === 4 ? 32 : 128
  // At least 2 bits of host part: a prefix must leave addresses to draw besides the network address.
  if (bits > max - 2) return `has a /${bits} prefix; leave at least 2 host bits (at most /${max - 2})`
  return { address: m[1] ?? '', bits, family: family as 4 | 6 }
}

/** An address prefix (parseCidr), as written. */
export function cidr(): Reader<string, string> {
  return {
    read: (field) => {
      if (typeof field.value !== 'string') return field.fail(`must be a CIDR string, got ${describe(field.value)}`)
      const parsed = parseCidr(field.value)
      if (typeof parsed === 'string') return field.fail(`${JSON.stringify(field.value)} ${parsed}`)
      return field.value.trim()
    },
    toInput: (v) => v,
  }
}

/** A header field name (RFC 9110 §5.6.2 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** Splits "Name: value" into its name and value; a string saying what is wrong otherwise. */
export function parseHeaderLine(line: string): { name: string; value: string } | string {
  const i = line.indexOf(':')
  const name = i < 0 ? '' : line.slice(0, i).trim()
  const value = i < 0 ? '' : line.slice(i + 1).trim()
  if (!TOKEN.test(name)) return 'must be "Name: value" with a header name of token characters'
  // RFC 9110 §5.5: no CR, LF or NUL in a field value (header injection).
  if (/[\r\n\0]/.test(value)) return 'must not contain CR, LF or NUL'
  const lower = name.toLowerCase()
  if (lower === 'host' || lower === 'proxy-authorization' || lower === 'content-length') {
    return `sets ${name}, which hotconn writes itself (Host from the target, Proxy-Authorization from the proxy URL)`
  }
  return { name, value }
}

/** Header lines "Name: value" (parseHeaderLine), as written. */
export function headerLines(): Reader<readonly string[], readonly string[]> {
  return {
    read: (field) =>
      readList(field, (f) => {
        if (typeof f.value !== 'string') return f.fail(`must be a "Name: value" string, got ${describe(f.value)}`)
        const parsed = parseHeaderLine(f.value)
        if (typeof parsed === 'string') return f.fail(`${JSON.stringify(f.value)} ${parsed}`)
        return f.value.trim()
      }),
    toInput: (lines) => [...lines],
  }
}
