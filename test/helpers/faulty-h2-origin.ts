/**
 * An HTTPS origin that misbehaves on purpose, for the end-of-stream tests: node:http2's stream API
 * for HTTP/2 (so a test controls RST_STREAM codes, GOAWAY's last stream id and when the session
 * and the TCP connection end) and node:https's for HTTP/1.1, on one loopback IP each, one host name.
 *
 * Every body is derived from its path (`bodyFor`), so a client checks each byte. A fault is
 * picked by the path: `/<fault>/<size>/<id>`, e.g. `/cut-reset/200000/7`; `/ok/<size>/<id>` answers
 * normally. Counters say what the server did, per fault.
 */
import { createHash } from 'node:crypto'
import {
  constants,
  createSecureServer,
  type Http2SecureServer,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { createCA, issueLeaf } from '../../src/testing/pki.js'

/** The body of `path`, `size` bytes: SHA-256 blocks of the path and a counter. */
export function bodyFor(path: string, size: number): Buffer {
  const out = Buffer.allocUnsafe(size)
  for (let off = 0, n = 0; off < size; n++) {
    const block = createHash('sha256').update(`${path}#${n}`).digest()
    off += block.copy(out, off, 0, Math.min(block.length, size - off))
  }
  return out
}

export interface FaultyOrigin {
  readonly hostname: string
  readonly caPem: string
  /** `https://hostname:port` of the HTTP/2 server (ALPN h2 only) and the HTTP/1.1 one. */
  readonly h2Port: number
  readonly h1Port: number
  readonly ip: string
  url(h2: boolean, path: string): string
  /** Requests seen per path (both servers). */
  readonly hits: Map<string, number>
  close(): Promise<void>
}

function parse(path: string): { fault: string; size: number } {
  const [, fault = 'ok', size = '1000'] = path.split('/')
  return { fault, size: Number(size) }
}

/** The raw TCP socket under a server-side TLS socket. */
function tcpOf(tls: TLSSocket): Socket {
  return (tls as TLSSocket & { _parent?: Socket })._parent ?? tls
}

/** The last stream id of the GOAWAY a session sent (goaway-at). */
const goawayLast = new WeakMap<ServerHttp2Session, number>()
let goawayAtSession: ServerHttp2Session | null = null

function serveH2(stream: ServerHttp2Stream, path: string, hits: number): void {
  const { fault, size } = parse(path)
  const body = bodyFor(path, size)
  const session = stream.session
  const tls = session?.socket as TLSSocket | undefined
  const head = { ':status': 200, 'content-length': String(size), 'content-type': 'application/octet-stream' }
  const partial = body.subarray(0, Math.floor(size * 0.3))
  switch (fault) {
    case 'cut-reset': // TCP RST with the stream in flight
    case 'cut-fin': // FIN without close_notify
      stream.respond(head)
      stream.write(partial, () =>
        setTimeout(() => (fault === 'cut-reset' ? tcpOf(tls!).resetAndDestroy() : tcpOf(tls!).destroy()), 10),
      )
      return
    case 'goaway-below': // GOAWAY whose last stream id is below this stream: it was never processed
      if (hits === 1) {
        session?.goaway(constants.NGHTTP2_NO_ERROR, Math.max(0, (stream.id ?? 0) - 2))
        setTimeout(() => session?.destroy(), 50)
        return
      }
      break
    case 'goaway-at': {
      // The first session to see this fault sends one GOAWAY naming its first such stream: that
      // one is answered in full, then the session goes; its later streams (above the last stream
      // id) are never processed and go to another connection, which serves them.
      const id = stream.id ?? 0
      const s = session as ServerHttp2Session | undefined
      if (s === undefined) return
      if (goawayAtSession === null) {
        goawayAtSession = s
        goawayLast.set(s, id)
        s.goaway(constants.NGHTTP2_NO_ERROR, id)
      }
      const last = goawayLast.get(s)
      if (last !== undefined && id > last) return
      stream.respond(head)
      stream.end(body, () => {
        if (last !== undefined) setTimeout(() => s.close(), 5)
      })
      return
    }
    case 'close-after': // a graceful close once the response is written: GOAWAY, close_notify, FIN
      stream.respond(head)
      stream.end(body, () => session?.close())
      return
    case 'rst-before-no_error':
    case 'rst-before-internal_error':
      stream.close(fault.endsWith('no_error') ? constants.NGHTTP2_NO_ERROR : constants.NGHTTP2_INTERNAL_ERROR)
      return
    case 'rst-before-refused_stream':
      if (hits === 1) {
        stream.close(constants.NGHTTP2_REFUSED_STREAM)
        return
      }
      break
    case 'rst-after-no_error':
    case 'rst-after-internal_error':
    case 'rst-after-refused_stream': {
      const code = fault.endsWith('no_error')
        ? constants.NGHTTP2_NO_ERROR
        : fault.endsWith('internal_error')
          ? constants.NGHTTP2_INTERNAL_ERROR
          : constants.NGHTTP2_REFUSED_STREAM
      stream.respond(head)
      stream.write(partial, () => stream.close(code))
      return
    }
    case 'short': // END_STREAM before content-length bytes
      stream.respond(head)
      stream.end(partial)
      return
    case 'long': // more DATA than content-length
      stream.respond(head)
      stream.end(Buffer.concat([body, body.subarray(0, 100)]))
      return
  }
  stream.respond(head)
  stream.end(body)
}

function serveH1(req: IncomingMessage, res: ServerResponse, path: string): void {
  const { fault, size } = parse(path)
  const body = bodyFor(path, size)
  const partial = body.subarray(0, Math.floor(size * 0.3))
  const tls = req.socket as TLSSocket
  res.writeHead(200, { 'content-length': String(size), 'content-type': 'application/octet-stream' })
  switch (fault) {
    case 'cut-reset':
    case 'cut-fin':
      res.write(partial, () =>
        setTimeout(() => (fault === 'cut-reset' ? tcpOf(tls).resetAndDestroy() : tcpOf(tls).destroy()), 10),
      )
      return
    case 'short': // close_notify after a short body (a moment later: the same-tick case is the socket's, issue 16 item 4)
      res.write(partial, () => setTimeout(() => tls.end(), 20))
      return
  }
  res.end(body)
}

export async function startFaultyOrigin(ip: string): Promise<FaultyOrigin> {
  const hostname = 'faulty.test'
  const ca = createCA({ name: 'faulty origin CA' })
  const leaf = issueLeaf(ca, { hosts: [hostname] })
  const hits = new Map<string, number>()
  const count = (path: string): number => {
    const n = (hits.get(path) ?? 0) + 1
    hits.set(path, n)
    return n
  }
  const sockets = new Set<Socket>()
  const track = (s: Socket): void => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
    s.on('error', () => {})
  }
  const h2: Http2SecureServer = createSecureServer({ cert: leaf.chainPem, key: leaf.keyPem, allowHTTP1: false })
  h2.on('connection', track)
  h2.on('secureConnection', (s: TLSSocket) => s.on('error', () => {}))
  h2.on('session', (s) => s.on('error', () => {}))
  h2.on('stream', (stream, headers) => {
    stream.on('error', () => {})
    const path = String(headers[':path'])
    serveH2(stream, path, count(path))
  })
  const h1: HttpsServer = createHttpsServer({ cert: leaf.chainPem, key: leaf.keyPem }, (req, res) => {
    const path = req.url ?? '/'
    count(path)
    serveH1(req, res, path)
  })
  h1.on('connection', track)
  h1.on('secureConnection', (s: TLSSocket) => s.on('error', () => {}))
  const listen = (server: Http2SecureServer | HttpsServer): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, ip, () => resolve((server.address() as { port: number }).port))
    })
  const h2Port = await listen(h2)
  const h1Port = await listen(h1)
  return {
    hostname,
    caPem: ca.certPem,
    h2Port,
    h1Port,
    ip,
    hits,
    url: (isH2, path) => `https://${hostname}:${isH2 ? h2Port : h1Port}${path}`,
    async close() {
      for (const s of sockets) s.destroy()
      await Promise.all([h2, h1].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    },
  }
}
