/**
 * Cleartext connections for `http://` origins: plain TCP to one IP, for HTTP/1.1 without TLS (the
 * only HTTP a browser speaks in clear over TCP; it never uses cleartext HTTP/2). The pool keeps
 * them as it keeps TLS connections — a partition per (identity, `http://host:port`), the same
 * caps, idle and lifetime rules and statistics — and the identity's headers go out as the browser
 * sends them to an insecure URL (no Fetch Metadata, no client hints, `gzip, deflate`).
 *
 * Through a proxy egress the connection is a tunnel to `ip:port` (HTTP CONNECT or SOCKS5; the
 * host name when the proxy resolves), as for https://, so the pool keeps hot connections to every
 * IP either way and the origin gets the same bytes as direct. (A browser sends an http:// request
 * to an HTTP proxy in absolute form instead; a proxy that allows CONNECT only to port 443 refuses
 * the tunnel with ERR_PROXY.)
 */
import { connect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { openTunnel, type Egress } from '../egress/index.js'
import { AbortError, ConnectError } from '../errors.js'

export interface PlainConnectOptions {
  readonly ip: string
  readonly port: number
  /** Aborted when the pool closes. */
  readonly signal: AbortSignal
  /** TCP connect deadline (ms). */
  readonly timeout: number
  /** The partition's egress: direct (its source address is bound) or a proxy (a tunnel). */
  readonly egress: Egress
  /** User-Agent of an HTTP CONNECT (the identity's). */
  readonly userAgent?: string | undefined
}

/**
 * Opens a TCP connection to `ip:port`, directly or through the egress's proxy.
 * @rejects ConnectError (ERR_CONNECT) when refused, unreachable or not connected within `timeout`;
 *   AbortError (ERR_ABORTED) when `signal` aborts; through a proxy, the tunnel's errors
 *   (ProxyError, ProxyAuthError, ProxyTimeoutError, LocalAddressError; see openTunnel)
 */
export async function connectPlain(o: PlainConnectOptions): Promise<Duplex> {
  if (o.egress.proxy === undefined) return connectDirect(o)
  const tunnel = await openTunnel(
    o.egress,
    { host: o.ip, port: o.port },
    { timeoutMs: o.timeout, signal: o.signal, userAgent: o.userAgent },
  )
  // openTunnel hands the tunnel over paused; the HTTP/1.1 client attaches its reader once this
  // resolves, and no byte comes before the first request, so flowing starts on the next turn.
  setImmediate(() => tunnel.resume())
  return tunnel
}

function connectDirect(o: PlainConnectOptions): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    if (o.signal.aborted) {
      reject(new AbortError('connect aborted before it started', { cause: o.signal.reason }))
      return
    }
    const local = o.egress.localAddress
    const socket = connect({
      host: o.ip,
      port: o.port,
      noDelay: true,
      ...(local !== undefined ? { localAddress: local } : {}),
    })
    const fail = (err: Error): void => {
      clearTimeout(timer)
      o.signal.removeEventListener('abort', onAbort)
      socket.destroy()
      reject(err)
    }
    const onAbort = (): void => fail(new AbortError('connect aborted', { cause: o.signal.reason }))
    const timer = setTimeout(
      () => fail(new ConnectError(`no TCP connection to ${o.ip}:${o.port} within ${o.timeout} ms`)),
      o.timeout,
    )
    o.signal.addEventListener('abort', onAbort, { once: true })
    socket.once('error', (err: NodeJS.ErrnoException) =>
      fail(
        new ConnectError(
          `cannot connect to ${o.ip}:${o.port}: ${err.code ?? err.message}; check that the server is up and reachable`,
          { cause: err },
        ),
      ),
    )
    socket.once('connect', () => {
      clearTimeout(timer)
      o.signal.removeEventListener('abort', onAbort)
      socket.removeAllListeners('error')
      resolve(socket)
    })
  })
}
