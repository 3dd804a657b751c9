/**
 * An HTTPS origin that misbehaves on purpose, for the end-of-stream tests: node:http2's stream API
 * for HTTP/2 (so a test controls RST_STREAM codes, GOAWAY's last stream id and when the session
 * and the TCP connection end) and node:https's for HTTP/1.1, on one loopback IP each, one host name.
 * HTTP/2 clients reach the server through a TCP relay (tcp-relay.ts), which makes the TCP cuts.
 *
 * Every body is derived from its path (`bodyFor`), so a client checks each byte. A fault is
 * picked by the path: `/<fault>/<size>/<id>`, e.g. `/cut-reset/200000/7`; `/ok/<size>/<id>` answers
 * normally. HTTP/1.1 also has close-delimited (`close-ok`, `close-reset`, `close-fin`) and chunked
 * (`chunked-ok`, `chunked-reset`, `chunked-fin`) bodies, `short-now` (head, short body and
 * close_notify in one write) and `garbage` (bytes after a complete response).
 */
import { createHash } from 'node:crypto'
import {
  constants,
  createSecureServer,
  type Http2Session,
  type Http2SecureServer,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { fetch, request, stream, type Dispatcher } from 'undici'
import { createCA, issueLeaf } from '../../src/testing/pki.js'
import { startTcpRelay, type TcpRelay } from './tcp-relay.js'

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

/** The remote port of an HTTP/2 session's socket (the relay's side), read while the session holds it (later reads throw). */
function peerPortOf(tls: TLSSocket | undefined): number | undefined {
  try {
    return tls?.remotePort
  } catch {
    return undefined
  }
}

/**
 * Ends `session` gracefully (GOAWAY, the streams below it answered, close_notify, FIN), calling
 * close() only once its GOAWAY has left. After close(), node refuses a stream whose HEADERS arrive
 * with RST_STREAM(REFUSED_STREAM) from inside nghttp2's receive callback, which sends from within
 * it (see the 'stream' handler); once the GOAWAY is out, nghttp2 drops such streams itself.
 */
function closeGracefully(session: Http2Session): void {
  if (session.closed || session.destroyed) return
  session.goaway(constants.NGHTTP2_NO_ERROR) // last stream id: the last one processed
  const giveUpAt = Date.now() + 2_000
  const closeWhenSent = (): void => {
    if (session.closed || session.destroyed) return
    if ((session.state.outboundQueueSize ?? 0) === 0 || Date.now() > giveUpAt) session.close()
    else setTimeout(closeWhenSent, 1)
  }
  setImmediate(closeWhenSent)
}

/** The last stream id of the GOAWAY a session sent (goaway-at). */
const goawayLast = new WeakMap<ServerHttp2Session, number>()
let goawayAtSession: ServerHttp2Session | null = null

function serveH2(stream: ServerHttp2Stream, path: string, hits: number, relay: TcpRelay): void {
  const { fault, size } = parse(path)
  const body = bodyFor(path, size)
  const session = stream.session
  const tls = session?.socket as TLSSocket | undefined
  const head = { ':status': 200, 'content-length': String(size), 'content-type': 'application/octet-stream' }
  const partial = body.subarray(0, Math.floor(size * 0.3))
  switch (fault) {
    case 'cut-reset': // TCP RST with the stream in flight
    case 'cut-fin': // FIN without close_notify
      {
        // Cut by the relay in front of the server (tcp-relay.ts): the session's own TCP socket
        // sees its peer close, never a destroy under its feet.
        const peerPort = peerPortOf(tls)
        stream.respond(head)
        stream.write(partial, () => setTimeout(() => relay.cut(peerPort, fault === 'cut-reset' ? 'reset' : 'fin'), 10))
      }
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
        if (last !== undefined) setTimeout(() => closeGracefully(s), 5)
      })
      return
    }
    case 'close-after': // a graceful close once the response is written: GOAWAY, close_notify, FIN
      stream.respond(head)
      stream.end(body, () => session && closeGracefully(session))
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
    case 'rst-with-headers': // HEADERS, then RST_STREAM(INTERNAL_ERROR) right behind it
      stream.respond(head)
      stream.close(constants.NGHTTP2_INTERNAL_ERROR)
      return
  }
  stream.respond(head)
  stream.end(body)
}

/** A close-delimited response head: no content-length, no chunking, the connection's end ends the body. */
const CLOSE_HEAD = 'HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-type: application/octet-stream\r\n\r\n'

/**
 * HTTP/1.1 faults written on the TLS socket itself, where node's response API cannot make them:
 * close-delimited bodies, a head and a short body with close_notify in one TLS write, and bytes
 * after a complete response. Returns false for the faults of serveH1.
 */
