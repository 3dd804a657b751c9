/**
 * What the pool needs from the HTTP layer of one connection, whatever the protocol ALPN chose:
 * HTTP/1.1 (`HttpChannel`, one request at a time) or HTTP/2 (`H2Channel`, many streams).
 */
import type { Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'

export interface PooledChannel {
  /** The TLS socket. */
  readonly socket: Duplex
  /** `h2` or `http/1.1`. */
  readonly protocol: 'h2' | 'http/1.1'
  /** Whether several requests may run at once (HTTP/2). */
  readonly multiplexed: boolean
  /** Requests the connection can carry at once: 1 for HTTP/1.1; for HTTP/2 the smaller of the server's SETTINGS_MAX_CONCURRENT_STREAMS and the client cap. */
  readonly maxStreams: number
  /** Whether an HTTP client owns the socket (then it cannot be lent out raw). */
  readonly attached: boolean
  /** Whether the connection can take a new request. O(1). */
  readonly alive: boolean
  /** The dispatcher that sends requests on this connection (attaches on first use). */
  readonly client: Dispatcher
  /** Stops watching the socket while a borrower uses it raw. */
  lend(): void
  /** Watches the socket again after a raw loan. */
  unlend(): void
  /** Ends the connection gracefully (HTTP/2 GOAWAY, TLS close_notify); resolves when the socket closed. */
  close(graceMs?: number): Promise<void>
  /** Destroys the socket at once. */
  destroy(): void
  /** The socket was taken over (HTTP upgrade). */
  detach(): void
}
