/**
 * The HTTP side of `hotconn fingerprint --listen --h2`: a TLS server (node:tls, ALPN h2 and
 * http/1.1, a certificate from a CA made at start) that completes the handshake and reports,
 * for each client, its HTTP/2 first flight — the Akamai fingerprint (SETTINGS, connection
 * WINDOW_UPDATE, PRIORITY frames, pseudo-header order), the first HEADERS' priority fields and
 * its header order — or, over HTTP/1.1, the header order of its first request. Frames are split
 * from the decrypted bytes here; node:http2 decodes HPACK and answers 200.
 */
import { EventEmitter } from 'node:events'
import { createServer as createH2Server, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { writeThrough } from '../http/h2/tap.js'
import { createServer as createTlsServer, type Server, type TLSSocket } from 'node:tls'
import { akamaiFingerprint, type Http2Setting } from '../fingerprint/http.js'
import { FrameSplitter, FrameType, Flag, type Frame } from '../http/h2/frames.js'
import { createCA, issueLeaf } from '../testing/pki.js'

/** What one client sent. */
export interface HttpClientReport {
  readonly remoteAddress: string | undefined
  readonly remotePort: number | undefined
  readonly alpn: string
  /** HTTP/2 only: the Akamai fingerprint, e.g. `1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p`. */
  readonly akamai?: string
  /** HTTP/2 only: first request's stream id and HEADERS priority fields (absent without the PRIORITY flag). */
  readonly streamId?: number
  readonly priority?: { exclusive: boolean; dependsOn: number; weight: number }
  /** Header names of the first request in wire order (pseudo-headers included for HTTP/2). */
  readonly headerOrder: readonly string[]
  readonly headers: ReadonlyArray<readonly [string, string]>
}

interface FlightState {
  settings: Http2Setting[] | undefined
  windowIncrement: number | undefined
  priorityFrames: string[]
  firstHeaders: { streamId: number; priority?: { exclusive: boolean; dependsOn: number; weight: number } } | undefined
}

function observe(state: FlightState, f: Frame): void {
  const p = f.payload
  if (f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) === 0 && state.settings === undefined) {
    state.settings = []
    for (let i = 0; i + 6 <= p.length; i += 6)
      state.settings.push({ id: p.readUInt16BE(i), value: p.readUInt32BE(i + 2) })
  } else if (
    f.type === FrameType.WINDOW_UPDATE &&
    f.streamId === 0 &&
    state.windowIncrement === undefined &&
    p.length >= 4
  ) {
    state.windowIncrement = p.readUInt32BE(0) & 0x7fffffff
  } else if (f.type === FrameType.PRIORITY && p.length >= 5 && state.firstHeaders === undefined) {
    const w = p.readUInt32BE(0)
    state.priorityFrames.push(`${f.streamId}:${w >>> 31}:${w & 0x7fffffff}:${(p[4] as number) + 1}`)
  } else if (f.type === FrameType.HEADERS && state.firstHeaders === undefined) {
    const at = (f.flags & Flag.PADDED) !== 0 ? 1 : 0
    if ((f.flags & Flag.PRIORITY) !== 0 && p.length >= at + 5) {
      const w = p.readUInt32BE(at)
      state.firstHeaders = {
        streamId: f.streamId,
        priority: { exclusive: w >>> 31 === 1, dependsOn: w & 0x7fffffff, weight: (p[at + 4] as number) + 1 },
      }
    } else state.firstHeaders = { streamId: f.streamId }
  }
}

export class H2FingerprintServer extends EventEmitter {
  readonly caPem: string
  readonly #tls: Server
  readonly #h2 = createH2Server()
  readonly #sockets = new Set<TLSSocket>()

