/**
 * The HTTP CONNECT exchange (RFC 9110 §9.3.6) on a connection to a proxy: one request, then the
 * response head (at most MAX_HEAD_BYTES); a 2xx turns the connection into the tunnel.
 *
 * The request is Chromium's (net/http/proxy_client_socket.cc, BuildTunnelRequest): the request
 * line, `Host` (the target authority, RFC 9110 §7.2), `Proxy-Connection: keep-alive`, the
 * identity's `User-Agent`, then `Proxy-Authorization` (Basic, RFC 7617, sent up front from the
 * URL's credentials) and the configured extra headers. Written here rather than with undici's
 * `Client.connect`, which adds `connection: close`, a field no browser sends on CONNECT.
 */
import { isIP } from 'node:net'
import type { Duplex } from 'node:stream'
import type { ProxyUrl } from '../config/index.js'
import { ProxyAuthError, ProxyError } from './errors.js'

/** Longest response head accepted from a proxy (bytes). */
export const MAX_HEAD_BYTES = 16 * 1024

export interface ConnectRequest {
  /** Target host (an IP in per-IP pools, a name when the proxy resolves) and port. */
  readonly host: string
  readonly port: number
  readonly proxy: ProxyUrl
  /** Extra header fields, in order. */
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly userAgent: string | undefined
}

/** `host:port`, an IPv6 address in brackets (RFC 9110 §9.3.6, authority-form). */
export function authorityOf(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`
}

/** The CONNECT request bytes for `req`. */
export function connectRequest(req: ConnectRequest): Buffer {
  const authority = authorityOf(req.host, req.port)
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`, 'Proxy-Connection: keep-alive']
  if (req.userAgent !== undefined) lines.push(`User-Agent: ${req.userAgent}`)
  const { username, password } = req.proxy
  if (username !== undefined) {
    const credentials = Buffer.from(`${username}:${password ?? ''}`, 'utf8').toString('base64')
    lines.push(`Proxy-Authorization: Basic ${credentials}`)
  }
  for (const [name, value] of req.headers) lines.push(`${name}: ${value}`)
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')
}

/** A parsed response head. */
export interface ConnectResponse {
  readonly statusCode: number
  readonly reason: string
  /** Header fields, names lower-cased, in order. */
  readonly headers: ReadonlyArray<readonly [string, string]>
}

/** Parses a response head (without its final CRLF CRLF); undefined when it is not HTTP/1.x. */
export function parseResponseHead(head: string): ConnectResponse | undefined {
  const [statusLine = '', ...fields] = head.split('\r\n')
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine)
  if (m === null) return undefined
  const headers: Array<readonly [string, string]> = []
  for (const field of fields) {
    const colon = field.indexOf(':')
    if (colon <= 0) return undefined
    headers.push([field.slice(0, colon).trim().toLowerCase(), field.slice(colon + 1).trim()])
  }
  return { statusCode: Number(m[1]), reason: m[2] ?? '', headers }
}

/**
 * Sends the CONNECT and reads the answer on `socket` (a connection to the proxy). Resolves once
 * the proxy answered 2xx, with the socket paused and any bytes after the head put back (the
 * caller attaches its reader, then resumes). Rejects with ProxyAuthError (407), ProxyError
 * (refused, target unreachable, closed, malformed) or the signal's reason; the socket is then destroyed.
 */
export function httpConnect(socket: Duplex, req: ConnectRequest, signal: AbortSignal): Promise<ConnectResponse> {
  const proxy = req.proxy.display
  return new Promise<ConnectResponse>((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0)
    const cleanup = (): void => {
      socket.off('data', onData)
      socket.off('end', onClose)
      socket.off('close', onClose)
      socket.off('error', onError)
      signal.removeEventListener('abort', onAbort)
    }
    const fail = (err: Error): void => {
      cleanup()
      socket.destroy()
      reject(err)
    }
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) {
        if (buffered.length > MAX_HEAD_BYTES)
          fail(new ProxyError(proxy, 'protocol', `answered the CONNECT with more than ${MAX_HEAD_BYTES} bytes of head`))
        return
      }
      const res = parseResponseHead(buffered.subarray(0, end).toString('latin1'))
      if (res === undefined) {
        return fail(new ProxyError(proxy, 'protocol', 'answered the CONNECT with something that is not HTTP/1.1'))
      }
      const verdict = judge(proxy, req, res)
      if (verdict !== null) return fail(verdict)
      cleanup()
      socket.pause()
      const rest = buffered.subarray(end + 4)
      if (rest.length > 0) socket.unshift(rest)
      resolve(res)
    }
    const onClose = (): void =>
      fail(new ProxyError(proxy, 'closed', 'closed the connection before answering the CONNECT'))
    const onError = (err: Error): void =>
      fail(new ProxyError(proxy, 'closed', `connection failed during the CONNECT (${codeOf(err)})`, { cause: err }))
    const onAbort = (): void => fail(signal.reason as Error)
    if (signal.aborted) return fail(signal.reason as Error)
    socket.on('data', onData)
    socket.once('end', onClose)
    socket.once('close', onClose)
    socket.once('error', onError)
    signal.addEventListener('abort', onAbort, { once: true })
    socket.write(connectRequest(req))
  })
}

/** The error a non-2xx CONNECT answer means, or null for a tunnel. */
function judge(proxy: string, req: ConnectRequest, res: ConnectResponse): Error | null {
  const { statusCode } = res
  if (statusCode >= 200 && statusCode < 300) return null
  const status = `${statusCode}${res.reason === '' ? '' : ` ${res.reason}`}`
  const target = authorityOf(req.host, req.port)
  if (statusCode === 407) {
    const challenge = res.headers.find(([n]) => n === 'proxy-authenticate')?.[1]
    const sent =
      req.proxy.username === undefined ? 'no credentials were sent' : `user ${req.proxy.username} was refused`
    return new ProxyAuthError(
      proxy,
      `${status} (${sent}${challenge === undefined ? '' : `; it asks ${challenge}`})`,
      407,
    )
  }
  // RFC 9110 §15.6.3/.4/.5: the proxy could not reach (or got no answer from) the target.
  if (statusCode === 502 || statusCode === 503 || statusCode === 504) {
    return new ProxyError(proxy, 'target_unreachable', `could not reach ${target} (${status})`, { statusCode })
  }
  return new ProxyError(proxy, 'refused', `refused the tunnel to ${target} (${status})`, { statusCode })
}

function codeOf(err: Error): string {
  return (err as NodeJS.ErrnoException).code ?? err.message
}
