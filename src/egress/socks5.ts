/**
 * The SOCKS5 exchange (RFC 1928, username/password RFC 1929) on a connection to a proxy, with the
 * `socks` package: CONNECT to an IP (socks5://, the pool resolved it) or to a name (socks5h://,
 * address type DOMAINNAME: the proxy resolves it). The library's messages become typed errors;
 * its error objects are not kept as causes (they hold the proxy's password).
 */
import type { Duplex } from 'node:stream'
import { SocksClient } from 'socks'
import type { ProxyUrl } from '../config/index.js'
import { ProxyAuthError, ProxyError } from './errors.js'

/** RFC 1928 §6 REP values that mean the proxy could not reach the target. */
const TARGET_REPLIES = new Set([3, 4, 5, 6])

const REPLY_NAMES = [
  'succeeded',
  'general SOCKS server failure',
  'connection not allowed by ruleset',
  'network unreachable',
  'host unreachable',
  'connection refused',
  'TTL expired',
  'command not supported',
  'address type not supported',
]
const LIBRARY_REPLY_NAMES = [
  'Granted',
  'Failure',
  'NotAllowed',
  'NetworkUnreachable',
  'HostUnreachable',
  'ConnectionRefused',
  'TTLExpired',
  'CommandNotSupported',
  'AddressNotSupported',
]

/**
 * Negotiates a SOCKS5 CONNECT to `host:port` on `socket` (a connection to `proxy`). Resolves with
 * the same socket once the proxy granted it; rejects with ProxyAuthError, ProxyError or the
 * signal's reason (the socket is then destroyed).
 */
export async function socks5Connect(
  socket: Duplex,
  target: { host: string; port: number },
  proxy: ProxyUrl,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Duplex> {
  if (signal.aborted) throw signal.reason as Error
  const handshake = SocksClient.createConnection({
    command: 'connect',
    destination: { host: target.host, port: target.port },
    proxy: {
      host: proxy.host,
      port: proxy.port,
      type: 5,
      ...(proxy.username !== undefined ? { userId: proxy.username } : {}),
      ...(proxy.password !== undefined ? { password: proxy.password } : {}),
    },
    existing_socket: socket,
    // Our own deadline (the signal) ends it first; this one only bounds the library's timer.
    timeout: timeoutMs + 1000,
  })
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      socket.destroy()
      reject(signal.reason as Error)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    const { socket: tunnel } = await Promise.race([handshake, aborted])
    return tunnel
  } catch (err) {
    socket.destroy()
    if (signal.aborted) throw signal.reason as Error
    throw socksError(proxy, target, (err as Error).message)
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
    handshake.catch(() => {})
  }
}

/** The typed error for a `socks` library message. */
export function socksError(proxy: ProxyUrl, target: { host: string; port: number }, message: string): Error {
  const shown = proxy.display
  if (/Authentication failed/i.test(message)) {
    return new ProxyAuthError(shown, `user ${proxy.username ?? '(none)'} was refused (RFC 1929 status not 0)`)
  }
  if (/no accepted authentication type/i.test(message)) {
    const offered = proxy.username === undefined ? 'no authentication' : 'no authentication and username/password'
    return new ProxyAuthError(shown, `it accepts none of the methods offered (${offered}; RFC 1928 §3 method X'FF')`)
  }
  const rejected = /rejected connection - (\w+)/.exec(message)
  if (rejected !== null) {
    const rep = LIBRARY_REPLY_NAMES.indexOf(rejected[1] ?? '')
    const what = `${REPLY_NAMES[rep] ?? rejected[1]} (REP ${rep})`
    const to = `${target.host}:${target.port}`
    return TARGET_REPLIES.has(rep)
      ? new ProxyError(shown, 'target_unreachable', `could not reach ${to}: ${what}`, { socksReply: rep })
      : new ProxyError(shown, 'refused', `refused the tunnel to ${to}: ${what}`, { socksReply: rep })
  }
  if (/Socket closed/i.test(message))
    return new ProxyError(shown, 'closed', 'closed the connection during the SOCKS5 handshake')
  return new ProxyError(shown, 'protocol', `SOCKS5 handshake failed: ${message}`)
}
