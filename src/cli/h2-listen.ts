/**
 * The HTTP side of `hotconn fingerprint --listen --h2`: a TLS server (node:tls, ALPN h2 and
 * http/1.1 or only http/1.1, a certificate from a CA made at start) that completes the handshake
 * and records what each client sends:
 *  - per connection, its ClientHello (JA4, length; read before node:tls sees the bytes) and, on
 *    HTTP/2, its first flight — the Akamai fingerprint (SETTINGS, connection WINDOW_UPDATE,
 *    PRIORITY frames, pseudo-header order);
 *  - per request, the full head: every header field in wire order and case with its value, the
 *    HEADERS priority fields and the raw HPACK block (h2), or the raw request head text (HTTP/1.1).
 * Event `client` reports the first request of each connection, `request` every request. Requests
 * are answered from `routes` (path → response) or with a 200 text body. Frames are split from the
 * decrypted bytes here; node:http2 decodes HPACK and answers.
 *
 * Bounds: 64 KiB per HTTP/1.1 head, 64 KiB of first flight before the ClientHello, 10 s idle per
 * connection, 4096 HPACK blocks kept per connection.
 */
import { EventEmitter } from 'node:events'
import { createServer as createH2Server, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import { createServer as createTlsServer, type Server, type TLSSocket } from 'node:tls'
import { writeThrough } from '../http/h2/tap.js'
import { akamaiFingerprint, type Http2Setting } from '../fingerprint/http.js'
import { fingerprintClientHello } from '../fingerprint/ja.js'
import { parseClientHello, readClientHelloRecords } from '../fingerprint/parse.js'
import { FrameSplitter, FrameType, Flag, type Frame } from '../http/h2/frames.js'
import { createCA, issueLeaf } from '../testing/pki.js'

/** HEADERS priority fields (RFC 9113 §6.2; weight 1-256). */
export interface HeadersPriority {
  readonly exclusive: boolean
  readonly dependsOn: number
  readonly weight: number
}

/** What one client sent on its first request (event `client`). */
export interface HttpClientReport {
  readonly remoteAddress: string | undefined
  readonly remotePort: number | undefined
  readonly alpn: string
  /** HTTP/2 only: the Akamai fingerprint, e.g. `1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p`. */
  readonly akamai?: string
  /** HTTP/2 only: first request's stream id and HEADERS priority fields (absent without the PRIORITY flag). */
  readonly streamId?: number
  readonly priority?: HeadersPriority
  /** Header names of the first request in wire order (pseudo-headers included for HTTP/2). */
  readonly headerOrder: readonly string[]
  readonly headers: ReadonlyArray<readonly [string, string]>
}

/** The ClientHello of a connection, as fingerprints. */
export interface ConnectionHello {
  readonly ja4: string
  readonly ja3n: string
  /** Handshake message length in bytes. */
  readonly length: number
  readonly serverName: string | undefined
  readonly alpn: readonly string[]
}

/** One request head (event `request`). */
export interface RequestRecord {
  /** Connection number, from 1 in accept order. */
  readonly connection: number
  /** Request number within its connection, from 1. */
  readonly sequence: number
  readonly alpn: 'h2' | 'http/1.1'
  readonly hello: ConnectionHello | undefined
  /** HTTP/2 only: the connection's Akamai fingerprint. */
  readonly akamai?: string
  readonly streamId?: number
  readonly priority?: HeadersPriority
  /** HTTP/2 only: the HEADERS (+CONTINUATION) header block fragment, hex. */
  readonly hpack?: string
  readonly method: string
  readonly path: string
  readonly authority: string
  /** Every field in wire order; HTTP/2 pseudo-headers included, HTTP/1.1 in wire case. */
  readonly headers: ReadonlyArray<readonly [string, string]>
  /** HTTP/1.1 only: the request line and header lines as received (CRLF-separated). */
  readonly head?: string
}

/** A canned response for a path (query string ignored). */
export interface RouteResponse {
  readonly status?: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body: string | Buffer
}

export interface H2FingerprintServerOptions {
  /** ALPN protocols the server accepts, in preference order (default `['h2', 'http/1.1']`). */
  readonly alpn?: readonly ('h2' | 'http/1.1')[]
  /** Certificate chain and key to serve (PEM) with the CA that issued them; default: a CA and leaf made at start. */
  readonly certificate?: { readonly chainPem: string; readonly keyPem: string; readonly caPem: string }
  /** Responses by path; the `authority` lets one server play several origins. */
  readonly route?: (path: string, authority: string) => RouteResponse | undefined
}

interface FlightState {
  settings: Http2Setting[] | undefined
  windowIncrement: number | undefined
  priorityFrames: string[]
  /** Per stream: priority fields and header block of its HEADERS (+CONTINUATION). */
  streams: Map<number, { priority?: HeadersPriority; block: Buffer[] }>
  firstStream: number | undefined
  lastHeaders: number | undefined
}

const MAX_STREAMS_KEPT = 4096

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
  } else if (f.type === FrameType.PRIORITY && p.length >= 5 && state.firstStream === undefined) {
    const w = p.readUInt32BE(0)
    state.priorityFrames.push(`${f.streamId}:${w >>> 31}:${w & 0x7fffffff}:${(p[4] as number) + 1}`)
  } else if (f.type === FrameType.HEADERS) {
    let at = 0
    let end = p.length
    if ((f.flags & Flag.PADDED) !== 0 && p.length >= 1) {
      at = 1
      end = Math.max(at, p.length - (p[0] as number))
    }
    let priority: HeadersPriority | undefined
    if ((f.flags & Flag.PRIORITY) !== 0 && end >= at + 5) {
      const w = p.readUInt32BE(at)
      priority = { exclusive: w >>> 31 === 1, dependsOn: w & 0x7fffffff, weight: (p[at + 4] as number) + 1 }
      at += 5
    }
    if (state.streams.size >= MAX_STREAMS_KEPT) state.streams.delete(state.streams.keys().next().value as number)
    state.streams.set(f.streamId, { ...(priority !== undefined ? { priority } : {}), block: [p.subarray(at, end)] })
    state.firstStream ??= f.streamId
    state.lastHeaders = f.streamId
  } else if (f.type === FrameType.CONTINUATION && state.lastHeaders === f.streamId) {
    state.streams.get(f.streamId)?.block.push(p)
  }
}

