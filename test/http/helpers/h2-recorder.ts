/**
 * A local HTTP/2 server that records what each client puts on the wire: a node:tls server (ALPN
 * h2, optionally http/1.1 too) whose decrypted bytes are split into frames here, by hand, before
 * they are handed to a node:http2 server session, which decodes HPACK (its `stream` event gives
 * the header list in wire order) and answers 200.
 */
import { createServer as createH2Server, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { writeThrough } from '../../../src/http/h2/tap.js'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import { createCA, issueLeaf } from '../../../src/testing/pki.js'

export interface RecordedFrame {
  type: number
  flags: number
  streamId: number
  length: number
  settings?: Array<{ id: number; value: number }>
  increment?: number
  priority?: { exclusive: boolean; dependsOn: number; weight: number }
  errorCode?: number
  lastStreamId?: number
  /** HEADERS: the header block fragment (after padding length and priority fields). */
  block?: Buffer
}

export interface RecordedConnection {
  alpn: string | false
  frames: RecordedFrame[]
  /** Decoded header list (pseudo-headers included) by stream id. */
  headers: Map<number, Array<[string, string]>>
  /** The HTTP/1.1 request heads, raw, for connections that chose http/1.1. */
  h1Heads: string[]
  session: ServerHttp2Session | undefined
}

export interface H2Recorder {
  port: number
  caPem: string
  connections: RecordedConnection[]
  close(): Promise<void>
}

function parseFrames(conn: RecordedConnection, buf: Buffer): Buffer {
  let off = 0
  while (buf.length - off >= 9) {
    const length = buf.readUIntBE(off, 3)
    if (buf.length - off < 9 + length) break
    const type = buf[off + 3]!
    const flags = buf[off + 4]!
    const streamId = buf.readUInt32BE(off + 5) & 0x7fffffff
    const p = buf.subarray(off + 9, off + 9 + length)
    const f: RecordedFrame = { type, flags, streamId, length }
    if (type === 4 && (flags & 1) === 0) {
      f.settings = []
      for (let i = 0; i + 6 <= p.length; i += 6)
        f.settings.push({ id: p.readUInt16BE(i), value: p.readUInt32BE(i + 2) })
    }
    if (type === 8) f.increment = p.readUInt32BE(0) & 0x7fffffff
    if ((type === 1 && (flags & 0x20) !== 0) || type === 2) {
      const at = type === 1 && (flags & 0x8) !== 0 ? 1 : 0
      const word = p.readUInt32BE(at)
      f.priority = { exclusive: (word & 0x80000000) !== 0, dependsOn: word & 0x7fffffff, weight: p[at + 4]! + 1 }
    }
    if (type === 1) {
      const pad = (flags & 0x8) !== 0 ? p[0]! : 0
      const start = ((flags & 0x8) !== 0 ? 1 : 0) + ((flags & 0x20) !== 0 ? 5 : 0)
      f.block = Buffer.from(p.subarray(start, p.length - pad))
    }
    if (type === 3) f.errorCode = p.readUInt32BE(0)
    if (type === 7) {
      f.lastStreamId = p.readUInt32BE(0) & 0x7fffffff
      f.errorCode = p.readUInt32BE(4)
    }
    conn.frames.push(f)
    off += 9 + length
  }
  return buf.subarray(off)
}

/**
 * Starts the recorder on 127.0.0.1. `alpn` is what the server accepts (default ['h2']).
 * `onStream` may answer a stream itself (return true); by default every stream gets 200 "ok".
 */
export async function startH2Recorder(
  options: {
    alpn?: string[]
    hostname?: string
    onStream?: (stream: ServerHttp2Stream, conn: RecordedConnection) => boolean
  } = {},
): Promise<H2Recorder> {
  const hostname = options.hostname ?? 'h2.test'
  const ca = createCA({ name: 'h2 recorder CA' })
  const leaf = issueLeaf(ca, { hosts: [hostname, '127.0.0.1'] })
  const connections: RecordedConnection[] = []
  const h2 = createH2Server()
  const sockets = new Set<TLSSocket>()
  h2.on('stream', (stream: ServerHttp2Stream, _headers: unknown, _flags: number, rawHeaders: string[]) => {
    stream.on('error', () => {})
    const conn = (stream.session as unknown as { recorded?: RecordedConnection } | undefined)?.recorded
    if (conn !== undefined) {
      const list: Array<[string, string]> = []
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) list.push([rawHeaders[i]!, rawHeaders[i + 1]!])
      conn.headers.set(stream.id ?? -1, list)
      if (options.onStream?.(stream, conn) === true) return
    }
    stream.respond({ ':status': 200, 'content-type': 'text/plain' })
    stream.end('ok')
  })
  const tls = createTlsServer(
    { cert: leaf.chainPem, key: leaf.keyPem, ALPNProtocols: options.alpn ?? ['h2'] },
    (socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {})
      const conn: RecordedConnection = {
        alpn: socket.alpnProtocol ?? false,
        frames: [],
        headers: new Map(),
        h1Heads: [],
        session: undefined,
      }
      connections.push(conn)
      if (socket.alpnProtocol !== 'h2') {
        // A minimal HTTP/1.1 server: records each head, answers 200 with a body.
        let pending = ''
        socket.on('data', (d: Buffer) => {
          pending += d.toString('latin1')
          for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
            conn.h1Heads.push(pending.slice(0, end))
            pending = pending.slice(end + 4)
            socket.write(
              'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nx-alpn: http/1.1\r\n\r\nok',
            )
          }
        })
        return
      }
      let preface = 24
      let rest: Buffer = Buffer.alloc(0)
      const tap = writeThrough(socket)
      socket.on('data', (d: Buffer) => {
        let b = d
        if (preface > 0) {
          const n = Math.min(preface, b.length)
          preface -= n
          b = b.subarray(n)
        }
        rest = parseFrames(conn, rest.length === 0 ? b : Buffer.concat([rest, b]))
        tap.push(d)
      })
      socket.on('end', () => tap.push(null))
      socket.on('close', () => tap.destroy())
      h2.once('session', (session: ServerHttp2Session) => {
        ;(session as unknown as { recorded: RecordedConnection }).recorded = conn
        conn.session = session
        session.on('error', () => {})
      })
      h2.emit('connection', tap)
    },
  )
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve))
  return {
    port: (tls.address() as AddressInfo).port,
    caPem: ca.certPem,
    connections,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => tls.close(() => resolve()))
      h2.close()
    },
  }
}