  private constructor(names: readonly string[]) {
    super()
    const ca = createCA({ name: 'hotconn fingerprint CA' })
    const leaf = issueLeaf(ca, { hosts: names })
    this.caPem = ca.certPem
    this.#tls = createTlsServer({ cert: leaf.chainPem, key: leaf.keyPem, ALPNProtocols: ['h2', 'http/1.1'] }, (s) =>
      this.#handle(s),
    )
    this.#h2.on('stream', (stream: ServerHttp2Stream, _h: unknown, _f: number, raw: string[]) =>
      this.#onStream(stream, raw),
    )
  }

  /**
   * Listens on `host:port` (port 0: any). `names`: DNS names / IPs of the certificate (the
   * listen host is always included). Rejects with the listen error.
   */
  static async listen(
    host: string,
    port: number,
    names: readonly string[] = ['localhost'],
  ): Promise<H2FingerprintServer> {
    const s = new H2FingerprintServer([...new Set([...names, host])])
    await new Promise<void>((resolve, reject) => {
      s.#tls.once('error', reject)
      s.#tls.listen(port, host, () => {
        s.#tls.off('error', reject)
        resolve()
      })
    })
    return s
  }

  get port(): number {
    return (this.#tls.address() as AddressInfo).port
  }

  #handle(socket: TLSSocket): void {
    this.#sockets.add(socket)
    socket.on('close', () => this.#sockets.delete(socket))
    socket.on('error', () => {})
    socket.setTimeout(10_000, () => socket.destroy())
    if (socket.alpnProtocol !== 'h2') {
      this.#http1(socket)
      return
    }
    const state: FlightState = {
      settings: undefined,
      windowIncrement: undefined,
      priorityFrames: [],
      firstHeaders: undefined,
    }
    const splitter = new FrameSplitter(
      {
        frame: (f) => {
          observe(state, f)
          return []
        },
        dataStreamId: () => null,
      },
      24,
    )
    const tap = writeThrough(socket)
    socket.on('data', (d: Buffer) => {
      try {
        splitter.push(d)
      } catch {
        socket.destroy()
        return
      }
      tap.push(d)
    })
    socket.on('end', () => tap.push(null))
    socket.on('close', () => tap.destroy())
    this.#h2.once('session', (session: ServerHttp2Session) => {
      ;(session as unknown as { flight: FlightState; peer: TLSSocket }).flight = state
      ;(session as unknown as { peer: TLSSocket }).peer = socket
      session.on('error', () => {})
    })
    this.#h2.emit('connection', tap)
  }

  #onStream(stream: ServerHttp2Stream, raw: string[]): void {
    stream.on('error', () => {})
    const session = stream.session as unknown as
      { flight?: FlightState; peer?: TLSSocket; reported?: boolean } | undefined
    const state = session?.flight
    const headers: Array<[string, string]> = []
    for (let i = 0; i + 1 < raw.length; i += 2) headers.push([raw[i] as string, raw[i + 1] as string])
    if (session !== undefined && state !== undefined && session.reported !== true) {
      session.reported = true
      const report: HttpClientReport = {
        remoteAddress: session.peer?.remoteAddress,
        remotePort: session.peer?.remotePort,
        alpn: 'h2',
        akamai: akamaiFingerprint({
          settings: state.settings ?? [],
          windowIncrement: state.windowIncrement ?? 0,
          priorityFrames: state.priorityFrames,
          pseudoHeaders: headers.filter(([n]) => n.startsWith(':')).map(([n]) => n),
        }),
        ...(state.firstHeaders !== undefined ? { streamId: state.firstHeaders.streamId } : {}),
        ...(state.firstHeaders?.priority !== undefined ? { priority: state.firstHeaders.priority } : {}),
        headerOrder: headers.map(([n]) => n),
        headers,
      }
      this.emit('client', report)
    }
    stream.respond({ ':status': 200, 'content-type': 'text/plain; charset=utf-8' })
    stream.end('hotconn fingerprint server\n')
  }

  #http1(socket: TLSSocket): void {
    let pending = ''
    let reported = false
    socket.on('data', (d: Buffer) => {
      pending += d.toString('latin1')
      if (pending.length > 65_536) socket.destroy()
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const lines = pending.slice(0, end).split('\r\n').slice(1)
        pending = pending.slice(end + 4)
        const headers = lines.map((l): [string, string] => [
          l.slice(0, l.indexOf(':')),
          l.slice(l.indexOf(':') + 1).trim(),
        ])
        if (!reported) {
          reported = true
          this.emit('client', {
            remoteAddress: socket.remoteAddress,
            remotePort: socket.remotePort,
            alpn: String(socket.alpnProtocol || 'http/1.1'),
            headerOrder: headers.map(([n]) => n),
            headers,
          } satisfies HttpClientReport)
        }
        const body = 'hotconn fingerprint server\n'
        socket.write(
          `HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
        )
      }
    })
  }

  /** Stops listening and destroys open connections. */
  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>((resolve) => this.#tls.close(() => resolve()))
    this.#h2.close()
  }
}

/** One report as text (or a JSON line). */
export function formatHttpReport(r: HttpClientReport, json: boolean): string {
  if (json) return JSON.stringify(r) + '\n'
  const prio =
    r.priority === undefined
      ? ''
      : `  priority exclusive=${r.priority.exclusive ? 1 : 0} depends_on=${r.priority.dependsOn} weight=${r.priority.weight}`
  return (
    `${r.remoteAddress}:${r.remotePort}  alpn=${r.alpn}\n` +
    (r.akamai === undefined ? '' : `  Akamai ${r.akamai}\n  stream ${r.streamId ?? '-'}${prio}\n`) +
    `  header order ${r.headerOrder.join(', ')}\n`
  )
}
