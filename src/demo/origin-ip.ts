/**
 * One IP of the demo origin: its HTTPS (or HTTP/2) server, counters, connections and behaviour,
 * the request handler, and listening / stopping.
 */
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import {
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2'
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import {
  DEMO_CLIENT_HEADER,
  type IpBehaviour,
  type OriginFaults,
  type OriginIpStats,
  type OriginRequestEvent,
} from './origin-types.js'
import { pageAnswer } from './pages.js'
import { route, tileBody } from './tiles.js'

const DEFAULT_RETRY_AFTER_S = 5

type AnyServer = HttpsServer | Http2SecureServer
type AnyRequest = IncomingMessage | Http2ServerRequest
type AnyResponse = ServerResponse | Http2ServerResponse

/** A client connection as the server sees it: an HTTP/1.1 TLS socket or an HTTP/2 session. */
interface Conn {
  active: number
  close(): void
}

/** What every IP shares: host name, tile size, faults, timers, the request hook. */
export interface OriginShared {
  readonly hostname: string
  readonly tileBytes: number
  faults: OriginFaults
  readonly timers: Set<NodeJS.Timeout>
  readonly onRequest: ((e: OriginRequestEvent) => void) | undefined
  /** Session cookies the crawl pages issued (src/demo/pages.ts). */
  readonly sessions: Set<string>
  /** Tile bodies drawn ahead (DemoOrigin.prerenderTiles), by "z/x/y". */
  readonly prerendered: Map<string, Buffer>
}

export const zeroStats = (): OriginIpStats => ({ connections: 0, tlsSessions: 0, tlsErrors: 0, requests: 0, open: 0 })

export class IpServer {
  readonly ip: string
  readonly server: AnyServer
  readonly stats = zeroStats()
  readonly sockets = new Set<Socket>()
  readonly conns = new Map<object, Conn>()
  behaviour: IpBehaviour
  running = false
  readonly #shared: OriginShared

  constructor(
    ip: string,
    tls: { cert: string; key: string },
    http2: boolean,
    behaviour: IpBehaviour,
    shared: OriginShared,
  ) {
    this.ip = ip
    this.behaviour = behaviour
    this.#shared = shared
    this.server = http2
      ? createSecureServer({ ...tls, allowHTTP1: true })
      : createHttpsServer({ ...tls, ALPNProtocols: ['http/1.1'] })
    this.#instrument()
    this.server.on('request', (req: AnyRequest, res: AnyResponse) => this.#handle(req, res))
    this.applyFaults()
  }

  applyFaults(): void {
    if ('keepAliveTimeout' in this.server) this.server.keepAliveTimeout = this.#shared.faults.keepAliveTimeoutMs ?? 5000
  }

  /** Closes the connections with no request in flight; returns how many. */
  closeIdle(): number {
    let closed = 0
    for (const conn of this.conns.values()) {
      if (conn.active === 0) {
        conn.close()
        closed++
      }
    }
    return closed
  }

  #instrument(): void {
    const { server, stats } = this
    server.on('connection', (socket: Socket) => {
      stats.connections++
      stats.open++
      this.sockets.add(socket)
      socket.once('close', () => {
        stats.open--
        this.sockets.delete(socket)
      })
    })
    server.on('secureConnection', (tls: TLSSocket) => {
      stats.tlsSessions++
      if (tls.alpnProtocol === 'h2') return
      this.conns.set(tls, { active: 0, close: () => tls.end() })
      tls.once('close', () => this.conns.delete(tls))
    })
    server.on('tlsClientError', () => {
      stats.tlsErrors++
    })
    server.on('session', (session: ServerHttp2Session) => {
      this.conns.set(session, { active: 0, close: () => session.close() })
      session.once('close', () => this.conns.delete(session))
    })
  }

  #handle(req: AnyRequest, res: AnyResponse): void {
    this.stats.requests++
    const key: object = req.httpVersionMajor === 2 ? ((req as Http2ServerRequest).stream.session ?? req) : req.socket
    const conn = this.conns.get(key)
    const faults = this.#shared.faults
    if (conn !== undefined) {
      conn.active++
      res.once('close', () => {
        conn.active--
        const p = faults.closeAfterResponseProbability ?? 0
        if (conn.active === 0 && p > 0 && (faults.random ?? Math.random)() < p) conn.close()
      })
    }
    const client = req.headers[DEMO_CLIENT_HEADER]
    const b = this.behaviour
    const source = req.socket.remoteAddress?.replace(/^::ffff:/, '')
    const applies =
      (b.clients === undefined || (typeof client === 'string' && b.clients.includes(client))) &&
      (b.sources === undefined || (source !== undefined && b.sources.includes(source)))
    const delay = applies ? (b.delayMs ?? 0) : 0
    if (delay <= 0) return this.#answer(req, res, applies)
    const timer = setTimeout(() => {
      this.#shared.timers.delete(timer)
      if (!res.destroyed) this.#answer(req, res, applies)
    }, delay)
    this.#shared.timers.add(timer)
  }

  #answer(req: AnyRequest, res: AnyResponse, applies: boolean): void {
    const head = req.method === 'HEAD'
    const base: OutgoingHttpHeaders = { 'x-served-by': this.ip }
    const text = { ...base, 'content-type': 'text/plain; charset=utf-8' }
    const { status } = this.behaviour
    const reply = (code: number, headers: OutgoingHttpHeaders, body: Buffer): void => {
      send(res, code, headers, body, head)
      const client = req.headers[DEMO_CLIENT_HEADER]
      this.#shared.onRequest?.({
        ip: this.ip,
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        status: code,
        client: typeof client === 'string' ? client : undefined,
        atMs: performance.now(),
      })
    }
    if (status !== undefined && applies) {
      const headers: OutgoingHttpHeaders = { ...text }
      if (status === 429 || status === 503)
        headers['retry-after'] = String(this.behaviour.retryAfterS ?? DEFAULT_RETRY_AFTER_S)
      return reply(status, headers, Buffer.from(`${status} from ${this.ip}\n`))
    }
    if (req.method !== 'GET' && !head)
      return reply(405, { ...text, allow: 'GET, HEAD' }, Buffer.from('method not allowed\n'))
    const r = route(req.url ?? '/')
    if (r.kind === 'root')
      return reply(200, text, Buffer.from(`hotconn demo origin ${this.#shared.hostname} at ${this.ip}\n`))
    if (r.kind === 'not_found') return reply(404, text, Buffer.from('not found\n'))
    if (r.kind === 'page') {
      const cookie = req.headers.cookie
      const page = pageAnswer(
        r.n,
        Array.isArray(cookie) ? cookie.join('; ') : cookie,
        this.#shared.sessions,
        this.#shared.hostname,
      )
      return reply(page.status, { ...base, ...page.headers }, page.body)
    }
    const png = { ...base, 'content-type': 'image/png', 'cache-control': 'public, max-age=86400' }
    const body = this.#shared.prerendered.get(`${r.z}/${r.x}/${r.y}`) ?? tileBody(r.z, r.x, r.y, this.#shared.tileBytes)
    reply(200, png, body)
  }

  async listen(port: number): Promise<number> {
    const { server } = this
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        server.off('listening', onListening)
        reject(err)
      }
      const onListening = (): void => {
        server.off('error', onError)
        resolve()
      }
      server.once('error', onError)
      server.once('listening', onListening)
      server.listen(port, this.ip)
    })
    this.running = true
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error(`server on ${this.ip} has no port`)
    return address.port
  }

  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    for (const socket of this.sockets) socket.destroy()
    for (const conn of this.conns.keys()) {
      if ('destroy' in conn && typeof conn.destroy === 'function') (conn as { destroy(): void }).destroy()
    }
    await closed
  }
}

function send(res: AnyResponse, status: number, headers: OutgoingHttpHeaders, body: Buffer, head: boolean): void {
  const out = res as { writeHead(status: number, headers: OutgoingHttpHeaders): unknown; end(body?: Buffer): unknown }
  out.writeHead(status, { ...headers, 'content-length': String(body.length) })
  out.end(head ? undefined : body)
}