function serveH1Raw(tls: TLSSocket, fault: string, body: Buffer, partial: Buffer): boolean {
  const cut = (how: 'reset' | 'fin'): void =>
    void setTimeout(() => (how === 'reset' ? tcpOf(tls).resetAndDestroy() : tcpOf(tls).destroy()), 10)
  switch (fault) {
    case 'close-ok': // close-delimited, ended by close_notify: complete
      tls.write(CLOSE_HEAD)
      tls.end(body)
      return true
    case 'close-reset': // close-delimited, cut by a TCP reset
    case 'close-fin': // close-delimited, cut by a FIN without close_notify
      tls.write(CLOSE_HEAD)
      tls.write(partial, () => cut(fault === 'close-reset' ? 'reset' : 'fin'))
      return true
    case 'short-now': // head, 30 % of the body and close_notify in one write
      tls.cork()
      tls.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\ncontent-type: application/octet-stream\r\n\r\n`)
      tls.write(partial)
      tls.end()
      tls.uncork()
      return true
  }
  return false
}

/**
 * Connections that owe their client the garbage of a `garbage` response: a request that arrives
 * on one is answered only once the garbage is out, so that the garbage precedes its response and
 * never lands inside it (in a chunked body it would read as a malformed chunk: a parser error
 * that is the origin's, not the client's).
 */
const garbageOwed = new WeakMap<TLSSocket, Promise<void>>()

function serveH1(req: IncomingMessage, res: ServerResponse, path: string): void {
  const tls = req.socket as TLSSocket
  const owed = garbageOwed.get(tls)
  if (owed !== undefined) {
    void owed.then(() => serveH1(req, res, path))
    return
  }
  const { fault, size } = parse(path)
  const body = bodyFor(path, size)
  const partial = body.subarray(0, Math.floor(size * 0.3))
  if (serveH1Raw(tls, fault, body, partial)) return
  if (fault.startsWith('chunked')) {
    // No content-length: node sends the body chunked.
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    if (fault === 'chunked-ok') {
      for (let off = 0; off < size; off += 16_384) res.write(body.subarray(off, off + 16_384))
      res.end()
      return
    }
    res.write(partial, () =>
      setTimeout(() => (fault === 'chunked-reset' ? tcpOf(tls).resetAndDestroy() : tcpOf(tls).destroy()), 10),
    )
    return
  }
  res.writeHead(200, { 'content-length': String(size), 'content-type': 'application/octet-stream' })
  switch (fault) {
    case 'garbage': {
      // A complete response, then (5 ms later, on the kept-alive connection) bytes that are no response.
      let paid!: () => void
      garbageOwed.set(
        tls,
        new Promise<void>((resolve) => (paid = resolve)).then(() => void garbageOwed.delete(tls)),
      )
      tls.once('close', () => paid())
      res.end(body, () =>
        setTimeout(() => {
          if (tls.writable) tls.write('HTTP/1.1 2OO garbage\r\n\r\n\u0000\u0001')
          paid()
        }, 5),
      )
      return
    }
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
    const hits = count(path)
    // Served a turn later, outside nghttp2's receive callback, where node emits 'stream': an
    // RST_STREAM with a code other than CANCEL submitted from there makes node send at once, a
    // call back into nghttp2 from its own callback, which corrupts the process's heap (glibc:
    // `corrupted size vs. prev_size`, within minutes of the soak's rst-* faults).
    setImmediate(() => {
      if (stream.destroyed || stream.session === undefined || stream.session.destroyed) return
      serveH2(stream, path, hits, relay)
    })
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
  const h2Backend = await listen(h2)
  const relay = await startTcpRelay(ip, { host: ip, port: h2Backend })
  const h2Port = relay.port
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
      await relay.close()
      for (const s of sockets) s.destroy()
      await Promise.all([h2, h1].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    },
  }
}

/**
 * GETs `/close-ok/<size>/…` `count` times at once over `pool` (HTTP/1.1) with slow readers, cycling
 * through undici's request, fetch and stream; returns what was not byte-for-byte right (empty: all right).
 */
export async function readCloseDelimited(
  pool: Dispatcher,
  origin: FaultyOrigin,
  size: number,
  count: number,
): Promise<string[]> {
  const results = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const path = `/close-ok/${size}/slow-${i}`
      const url = origin.url(false, path)
      const chunks: Buffer[] = []
      const slowly = async (c: Uint8Array): Promise<void> => {
        chunks.push(Buffer.from(c))
        await sleep(1)
      }
      try {
        if (i % 3 === 0) {
          const res = await request(url, { dispatcher: pool })
          for await (const c of res.body) await slowly(c as Buffer)
        } else if (i % 3 === 1) {
          const res = await fetch(url, { dispatcher: pool })
          for await (const c of res.body!) await slowly(c)
        } else {
          await stream(
            url,
            { dispatcher: pool, method: 'GET' },
            () =>
              new Writable({
                highWaterMark: 1024,
                write(chunk: Buffer, _enc, cb) {
                  chunks.push(chunk)
                  setTimeout(cb, 1)
                },
              }),
          )
        }
      } catch (err) {
        return `${path}: ${String(err)}`
      }
      const body = Buffer.concat(chunks)
      return body.equals(bodyFor(path, size)) ? null : `${path}: wrong, ${body.length} bytes`
    }),
  )
  return results.filter((r): r is string => r !== null)
}
