/**
 * An HTTP/2 origin that writes bytes a node:http2 server never would: Node's TLS server (ALPN
 * h2) whose decrypted stream passes through a tap to a node:http2 server session. The session
 * decodes the requests (HPACK) and answers; the tap lets a fault write raw octets on the TLS
 * socket between the session's frames, once the session has nothing left to send.
 *
 * Paths are `/<fault>/<size>/<id>`; every body is `bodyFor(path, size)` (faulty-h2-origin.ts).
 *  - `ok`: a complete response.
 *  - `garbage`: a complete response, then octets that are no HTTP/2 frame (an HTTP/1.1 status
 *    line: read as a frame header, its length is far above SETTINGS_MAX_FRAME_SIZE).
 *  - `bad-settings`: a complete response, then a SETTINGS frame of 5 octets (FRAME_SIZE_ERROR).
 *  - `data-after-end`: a complete response, then a DATA frame on that closed stream (RFC 9113
 *    §5.1: STREAM_CLOSED).
 *  - `headers-after-end`: a complete response, then a HEADERS frame on that closed stream.
 *  - `unknown-frame`: a complete response, then a frame of an unknown type (RFC 9113 §4.1: ignored;
 *    the connection stays usable).
 *  - `slow`: the head and 30 % of the body, the rest 300 ms later (a stream in flight when a
 *    fault of another stream arrives).
 */
import { createServer as createH2Server, type ServerHttp2Stream } from 'node:http2'
import { Duplex } from 'node:stream'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import { encodeFrame, Flag, FrameType } from '../../src/http/h2/frames.js'
import { createCA, issueLeaf } from '../../src/testing/pki.js'
import { bodyFor } from './faulty-h2-origin.js'

/** The decrypted side of one TLS connection, as node:http2's server session reads and writes it. */
class Tap extends Duplex {
  readonly alpnProtocol = 'h2'
  readonly encrypted = true
  constructor(readonly tls: TLSSocket) {
    super()
    tls.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) tls.pause()
    })
    tls.on('end', () => this.push(null))
    tls.on('close', () => this.destroy())
    tls.on('error', () => {})
  }
  override _read(): void {
    this.tls.resume()
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.tls.writable) this.tls.write(chunk, () => cb())
    else cb()
  }
  override _final(cb: () => void): void {
    this.tls.end()
    cb()
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.tls.destroy()
    cb(err)
  }
  /** Writes `bytes` on the TLS socket as they are, outside the session. */
  inject(bytes: Buffer): void {
    if (this.tls.writable) this.tls.write(bytes)
  }
}

export interface RawH2Origin {
  readonly hostname: string
  readonly caPem: string
  readonly ip: string
  readonly port: number
  url(path: string): string
  /** Requests seen per path. */
  readonly hits: Map<string, number>
  /** TLS connections accepted. */
  readonly connections: number
  close(): Promise<void>
}

/** The octets a fault writes after a complete response on stream `id`; null for none. */
function afterEnd(fault: string, id: number): Buffer | null {
  switch (fault) {
    case 'garbage':
      return Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello', 'latin1')
    case 'data-after-end':
      return encodeFrame(FrameType.DATA, Flag.END_STREAM, id, Buffer.from('late data'))
    case 'headers-after-end':
      // A literal `:status: 200` (indexed, static entry 8) as a new header block on the closed stream.
      return encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, id, Buffer.from([0x88]))
    case 'bad-settings':
      // SETTINGS whose length is no multiple of 6 (RFC 9113 §6.5: FRAME_SIZE_ERROR).
      return encodeFrame(FrameType.SETTINGS, 0, 0, Buffer.alloc(5))
    case 'unknown-frame':
      return encodeFrame(0xfa, 0, 0, Buffer.from('an extension frame'))
  }
  return null
}

export async function startRawH2Origin(ip: string): Promise<RawH2Origin> {
  const hostname = 'raw-h2.test'
  const ca = createCA({ name: 'raw h2 origin CA' })
  const leaf = issueLeaf(ca, { hosts: [hostname] })
  const hits = new Map<string, number>()
  const taps = new Set<Tap>()
  let connections = 0
  const tapOf = new WeakMap<object, Tap>()
  /** The tap whose connection the session being created reads ('session' is emitted within 'connection'). */
  let connecting: Tap | undefined
  const h2 = createH2Server()
  h2.on('session', (session) => {
    session.on('error', () => {})
    if (connecting !== undefined) tapOf.set(session, connecting)
  })
  h2.on('stream', (stream: ServerHttp2Stream, headers) => {
    stream.on('error', () => {})
    const path = String(headers[':path'])
    hits.set(path, (hits.get(path) ?? 0) + 1)
    const [, fault = 'ok', sizeText = '1000'] = path.split('/')
    const size = Number(sizeText)
    const body = bodyFor(path, size)
    stream.respond({ ':status': 200, 'content-length': String(size), 'content-type': 'application/octet-stream' })
    if (fault === 'slow') {
      const cut = Math.floor(size * 0.3)
      stream.write(body.subarray(0, cut))
      setTimeout(() => !stream.destroyed && stream.end(body.subarray(cut)), 300)
      return
    }
    const tap = stream.session === undefined ? undefined : tapOf.get(stream.session)
    const extra = afterEnd(fault, stream.id ?? 0)
    stream.end(body)
    if (extra === null || tap === undefined) return
    // Once the stream closed and the session flushed its frames: the octets go after them.
    stream.once('close', () => setTimeout(() => tap.inject(extra), 10))
  })
  const tls = createTlsServer({ cert: leaf.chainPem, key: leaf.keyPem, ALPNProtocols: ['h2'] }, (socket) => {
    connections++
    socket.on('error', () => {})
    const tap = new Tap(socket)
    taps.add(tap)
    tap.once('close', () => taps.delete(tap))
    connecting = tap
    h2.emit('connection', tap)
    connecting = undefined
  })
  tls.on('tlsClientError', () => {})
  const port = await new Promise<number>((resolve, reject) => {
    tls.once('error', reject)
    tls.listen(0, ip, () => resolve((tls.address() as { port: number }).port))
  })
  return {
    hostname,
    caPem: ca.certPem,
    ip,
    port,
    hits,
    get connections() {
      return connections
    },
    url: (path) => `https://${hostname}:${port}${path}`,
    async close() {
      for (const t of taps) t.destroy()
      await new Promise<void>((resolve) => tls.close(() => resolve()))
      h2.close()
    },
  }
}