interface SessionInfo {
  flight: FlightState
  peer: TLSSocket
  connection: number
  hello: ConnectionHello | undefined
  requests: number
}

export class H2FingerprintServer extends EventEmitter {
  readonly caPem: string
  readonly #net: NetServer
  readonly #tls: Server
  readonly #h2 = createH2Server({ settings: { maxConcurrentStreams: 256 } })
  readonly #sockets = new Set<Socket>()
  readonly #secure = new Set<TLSSocket>()
  readonly #route: H2FingerprintServerOptions['route']
  /** By `address:port` of the TCP peer: the ClientHello read and the connection number. */
  readonly #accepted = new Map<string, { hello: ConnectionHello | undefined; connection: number }>()
  #connections = 0

  private constructor(names: readonly string[], options: H2FingerprintServerOptions) {
    super()
    const cert =
      options.certificate ??
      ((ca) => ({ ...issueLeaf(ca, { hosts: names }), caPem: ca.certPem }))(
        createCA({ name: 'hotconn fingerprint CA' }),
      )
    this.caPem = cert.caPem
    this.#route = options.route
    this.#tls = createTlsServer(
      { cert: cert.chainPem, key: cert.keyPem, ALPNProtocols: [...(options.alpn ?? ['h2', 'http/1.1'])] },
      (s) => this.#handle(s),
    )
    this.#tls.on('tlsClientError', () => {})
    this.#net = createNetServer((s) => this.#accept(s))
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
    options: H2FingerprintServerOptions = {},
  ): Promise<H2FingerprintServer> {
    const s = new H2FingerprintServer([...new Set([...names, host])], options)
    await new Promise<void>((resolve, reject) => {
      s.#net.once('error', reject)
      s.#net.listen(port, host, () => {
        s.#net.off('error', reject)
        resolve()
      })
    })
    return s
  }

  get port(): number {
    return (this.#net.address() as AddressInfo).port
  }

  /** Reads the ClientHello off the TCP socket, then hands the socket (bytes put back) to node:tls. */
  #accept(socket: Socket): void {
    this.#sockets.add(socket)
    const key = `${socket.remoteAddress}:${socket.remotePort}`
    const connection = ++this.#connections
    socket.on('close', () => {
      this.#sockets.delete(socket)
      this.#accepted.delete(key)
    })
    socket.on('error', () => socket.destroy())
    socket.setTimeout(10_000, () => socket.destroy())
    let data = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      data = Buffer.concat([data, chunk])
      let hello: ConnectionHello | undefined
      try {
        const rec = readClientHelloRecords(data)
        if (rec === undefined && data.length < 65_536) return
        if (rec !== undefined) {
          const parsed = parseClientHello(data.subarray(0, rec.consumed))
          const fp = fingerprintClientHello(parsed)
          hello = {
            ja4: fp.ja4,
            ja3n: fp.ja3n.hash,
            length: parsed.message.length,
            serverName: parsed.serverName,
            alpn: parsed.alpn ?? [],
          }
        }
      } catch {
        hello = undefined
      }
      socket.off('data', onData)
      socket.pause()
      this.#accepted.set(key, { hello, connection })
      socket.unshift(data)
      this.#tls.emit('connection', socket)
    }
    socket.on('data', onData)
  }

  #handle(tls: TLSSocket): void {
    const seen = this.#accepted.get(`${tls.remoteAddress}:${tls.remotePort}`)
    const hello = seen?.hello
    const connection = seen?.connection ?? 0
    this.#secure.add(tls)
    tls.on('close', () => this.#secure.delete(tls))
    tls.on('error', () => {})
    if (tls.alpnProtocol !== 'h2') {
      this.#http1(tls, connection, hello)
      return
    }
    const state: FlightState = {
      settings: undefined,
      windowIncrement: undefined,
      priorityFrames: [],
      streams: new Map(),
      firstStream: undefined,
      lastHeaders: undefined,
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
    const tap = writeThrough(tls)
    tls.on('data', (d: Buffer) => {
      try {
        splitter.push(d)
      } catch {
        tls.destroy()
        return
      }
      tap.push(d)
    })
    tls.on('end', () => tap.push(null))
    tls.on('close', () => tap.destroy())
    this.#h2.once('session', (session: ServerHttp2Session) => {
      const info: SessionInfo = { flight: state, peer: tls, connection, hello, requests: 0 }
      ;(session as unknown as { info: SessionInfo }).info = info
      session.on('error', () => {})
    })
    this.#h2.emit('connection', tap)
  }

  #respond(path: string, authority: string): RouteResponse {
    const bare = path.split('?')[0] ?? path
    return (
      this.#route?.(bare, authority) ?? {
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: 'hotconn fingerprint server\n',
      }
    )
  }

  #onStream(stream: ServerHttp2Stream, raw: string[]): void {
    stream.on('error', () => {})
    const info = (stream.session as unknown as { info?: SessionInfo } | undefined)?.info
    const headers: Array<[string, string]> = []
    for (let i = 0; i + 1 < raw.length; i += 2) headers.push([raw[i] as string, raw[i + 1] as string])
    const get = (n: string): string => headers.find(([k]) => k === n)?.[1] ?? ''
    if (info !== undefined) {
      const state = info.flight
      const akamai = akamaiFingerprint({
        settings: state.settings ?? [],
        windowIncrement: state.windowIncrement ?? 0,
        priorityFrames: state.priorityFrames,
        pseudoHeaders: headers.filter(([n]) => n.startsWith(':')).map(([n]) => n),
      })
      const id = stream.id ?? 0
      const s = state.streams.get(id)
      info.requests++
      if (info.requests === 1) {
        this.emit('client', {
          remoteAddress: info.peer.remoteAddress,
          remotePort: info.peer.remotePort,
          alpn: 'h2',
          akamai,
          streamId: id,
          ...(s?.priority !== undefined ? { priority: s.priority } : {}),
          headerOrder: headers.map(([n]) => n),
          headers,
        } satisfies HttpClientReport)
      }
      this.emit('request', {
        connection: info.connection,
        sequence: info.requests,
        alpn: 'h2',
        hello: info.hello,
        akamai,
        streamId: id,
        ...(s?.priority !== undefined ? { priority: s.priority } : {}),
        ...(s !== undefined ? { hpack: Buffer.concat(s.block).toString('hex') } : {}),
        method: get(':method'),
        path: get(':path'),
        authority: get(':authority'),
        headers,
      } satisfies RequestRecord)
      state.streams.delete(id)
    }
    const res = this.#respond(get(':path'), get(':authority'))
    stream.respond({ ':status': res.status ?? 200, ...(res.headers ?? {}) })
    stream.end(res.body)
  }

  #http1(socket: TLSSocket, connection: number, hello: ConnectionHello | undefined): void {
    let pending = ''
    let requests = 0
    socket.on('data', (d: Buffer) => {
      pending += d.toString('latin1')
      if (pending.length > 65_536) socket.destroy()
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end)
        const [requestLine = '', ...lines] = head.split('\r\n')
        pending = pending.slice(end + 4)
        const headers = lines.map((l): [string, string] => [
          l.slice(0, l.indexOf(':')),
          l.slice(l.indexOf(':') + 1).trim(),
        ])
        const [method = '', path = ''] = requestLine.split(' ')
        const authority = headers.find(([n]) => n.toLowerCase() === 'host')?.[1] ?? ''
        requests++
        if (requests === 1) {
          this.emit('client', {
            remoteAddress: socket.remoteAddress,
            remotePort: socket.remotePort,
            alpn: String(socket.alpnProtocol || 'http/1.1'),
            headerOrder: headers.map(([n]) => n),
            headers,
          } satisfies HttpClientReport)
        }
        this.emit('request', {
          connection,
          sequence: requests,
          alpn: 'http/1.1',
          hello,
          method,
          path,
          authority,
          headers,
          head,
        } satisfies RequestRecord)
        const res = this.#respond(path, authority)
        const body = typeof res.body === 'string' ? Buffer.from(res.body) : res.body
        const extra = Object.entries(res.headers ?? { 'content-type': 'text/plain; charset=utf-8' })
          .map(([n, v]) => `${n}: ${v}\r\n`)
          .join('')
        socket.write(`HTTP/1.1 ${res.status ?? 200} OK\r\n${extra}content-length: ${body.length}\r\n\r\n`)
        socket.write(body)
      }
    })
  }

  /**
   * Stops listening; open connections are ended (responses already written still go out) and
   * destroyed after at most 500 ms.
   */
  async close(): Promise<void> {
    for (const s of this.#secure) s.end()
    const deadline = Date.now() + 500
    while (this.#sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>((resolve) => this.#net.close(() => resolve()))
    this.#tls.close()
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