const PSEUDO: Record<string, string> = { ':method': 'm', ':authority': 'a', ':scheme': 's', ':path': 'p' }

/** The Akamai fingerprint of a recorded connection: first SETTINGS | first connection WINDOW_UPDATE | PRIORITY frames | pseudo-header order of the first HEADERS. */
export function akamaiOf(conn: RecordedConnection): string {
  const settings = conn.frames.find((f) => f.settings !== undefined)?.settings ?? []
  const wu = conn.frames.find((f) => f.type === 8 && f.streamId === 0)?.increment ?? 0
  const prio = conn.frames
    .filter((f) => f.type === 2)
    .map((f) => `${f.streamId}:${f.priority!.exclusive ? 1 : 0}:${f.priority!.dependsOn}:${f.priority!.weight}`)
  const firstHeaders = conn.frames.find((f) => f.type === 1)
  const list = firstHeaders === undefined ? [] : (conn.headers.get(firstHeaders.streamId) ?? [])
  const pseudo = list.filter(([n]) => n.startsWith(':')).map(([n]) => PSEUDO[n] ?? n)
  return `${settings.map((s) => `${s.id}:${s.value}`).join(';')}|${wu}|${prio.length === 0 ? '0' : prio.join(',')}|${pseudo.join(',')}`
}
