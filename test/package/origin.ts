/**
 * A private HTTPS origin for the package tests: `tiles.internal` on 127.0.0.2 and 127.0.0.3 (one
 * port), with a certificate of a CA made here (trust it through `ca`), speaking HTTP/1.1 only
 * (node:https) or HTTP/2 (node:http2, ALPN h2 with HTTP/1.1 as fallback; node:http2 sets ALPN itself). Every path answers 200 with `<HTTP version> <user-agent>`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2'
import type { AddressInfo, Socket } from 'node:net'
import { createCA, issueLeaf } from '../../src/testing/pki.js'

export const ORIGIN_HOST = 'tiles.internal'
export const ORIGIN_IPS = ['127.0.0.2', '127.0.0.3'] as const

export interface PrivateOrigin {
  readonly url: string
  readonly port: number
  /** PEM of the CA that issued the server's certificate. */
  readonly caPem: string
  /** Requests seen, by "ip httpVersion". */
  readonly seen: Map<string, number>
  close(): Promise<void>
}

function listen(
  server: HttpsServer | ReturnType<typeof createSecureServer>,
  port: number,
  host: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

export async function startPrivateOrigin(protocol: 'h1' | 'h2'): Promise<PrivateOrigin> {
  const ca = createCA({ keyType: 'ecdsa-p256' })
  const leaf = issueLeaf(ca, { hosts: [ORIGIN_HOST], keyType: 'ecdsa-p256' })
  const seen = new Map<string, number>()
  const sockets = new Set<Socket>()
  const answer = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void => {
    const key = `${req.socket.localAddress} ${req.httpVersion}`
    seen.set(key, (seen.get(key) ?? 0) + 1)
    const body = `${req.httpVersion} ${req.headers['user-agent'] ?? ''}`
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }
  const tls = { key: leaf.keyPem, cert: leaf.chainPem }
  const servers = ORIGIN_IPS.map(() => {
    const server =
      protocol === 'h2'
        ? createSecureServer({ ...tls, allowHTTP1: true }, answer)
        : createHttpsServer({ ...tls, ALPNProtocols: ['http/1.1'] }, answer)
    server.on('connection', (s: Socket) => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    })
    return server
  })
  // The first IP picks a free port; the second takes the same one (free on another address in practice).
  const port = await listen(servers[0]!, 0, ORIGIN_IPS[0])
  await listen(servers[1]!, port, ORIGIN_IPS[1])
  return {
    url: `https://${ORIGIN_HOST}:${port}`,
    port,
    caPem: ca.certPem,
    seen,
    close: async () => {
      for (const s of sockets) s.destroy()
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    },
  }
}
