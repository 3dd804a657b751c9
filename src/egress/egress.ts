/**
 * An egress: the way a connection leaves this machine, as the target sees it. Direct (from the
 * system's choice of source address or from one local address), or through one proxy. The pool
 * keys connections by egress (with the identity, host and IP): connections of two egresses
 * never mix, and a host that blocks one egress is reached through another.
 *
 *   direct                      the system's source address
 *   direct from 127.0.0.10      bound to a local address
 *   http://user@10.0.0.5:3128   a proxy (its URL without the password), per-IP: CONNECT ip:port
 *   http://10.0.0.5:3128 by name             CONNECT host:port, the proxy resolves
 *   socks5h://10.0.0.6:1080     SOCKS5, always by name (the scheme says so)
 */
import { isIP } from 'node:net'
import { parseHeaderLine, parseProxyUrl, type ProxyResolve, type ProxyUrl } from '../config/index.js'
import { InvalidArgumentError } from '../errors.js'

export interface Egress {
  /** Stable name (see the module comment): the egress part of the pool key, shown in stats and events. */
  readonly id: string
  /** The proxy, or undefined for a direct egress. */
  readonly proxy: ProxyUrl | undefined
  /**
   * The source address to bind: a direct egress's address, or a proxy egress's fixed source
   * (otherwise the pool's `local_addresses` take turns as sources of proxy connections).
   */
  readonly localAddress: string | undefined
  /** `local`: the pool resolves the host and connects to each IP; `proxy`: the proxy resolves the name. */
  readonly resolve: ProxyResolve
  /** Extra header fields of every HTTP CONNECT, in order. */
  readonly connectHeaders: ReadonlyArray<readonly [name: string, value: string]>
}

/** The egress of a pool without proxies or local addresses. */
export const DIRECT: Egress = Object.freeze({
  id: 'direct',
  proxy: undefined,
  localAddress: undefined,
  resolve: 'local',
  connectHeaders: Object.freeze([]),
})

/** An egress a request or a pool names: 'direct', a proxy URL, or the options below. */
export type EgressInput = 'direct' | string | URL | EgressOptions

export interface EgressOptions {
  /** Proxy URL (see config/proxy-url.ts); absent: direct. */
  readonly proxy?: string | URL
  /** Source address to bind (must be assigned to this machine). */
  readonly localAddress?: string
  /** For http:// and https:// proxies: who resolves the host (default the pool's egress.resolve). */
  readonly resolve?: ProxyResolve
  /** Extra header fields of the HTTP CONNECT: a record, or "Name: value" lines. */
  readonly connectHeaders?: Readonly<Record<string, string>> | readonly string[]
}

/** What an egress input inherits from the pool's `[egress]` config. */
export interface EgressDefaults {
  readonly resolve: ProxyResolve
  /** "Name: value" lines (egress.connect_headers). */
  readonly connectHeaders: readonly string[]
}

const OPTION_KEYS = new Set(['proxy', 'localAddress', 'resolve', 'connectHeaders'])

/**
 * The egress `input` names, completed with `defaults`.
 * @throws InvalidArgumentError naming what is wrong (a bad proxy URL, an address that is not an
 *   IP, socks5:// with resolve "proxy" or socks5h:// with "local", a bad header line, an unknown option)
 */
export function toEgress(input: EgressInput, defaults: EgressDefaults): Egress {
  if (input === 'direct') return DIRECT
  const options: EgressOptions = typeof input === 'string' || input instanceof URL ? { proxy: input } : input
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(
      `egress must be "direct", a proxy URL or { proxy, localAddress, … }, got ${String(input)}`,
    )
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new InvalidArgumentError(
        `egress: unknown option ${JSON.stringify(key)}; known: ${[...OPTION_KEYS].join(', ')}`,
      )
    }
  }
  const localAddress = options.localAddress
  if (localAddress !== undefined && (typeof localAddress !== 'string' || isIP(localAddress) === 0)) {
    throw new InvalidArgumentError(`egress.localAddress must be an IPv4 or IPv6 address, got ${String(localAddress)}`)
  }
  const proxy = options.proxy === undefined ? undefined : proxyOf(options.proxy)
  const resolve = resolveOf(proxy, options.resolve ?? defaults.resolve, options.resolve !== undefined)
  const connectHeaders = headersOf(options.connectHeaders ?? defaults.connectHeaders)
  return Object.freeze({
    id: idOf(proxy, localAddress, resolve, connectHeaders),
    proxy,
    localAddress,
    resolve,
    connectHeaders,
  })
}

function proxyOf(input: string | URL): ProxyUrl {
  const text = input instanceof URL ? input.href : input
  if (typeof text !== 'string') throw new InvalidArgumentError(`egress.proxy must be a URL string, got ${String(text)}`)
  const parsed = parseProxyUrl(text)
  if (typeof parsed === 'string') throw new InvalidArgumentError(`proxy ${JSON.stringify(redact(text))} ${parsed}`)
  return parsed
}

/** SOCKS5 proxies follow their scheme; an explicit contradiction is an error, the pool default is not. */
function resolveOf(proxy: ProxyUrl | undefined, asked: ProxyResolve, explicit: boolean): ProxyResolve {
  if (proxy === undefined) return 'local'
  if (proxy.scheme === 'socks5h' || proxy.scheme === 'socks5') {
    const scheme: ProxyResolve = proxy.scheme === 'socks5h' ? 'proxy' : 'local'
    if (explicit && asked !== scheme) {
      throw new InvalidArgumentError(
        `egress.resolve ${JSON.stringify(asked)} contradicts ${proxy.display}: use socks5h:// to let the proxy resolve, socks5:// to resolve locally`,
      )
    }
    return scheme
  }
  if (asked !== 'local' && asked !== 'proxy') {
    throw new InvalidArgumentError(`egress.resolve must be "local" or "proxy", got ${String(asked)}`)
  }
  return asked
}

function headersOf(input: Readonly<Record<string, string>> | readonly string[]): Egress['connectHeaders'] {
  const lines = Array.isArray(input)
    ? (input as readonly string[])
    : Object.entries(input as Record<string, string>).map(([k, v]) => `${k}: ${v}`)
  return Object.freeze(
    lines.map((line) => {
      const parsed = typeof line === 'string' ? parseHeaderLine(line) : 'must be a string'
      if (typeof parsed === 'string') {
        throw new InvalidArgumentError(`egress.connectHeaders: ${JSON.stringify(line)} ${parsed}`)
      }
      return Object.freeze([parsed.name, parsed.value] as const)
    }),
  )
}

function idOf(
  proxy: ProxyUrl | undefined,
  localAddress: string | undefined,
  resolve: ProxyResolve,
  headers: Egress['connectHeaders'],
): string {
  if (proxy === undefined) return localAddress === undefined ? 'direct' : `direct from ${localAddress}`
  const parts = [proxy.display]
  if (resolve === 'proxy' && proxy.scheme !== 'socks5h') parts.push('by name')
  if (localAddress !== undefined) parts.push(`from ${localAddress}`)
  if (headers.length > 0) parts.push(`[${headers.map(([n, v]) => `${n}: ${v}`).join(', ')}]`)
  return parts.join(' ')
}

/** `text` with the password of a URL replaced by `***` (for messages about a URL that did not parse). */
export function redact(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@')
}

/** Whether a connection from `egress` can reach an address of `family` (a bound source address fixes the family). */
export function reaches(egress: Egress, family: 4 | 6): boolean {
  if (egress.proxy !== undefined || egress.localAddress === undefined) return true
  return isIP(egress.localAddress) === family
}
