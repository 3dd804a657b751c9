/**
 * Cleartext connections for `http://` origins: plain TCP to one IP, for HTTP/1.1 without TLS (the
 * only HTTP a browser speaks in clear over TCP; it never uses cleartext HTTP/2). The pool keeps
 * them as it keeps TLS connections — a partition per (identity, `http://host:port`), the same
 * caps, idle and lifetime rules and statistics — and the identity's headers go out as the browser
 * sends them to an insecure URL (no Fetch Metadata, no client hints, `gzip, deflate`).
 */
import { connect, type Socket } from 'node:net'
import type { Egress } from '../egress/index.js'
import { AbortError, ConnectError } from '../errors.js'
import { NotSupportedError } from '../http/errors.js'

export interface PlainConnectOptions {
  readonly ip: string
  readonly port: number
  /** Aborted when the pool closes. */
  readonly signal: AbortSignal
  /** TCP connect deadline (ms). */
  readonly timeout: number
  /** The partition's egress: direct (its source address is bound); a proxy egress is refused. */
  readonly egress: Egress
}

/**
 * Opens a TCP connection to `ip:port`.
 * @rejects ConnectError (ERR_CONNECT) when refused, unreachable or not connected within `timeout`;
 *   AbortError (ERR_ABORTED) when `signal` aborts; NotSupportedError (UND_ERR_NOT_SUPPORTED) for a
 *   proxy egress (cleartext HTTP through a proxy is not wired: it never goes out directly instead).
 */
export function connectPlain(o: PlainConnectOptions): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    if (o.egress.proxy !== undefined) {
      reject(
        new NotSupportedError(
          `http:// through the proxy egress ${o.egress.id} is not supported; use an https:// URL or a direct egress`,
        ),
      )
      return
    }
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
