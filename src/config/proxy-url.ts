/**
 * Proxy URLs as the `[egress] proxies` key, the `--proxy` flag and the pool's `egress` option
 * accept them:
 *
 *   http://[user:pass@]host[:port]      HTTP CONNECT (RFC 9110 §9.3.6), default port 80
 *   https://[user:pass@]host[:port]     HTTP CONNECT over TLS to the proxy, default port 443
 *   socks5://[user:pass@]host[:port]    SOCKS5 (RFC 1928), the target resolved locally, default port 1080
 *   socks5h://[user:pass@]host[:port]   SOCKS5, the proxy resolves the target's name
 *
 * User name and password are percent-decoded (RFC 3986 §3.2.1); HTTP proxies get them as Basic
 * credentials (RFC 7617), SOCKS5 proxies as username/password (RFC 1929). The URL may carry
 * nothing else (no path, query or fragment). Kept in config/ (the lowest layer that reads proxy
 * URLs) so that the config reader and the egress layer share one parser.
 */
import { isIP } from 'node:net'

export const PROXY_SCHEMES = ['http', 'https', 'socks5', 'socks5h'] as const
export type ProxyScheme = (typeof PROXY_SCHEMES)[number]

const DEFAULT_PORTS: Readonly<Record<ProxyScheme, number>> = { http: 80, https: 443, socks5: 1080, socks5h: 1080 }

/** RFC 1929 §2: user name and password are 1 to 255 bytes each. */
const SOCKS_CREDENTIAL_MAX = 255

/** A parsed proxy URL. */
export interface ProxyUrl {
  readonly scheme: ProxyScheme
  /** Host name or IP address, without brackets. */
  readonly host: string
  readonly port: number
  readonly username: string | undefined
  readonly password: string | undefined
  /** `scheme://user@host:port`: the URL without its password, for logs, stats and errors. */
  readonly display: string
}

/**
 * Parses a proxy URL. Returns the parsed URL, or a string saying what is wrong and what to write
 * instead (the callers wrap it in their own error: ConfigError, InvalidArgumentError).
 */
export function parseProxyUrl(text: string): ProxyUrl | string {
  const trimmed = text.trim()
  const example = 'write scheme://[user:password@]host:port with http, https, socks5 or socks5h'
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) return `is not a proxy URL (no scheme); ${example}`
  let url: URL
  try {
    url = new URL(trimmed)
  } catch {
    return `is not a valid URL; ${example}`
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase()
  if (!(PROXY_SCHEMES as readonly string[]).includes(scheme)) {
    return `has scheme ${JSON.stringify(scheme)}, which hotconn does not speak; ${example}`
  }
  const proxyScheme = scheme as ProxyScheme
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    return 'must not have a path, query or fragment; write scheme://[user:password@]host:port'
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  if (host.length === 0) return `has no host; ${example}`
  const port = url.port === '' ? DEFAULT_PORTS[proxyScheme] : Number(url.port)
  let username: string | undefined
  let password: string | undefined
  try {
    username = url.username === '' ? undefined : decodeURIComponent(url.username)
    password = url.password === '' ? undefined : decodeURIComponent(url.password)
  } catch {
    return 'has a user name or password that is not valid percent-encoding (RFC 3986 §2.1)'
  }
  if (password !== undefined && username === undefined) return 'has a password but no user name'
  if (proxyScheme.startsWith('socks')) {
    const long = [username, password].some((v) => v !== undefined && Buffer.byteLength(v) > SOCKS_CREDENTIAL_MAX)
    if (long) return `has a user name or password over ${SOCKS_CREDENTIAL_MAX} bytes, the SOCKS5 limit (RFC 1929 §2)`
    if (password === undefined && username !== undefined) return 'has a SOCKS5 user name without a password (RFC 1929)'
  }
  const shownHost = isIP(host) === 6 ? `[${host}]` : host
  const user = username === undefined ? '' : `${encodeURIComponent(username)}@`
  return Object.freeze({
    scheme: proxyScheme,
    host,
    port,
    username,
    password,
    display: `${proxyScheme}://${user}${shownHost}:${port}`,
  })
}
