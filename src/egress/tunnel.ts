/**
 * `openTunnel()`: the byte stream a TLS connection of the pool runs over, below the handshake.
 * Direct: TCP to the target, from a bound local address if the egress has one. Through a proxy:
 * TCP to the proxy (TLS to it for https:// proxies, verified against the system roots or
 * `proxyCa`), then HTTP CONNECT or SOCKS5 to the target. The target is an IP in per-IP pools and
 * the host name when the proxy resolves. hotconn's own TLS then runs inside, so the ClientHello
 * the target sees is the identity's, byte for byte as without a proxy.
 */
import type { Duplex } from 'node:stream'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { isIP, type Socket } from 'node:net'
import { ConnectError } from '../errors.js'
import { TlsHandshakeTimeoutError } from '../tls/errors.js'
import { dialTcp } from './dial.js'
import type { Egress } from './egress.js'
import { ProxyError, ProxyTimeoutError } from './errors.js'
import { authorityOf, httpConnect } from './http-connect.js'
import { socks5Connect } from './socks5.js'

export interface TunnelTarget {
  /** The target IP (per-IP pools) or host name (the proxy resolves it). */
  readonly host: string
  readonly port: number
}

export interface TunnelOptions {
  /** Deadline for everything up to the tunnel (ms); the caller's TLS handshake gets the rest. */
  readonly timeoutMs: number
  /** Aborts the dial (the pool closes); rejects with its reason. */
  readonly signal?: AbortSignal | undefined
  /** Source address of this connection, overriding `egress.localAddress` (a proxy egress's turn of local_addresses). */
  readonly localAddress?: string | undefined
  /** User-Agent of the HTTP CONNECT (the identity's); none when absent. */
  readonly userAgent?: string | undefined
  /** PEM roots that verify https:// proxies (replace the system roots). */
  readonly proxyCa?: string | Buffer | ReadonlyArray<string | Buffer> | undefined
}

/**
 * Opens the stream to `target` through `egress`. The socket is paused: attach a reader, then
 * resume it (bytes the proxy sent after its answer are kept).
 * @rejects ConnectError (direct: refused, unreachable), TlsHandshakeTimeoutError (direct: no TCP
 *   within the deadline), LocalAddressError, ProxyError, ProxyAuthError, ProxyTimeoutError, or
 *   the signal's reason.
 */
export async function openTunnel(egress: Egress, target: TunnelTarget, options: TunnelOptions): Promise<Duplex> {
  const proxy = egress.proxy
  const localAddress = options.localAddress ?? egress.localAddress
  const deadline = new AbortController()
  let stage = proxy === undefined ? 'TCP connect' : 'TCP connect to the proxy'
  const timer = setTimeout(() => {
    deadline.abort(
      proxy === undefined
        ? new TlsHandshakeTimeoutError(options.timeoutMs)
        : new ProxyTimeoutError(proxy.display, options.timeoutMs, stage),
    )
  }, options.timeoutMs)
  const signal = options.signal === undefined ? deadline.signal : AbortSignal.any([options.signal, deadline.signal])
  try {
    if (proxy === undefined) {
      const socket = await dialTcp({
        host: target.host,
        port: target.port,
        localAddress,
        signal,
        sharedReads: true,
        onError: (err) =>
          new ConnectError(
            `cannot connect to ${authorityOf(target.host, target.port)}: ${err.code ?? err.message}; check that the server is up and reachable`,
            { cause: err },
          ),
      })
      socket.pause()
      return socket
    }
    let socket: Duplex = await dialTcp({
      host: proxy.host,
      port: proxy.port,
      localAddress,
      signal,
      onError: (err) =>
        new ProxyError(
          proxy.display,
          'unreachable',
          `cannot connect (${err.code ?? err.message}); check that the proxy runs at ${authorityOf(proxy.host, proxy.port)}`,
          { cause: err },
        ),
    })
    if (proxy.scheme === 'https') {
      stage = 'TLS handshake with the proxy'
      socket = await proxyTls(socket as Socket, egress, options, signal)
    }
    if (proxy.scheme === 'socks5' || proxy.scheme === 'socks5h') {
      stage = 'SOCKS5 handshake'
      const tunnel = await socks5Connect(socket, target, proxy, signal, options.timeoutMs)
      tunnel.pause()
      return tunnel
    }
    stage = 'CONNECT'
    await httpConnect(
      socket,
      { host: target.host, port: target.port, proxy, headers: egress.connectHeaders, userAgent: options.userAgent },
      signal,
    )
    return socket
  } finally {
    clearTimeout(timer)
  }
}

/** TLS to an https:// proxy (node:tls: this hop is ours to the proxy, not the fingerprinted one). */
function proxyTls(socket: Socket, egress: Egress, options: TunnelOptions, signal: AbortSignal): Promise<TLSSocket> {
  const proxy = egress.proxy!
  return new Promise<TLSSocket>((resolve, reject) => {
    const tls = tlsConnect({
      socket,
      // `host` is the name the certificate must match (an IP: its IP SAN); SNI only for names (RFC 6066 §3).
      host: proxy.host,
      ...(isIP(proxy.host) === 0 ? { servername: proxy.host } : {}),
      ALPNProtocols: ['http/1.1'],
      ...(options.proxyCa !== undefined ? { ca: options.proxyCa as string | Buffer | Array<string | Buffer> } : {}),
    })
    const settle = (err: Error | null): void => {
      tls.off('secureConnect', onSecure)
      tls.off('error', onError)
      signal.removeEventListener('abort', onAbort)
      if (err === null) return resolve(tls)
      tls.destroy()
      socket.destroy()
      reject(err)
    }
    const onSecure = (): void => settle(null)
    const onError = (err: NodeJS.ErrnoException): void => {
      const certificate = typeof err.code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|ALTNAME/.test(err.code)
      settle(
        certificate
          ? new ProxyError(
              proxy.display,
              'certificate',
              `its certificate did not verify (${err.code}); trust its CA with egress.proxy_ca_file`,
              { cause: err },
            )
          : new ProxyError(proxy.display, 'unreachable', `TLS to the proxy failed (${err.code ?? err.message})`, {
              cause: err,
            }),
      )
    }
    const onAbort = (): void => settle(signal.reason as Error)
    tls.once('secureConnect', onSecure)
    tls.once('error', onError)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
