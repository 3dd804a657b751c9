/**
 * Parses what the pool accepts as a host: "example.com", "example.com:8443", "[::1]:8443",
 * "https://example.com[:port][/path]", "http://example.com[:port]" or a URL. https origins get
 * TLS connections; http ones cleartext HTTP/1.1 connections (plain.ts), in partitions of their own.
 */
import { isIP } from 'node:net'
import { InvalidArgumentError } from '../errors.js'

export interface OriginKey {
  /** `hostname:port` (IPv6 in brackets) for https; `http://hostname:port` for http. */
  key: string
  /** Hostname without brackets (SNI, certificate name, DNS query). */
  hostname: string
  port: number
  /** `https://host[:port]` or `http://host[:port]`, for the Host header. */
  origin: string
  /** Whether the origin is https (TLS); false for http (cleartext HTTP/1.1). */
  secure: boolean
}

/**
 * Parsed string origins, so that a request (every dispatch names its origin as a string) does not
 * parse a URL again; bounded, cleared when full.
 */
const parsed = new Map<string, Readonly<OriginKey>>()
const PARSED_MAX = 1024

/** Throws InvalidArgumentError for anything but an http(s) origin or a bare host[:port] (https). The result is frozen. */
export function parseOrigin(input: string | URL): Readonly<OriginKey> {
  if (typeof input === 'string') {
    const hit = parsed.get(input)
    if (hit !== undefined) return hit
    const key = parseUncached(input)
    if (parsed.size >= PARSED_MAX) parsed.clear()
    parsed.set(input, key)
    return key
  }
  return parseUncached(input)
}

function parseUncached(input: string | URL): Readonly<OriginKey> {
  let url: URL
  try {
    if (input instanceof URL) url = input
    else if (typeof input === 'string' && input.includes('://')) url = new URL(input)
    else if (typeof input === 'string' && input.length > 0) url = new URL(`https://${input}`)
    else throw new Error('empty')
  } catch {
    throw new InvalidArgumentError(
      `origin must be an https or http URL or a host[:port], got ${JSON.stringify(String(input))}`,
    )
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidArgumentError(`origin ${String(input)} is not http(s): the pool holds HTTP connections only`)
  }
  const secure = url.protocol === 'https:'
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  if (hostname.length === 0) throw new InvalidArgumentError(`origin ${String(input)} has no host`)
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port)
  const shown = isIP(hostname) === 6 ? `[${hostname}]` : hostname
  const key = secure ? `${shown}:${port}` : `http://${shown}:${port}`
  return Object.freeze({ key, hostname, port, origin: url.origin, secure })
}
