/**
 * Pool events on `node:diagnostics_channel`. Subscribe with
 * `diagnostics_channel.subscribe('hotconn:pool:connect', (msg) => …)`. Publishing costs nothing
 * when nobody subscribes.
 */
import type { TlsConnectionInfo } from '../tls/socket.js'
import diagnostics from 'node:diagnostics_channel'

/** A connection finished its handshake (or failed to). */
export interface ConnectEvent {
  host: string
  /** The egress of the connection's partition (`direct`, `direct from 127.0.0.10`, a proxy URL without password). */
  egress?: string
  ip: string
  port: number
  /** ms from dial to handshake done (or failure). */
  durationMs: number
  error?: Error
}
/** A connection started closing. */
export interface CloseEvent {
  host: string
  /** The egress of the connection's partition (`direct`, `direct from 127.0.0.10`, a proxy URL without password). */
  egress?: string
  ip: string
  /**
   * 'idle_timeout', 'max_lifetime', 'trim' (max_idle_conns), 'error' (a failed request or health
   * check), 'peer' (the server closed it), 'goaway', 'blacklisted', 'drained', 'evicted' (room
   * for a waiting request), 'rebalance' (room for an IP that came back), 'ip_draining' /
   * 'ip_blacklisted' / 'ip_probing' (its IP changed state during the handshake), 'pool_closed'.
   */
  reason: string
  /** ms the connection lived. */
  ageMs: number
  requests: number
}
/** An IP was blacklisted or re-admitted. */
export interface BlacklistEvent {
  host: string
  /** The egress of the connection's partition (`direct`, `direct from 127.0.0.10`, a proxy URL without password). */
  egress?: string
  ip: string
  action: 'blacklisted' | 'probing' | 'readmitted'
  reason: string
  /** Epoch ms the blacklisting ends (for 'blacklisted'). */
  until?: number
}
/** A request finished on a pooled connection. */
export interface RequestEvent {
  host: string
  /** The egress of the connection's partition (`direct`, `direct from 127.0.0.10`, a proxy URL without password). */
  egress?: string
  ip: string
  method: string
  path: string
  statusCode?: number
  error?: Error
  durationMs: number
  reused: boolean
  /** Pool-wide id of the connection that carried the request (as in PooledConnection.id). */
  connectionId: number
  /** The protocol the request went over ('h2' or 'http/1.1'). */
  protocol: 'h2' | 'http/1.1'
  /** What the connection negotiated (TLS version, cipher suite, group, ALPN), when it is a TlsSocket. */
  tls?: TlsConnectionInfo
}
/** A host's addresses were (re)resolved. */
export interface DnsEvent {
  host: string
  addresses: string[]
  added: string[]
  removed: string[]
  error?: Error
}
/** A health check or re-probe finished. */
export interface HealthEvent {
  host: string
  ip: string
  kind: 'check' | 'probe'
  ok: boolean
  statusCode?: number
  error?: Error
}

export const channels = {
  connect: diagnostics.channel('hotconn:pool:connect'),
  close: diagnostics.channel('hotconn:pool:close'),
  blacklist: diagnostics.channel('hotconn:pool:blacklist'),
  request: diagnostics.channel('hotconn:pool:request'),
  dns: diagnostics.channel('hotconn:pool:dns'),
  health: diagnostics.channel('hotconn:pool:health'),
} as const

export function publish<K extends keyof typeof channels>(
  name: K,
  message: K extends 'connect'
    ? ConnectEvent
    : K extends 'close'
      ? CloseEvent
      : K extends 'blacklist'
        ? BlacklistEvent
        : K extends 'request'
          ? RequestEvent
          : K extends 'dns'
            ? DnsEvent
            : HealthEvent,
): void {
  const ch = channels[name]
  if (ch.hasSubscribers) ch.publish(message)
}
