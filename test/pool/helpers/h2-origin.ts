/**
 * A small HTTPS origin on several loopback IPs that speaks HTTP/2 and HTTP/1.1 (ALPN), keeps its
 * HTTP/2 sessions so a test can send GOAWAY mid-run, can break HTTP/2 (every session is answered
 * with GOAWAY PROTOCOL_ERROR) and counts connections, sessions and requests per IP and protocol.
 */
import { constants, createSecureServer, type Http2SecureServer, type ServerHttp2Session } from 'node:http2'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { Resolver } from '../../../src/pool/index.js'
import { createCA, issueLeaf } from '../../../src/testing/pki.js'

export interface IpCounters {
  connections: number
  open: number
  maxOpen: number
  h2Sessions: number
  h2Requests: number
  h1Requests: number
}

export interface H2Origin {
  hostname: string
  port: number
  ips: readonly string[]
  caPem: string
  resolver: Resolver
  counters: Record<string, IpCounters>
  url(path?: string): string
  /** GOAWAY(NO_ERROR) on every session, then a graceful close (streams sent after it are refused). Returns the sessions hit. */
  goawayAll(): number
  /** While set, every new HTTP/2 session gets GOAWAY(PROTOCOL_ERROR) and is closed. */
  breakH2: boolean
  /** Destroys every open connection. */
  dropAll(): void
  close(): Promise<void>
}

export async function startH2Origin(options: {
  ips: readonly string[]
  maxConcurrentStreams?: number
  delayMs?: number
}): Promise<H2Origin> {
  const hostname = 'h2origin.test'
  const ca = createCA({ name: 'h2 origin CA' })
  const leaf = issueLeaf(ca, { hosts: [hostname] })
  const counters: Record<string, IpCounters> = {}
  const sessions = new Set<ServerHttp2Session>()
  const sockets = new Set<Socket>()
  const servers: Http2SecureServer[] = []
  const origin = { breakH2: false }
  for (const ip of options.ips) {
    const c: IpCounters = { connections: 0, open: 0, maxOpen: 0, h2Sessions: 0, h2Requests: 0, h1Requests: 0 }
    counters[ip] = c
    const server = createSecureServer({
      cert: leaf.chainPem,
      key: leaf.keyPem,
      allowHTTP1: true,
      ...(options.maxConcurrentStreams !== undefined
        ? { settings: { maxConcurrentStreams: options.maxConcurrentStreams } }
        : {}),
    })
    server.on('connection', (socket: Socket) => {
      c.connections++
      c.open++
      c.maxOpen = Math.max(c.maxOpen, c.open)
      sockets.add(socket)
      socket.once('close', () => {
        c.open--
        sockets.delete(socket)
      })
    })
    server.on('secureConnection', (tls: TLSSocket) => tls.on('error', () => {}))
    server.on('session', (session: ServerHttp2Session) => {
      c.h2Sessions++
      session.on('error', () => {})
      if (origin.breakH2) {
        session.goaway(constants.NGHTTP2_PROTOCOL_ERROR, 0)
        session.destroy()
        return
      }
      sessions.add(session)
      session.once('close', () => sessions.delete(session))
    })
    server.on('stream', (stream) => stream.on('error', () => {}))
    server.on('request', (req, res) => {
      if (req.httpVersionMajor === 2) c.h2Requests++
      else c.h1Requests++
      const answer = (): void => {
        if (res.destroyed || res.writableEnded) return
        res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': ip, 'x-http': req.httpVersion })
        res.end(`ok ${req.url}`)
      }
      const delay = options.delayMs ?? 0
      if (delay > 0) setTimeout(answer, Math.floor(Math.random() * delay))
      else answer()
    })
    servers.push(server)
  }
  let port = 0
  for (const [i, server] of servers.entries()) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, options.ips[i], () => resolve())
    })
    port = (server.address() as { port: number }).port
  }
  return {
    hostname,
    port,
    ips: options.ips,
    caPem: ca.certPem,
    counters,
    resolver: {
      resolve: async () => ({
        addresses: options.ips.map((address) => ({ address, family: 4 as const, ttlMs: 60_000 })),
        minTtlMs: 60_000,
      }),
    },
    url: (path = '/') => `https://${hostname}:${port}${path}`,
    goawayAll() {
      let n = 0
      for (const s of sessions) {
        if (s.closed || s.destroyed) continue
        // Graceful shutdown (RFC 9113 §6.8): GOAWAY with the last stream the server accepted;
        // streams the client sends after it are refused and must go to another connection.
        s.close()
        n++
      }
      return n
    },
    get breakH2() {
      return origin.breakH2
    },
    set breakH2(v: boolean) {
      origin.breakH2 = v
    },
    dropAll() {
      for (const s of sockets) s.destroy()
    },
    async close() {
      for (const s of sockets) s.destroy()
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    },
  }
}
