/**
 * One TCP connection, optionally from a bound local address, that resolves once connected and
 * rejects with a typed error: LocalAddressError when the source address cannot be bound, the
 * caller's error for the other failures (`onError`), the signal's reason when it aborts.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net'
import { connectSharedReads } from '../tls/shared-read.js'
import { LocalAddressError } from './errors.js'

/** System errors that mean the source address, not the peer, is the problem. */
const BIND_ERRORS: Readonly<Record<string, string>> = {
  EADDRNOTAVAIL:
    'the address is not assigned to this machine; add it to an interface (ip addr add ADDR dev IF) or route its prefix here (ip -6 route add local PREFIX dev lo, and for IPv6 sysctl net.ipv6.ip_nonlocal_bind=1)',
  EADDRINUSE: 'no free source port on this address (too many connections from it); add more local addresses',
  EINVAL: 'the address cannot be used to reach this peer (IPv4 source to an IPv6 peer, or the reverse)',
  EAFNOSUPPORT: 'the address family does not match the peer (IPv4 source to an IPv6 peer, or the reverse)',
  EACCES: 'binding it is not permitted',
}

export interface DialOptions {
  readonly host: string
  readonly port: number
  /** Source address to bind. */
  readonly localAddress?: string | undefined
  /** Aborts the dial; the promise rejects with the signal's reason. */
  readonly signal: AbortSignal
  /**
   * Read into the buffer shared by every connection (tls/shared-read.ts): for a socket whose
   * reader is hotconn's TLS connection. Default false.
   */
  readonly sharedReads?: boolean
  /** The error for a failure that is not the local address's (refused, unreachable, reset). */
  readonly onError: (err: NodeJS.ErrnoException) => Error
}

/** Connects; the socket has no listeners of ours left once the promise settles. */
export function dialTcp(options: DialOptions): Promise<Socket> {
  const { host, port, localAddress, signal } = options
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  if (localAddress !== undefined && isIP(host) !== 0 && isIP(host) !== isIP(localAddress)) {
    return Promise.reject(new LocalAddressError(localAddress, `${BIND_ERRORS['EAFNOSUPPORT']} (peer ${host})`))
  }
  return new Promise<Socket>((resolve, reject) => {
    const netOptions = { host, port, noDelay: true, ...(localAddress !== undefined ? { localAddress } : {}) }
    const socket = options.sharedReads === true ? connectSharedReads(netOptions) : netConnect(netOptions)
    const settle = (err: Error | null): void => {
      socket.off('connect', onConnect)
      socket.off('error', onError)
      signal.removeEventListener('abort', onAbort)
      if (err === null) return resolve(socket)
      socket.destroy()
      reject(err)
    }
    const onConnect = (): void => settle(null)
    const onError = (err: NodeJS.ErrnoException): void => {
      const hint = localAddress === undefined || err.code === undefined ? undefined : BIND_ERRORS[err.code]
      settle(
        hint === undefined
          ? options.onError(err)
          : new LocalAddressError(localAddress ?? '', `${err.code}: ${hint}`, {
              cause: err,
              ...(err.code !== undefined ? { errno: err.code } : {}),
            }),
      )
    }
    const onAbort = (): void => settle(signal.reason as Error)
    socket.once('connect', onConnect)
    socket.once('error', onError)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
