/**
 * H2Shaper: the Duplex node:http2 writes to instead of the TLS socket, so that what reaches the
 * wire is the browser's first flight. node:http2 (nghttp2) already keeps the pseudo-header order
 * it is given, sends the HEADERS priority fields it is asked for, and a connection WINDOW_UPDATE
 * right after SETTINGS; it cannot
 *  - send SETTINGS in an arbitrary order (it sorts them by id): the shaper replaces the payload
 *    of the first SETTINGS frame with the profile's list, in the profile's order;
 *  - start at another stream id than 1 (Firefox starts at 3, stream 1 being reserved for an
 *    HTTP/1.1 Upgrade): the shaper adds `firstStreamId - 1` to every client stream id on the way
 *    out and subtracts it on the way in (frame headers, priority dependencies, GOAWAY's last
 *    stream id; RFC 9113 §5.1.1 allows skipping ids);
 *  - send a stream WINDOW_UPDATE after each HEADERS (Firefox): the shaper inserts it.
 * For the last one node:http2 is configured with the larger stream window the peer ends up
 * granting (SETTINGS value + increment), and the wire shows the SETTINGS value, so both sides
 * agree on every stream's window once the WINDOW_UPDATE is read.
 */
import { Duplex } from 'node:stream'
import type { Http2Fingerprint } from '../../fingerprint/http.js'
import {
  CLIENT_PREFACE,
  Flag,
  FrameWatcher,
  FrameSplitter,
  FrameType,
  encodeFrame,
  settingsFrame,
  windowUpdateFrame,
  type Frame,
  type FrameRewrite,
  type FrameWatch,
} from './frames.js'
import { HeaderBlockStyler } from './hpack-style.js'

type SocketLike = Duplex & {
  ref?(): unknown
  unref?(): unknown
  setNoDelay?(noDelay?: boolean): unknown
  setKeepAlive?(enable?: boolean, delay?: number): unknown
  setTimeout?(ms: number, cb?: () => void): unknown
  readonly remoteAddress?: string | undefined
  readonly remotePort?: number | undefined
  readonly remoteFamily?: string | undefined
  readonly localAddress?: string | undefined
  readonly localPort?: number | undefined
}

/** Offset of the priority fields in a HEADERS payload (after the Pad Length octet when PADDED). */
function priorityOffset(f: Frame): number {
  return f.type === FrameType.HEADERS && (f.flags & Flag.PADDED) !== 0 ? 1 : 0
}

/** Rewrites the stream dependency of a PRIORITY frame or a HEADERS frame with PRIORITY. */
function mapDependency(f: Frame, map: (id: number) => number): Buffer {
  const hasPriority = f.type === FrameType.PRIORITY || (f.type === FrameType.HEADERS && (f.flags & Flag.PRIORITY) !== 0)
  const at = priorityOffset(f)
  if (!hasPriority || f.payload.length < at + 5) return f.payload
  const word = f.payload.readUInt32BE(at)
  const dep = word & 0x7fffffff
  const mapped = map(dep)
  if (mapped === dep) return f.payload
  const payload = Buffer.from(f.payload)
  payload.writeUInt32BE((word & 0x80000000) | mapped, at)
  return payload
}

/** Largest frame payload every peer accepts (SETTINGS_MAX_FRAME_SIZE's initial value, RFC 9113 §6.5.2). */
const MIN_MAX_FRAME_SIZE = 16_384

/**
 * A HEADERS payload with the profile's HPACK choices (hpack-style.ts). Only a whole header block
 * (END_HEADERS, no padding) is redone, and only while it still fits any peer's frame size.
 */
function restyle(payload: Buffer, f: Frame, styler: HeaderBlockStyler): Buffer {
  if (!styler.active || (f.type !== FrameType.HEADERS && f.type !== FrameType.CONTINUATION)) return payload
  if (f.type === FrameType.CONTINUATION || (f.flags & (Flag.END_HEADERS | Flag.PADDED)) !== Flag.END_HEADERS) {
    styler.skipped()
    return payload
  }
  const at = (f.flags & Flag.PRIORITY) !== 0 ? 5 : 0
  const block = payload.subarray(at)
  const styled = styler.restyle(block)
  if (styled === block || at + styled.length > MIN_MAX_FRAME_SIZE) return payload
  return at === 0 ? styled : Buffer.concat([payload.subarray(0, at), styled])
}

/** Client -> server: profile SETTINGS, shifted stream ids, stream WINDOW_UPDATEs. */
class Outbound implements FrameRewrite {
  #settingsDone = false
  #highestOpened = 0
  #openingWithContinuation = -1
  readonly #styler: HeaderBlockStyler

  constructor(
    private readonly fp: Http2Fingerprint,
    private readonly offset: number,
  ) {
    this.#styler = new HeaderBlockStyler(fp.hpack)
  }

  #map = (id: number): number => (id % 2 === 1 ? id + this.offset : id)

  dataStreamId(id: number): number {
    return this.#map(id)
  }

  frame(f: Frame): Buffer[] {
    if (f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) === 0 && !this.#settingsDone) {
      this.#settingsDone = true
      return [settingsFrame(this.fp.settings)]
    }
    const id = this.#map(f.streamId)
    const out = [encodeFrame(f.type, f.flags, id, restyle(mapDependency(f, this.#map), f, this.#styler))]
    const inc = this.fp.streamWindowIncrement
    if (f.type === FrameType.HEADERS && f.streamId % 2 === 1 && f.streamId > this.#highestOpened) {
      this.#highestOpened = f.streamId
      if ((f.flags & Flag.END_HEADERS) !== 0) {
        if (inc > 0) out.push(windowUpdateFrame(id, inc))
      } else this.#openingWithContinuation = f.streamId
    } else if (
      f.type === FrameType.CONTINUATION &&
      f.streamId === this.#openingWithContinuation &&
      (f.flags & Flag.END_HEADERS) !== 0
    ) {
      this.#openingWithContinuation = -1
      if (inc > 0) out.push(windowUpdateFrame(id, inc))
    }
    return out
  }
}

/** Server -> client: stream ids shifted back; frames on never-opened skipped ids dropped. */
class Inbound implements FrameRewrite {
  constructor(
    private readonly first: number,
    private readonly offset: number,
  ) {}

  #map = (id: number): number | null => {
    if (id === 0 || id % 2 === 0) return id
    return id < this.first ? null : id - this.offset
  }

  dataStreamId(id: number): number | null {
    return this.#map(id)
  }

  frame(f: Frame): Buffer[] {
    const id = this.#map(f.streamId)
    if (id === null) return []
    let payload = mapDependency(f, (dep) => this.#map(dep) ?? 0)
    if (f.type === FrameType.GOAWAY && payload.length >= 4) {
      // RFC 9113 §6.8: the last client-initiated stream the server processed.
      const last = payload.readUInt32BE(0) & 0x7fffffff
      payload = Buffer.from(payload)
      payload.writeUInt32BE(last < this.first ? 0 : last - this.offset, 0)
    }
    return [encodeFrame(f.type, f.flags, id, payload)]
  }
}

/** The local SETTINGS node:http2 must hold for the wire SETTINGS of `fp` (see the file comment). */
export function localHttp2Settings(fp: Http2Fingerprint): import('node:http2').Settings {
  const s: import('node:http2').Settings = {}
  for (const { id, value } of fp.settings) {
    switch (id) {
      case 1:
        s.headerTableSize = value
        break
      case 2:
        s.enablePush = value !== 0
        break
      case 3:
        s.maxConcurrentStreams = value
        break
      case 4:
        s.initialWindowSize = Math.min(value + fp.streamWindowIncrement, 0x7fffffff)
        break
      case 5:
        s.maxFrameSize = value
        break
      case 6:
        s.maxHeaderListSize = value
        break
    }
  }
  return s
}

/** What the owner of an H2Shaper hears about the server's side of the connection. */
export interface H2ShaperWatch extends FrameWatch {
  /**
   * The socket ended (close_notify, FIN, reset, close): called a turn of the event loop later,
   * every byte before the end having been pushed to node:http2 and seen by the frame watch. With
   * this callback the shaper does not pass that end on: once its socket ends, node:http2 tears
   * down every stream of the session, read or not (its socket wrapper shuts down and closes, and
   * the session's close destroys each stream), so the owner decides when the session goes.
   * Without it, node:http2 reads the end of stream after the bytes.
   */
  peerEnd?(): void
}

export class H2Shaper extends Duplex {
  readonly encrypted = true
  readonly alpnProtocol = 'h2'
  readonly #socket: SocketLike
  readonly #out: FrameSplitter
  readonly #in: FrameSplitter | null
  readonly #watcher: FrameWatcher | null
  readonly #peerEnd: (() => void) | undefined
  #paused = false

  /**
   * @param socket the TLS socket (ALPN h2 negotiated), not yet read by anyone else
   * @param fp the profile's HTTP/2 fingerprint
   * @param watch what to report as the server's frames arrive, before node:http2 reads them
   *   (node:http2-side stream ids), and the socket's end (H2ShaperWatch.peerEnd)
   */
  constructor(socket: SocketLike, fp: Http2Fingerprint, watch: H2ShaperWatch = {}) {
    super({ allowHalfOpen: true })
    this.#socket = socket
    const offset = fp.firstStreamId - 1
    this.#out = new FrameSplitter(new Outbound(fp, offset), CLIENT_PREFACE.length)
    this.#in = offset === 0 ? null : new FrameSplitter(new Inbound(fp.firstStreamId, offset))
    this.#watcher = watch.endStream === undefined && watch.goaway === undefined ? null : new FrameWatcher(watch)
    this.#peerEnd = watch.peerEnd
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    // However the socket ends, node:http2 reads what already arrived first. The socket's error
    // is for the owner to report.
    socket.on('end', () => this.#eof())
    socket.on('error', () => this.#eof())
    socket.on('close', () => this.#eof())
  }

  #eofSeen = false

  /** The socket ended (once): tells the owner, or pushes the end of stream after the bytes already pushed. */
  #eof(): void {
    if (this.#eofSeen || this.destroyed) return
    this.#eofSeen = true
    const peerEnd = this.#peerEnd
    if (peerEnd === undefined) this.push(null)
    // node:http2 emits what it read on the next ticks ('response', 'trailers'): after them.
    else setImmediate(peerEnd)
  }

  #onData(chunk: Buffer): void {
    let parts: Buffer[]
    try {
      parts = this.#in === null ? [chunk] : this.#in.push(chunk)
    } catch (err) {
      this.destroy(err as Error)
      return
    }
    for (const p of parts) {
      this.#watcher?.push(p)
      if (!this.push(p) && !this.#paused) {
        this.#paused = true
        this.#socket.pause()
      }
    }
  }

  override _read(): void {
    if (this.#paused) {
      this.#paused = false
      this.#socket.resume()
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    let parts: Buffer[]
    try {
      parts = this.#out.push(chunk)
    } catch (err) {
      cb(err as Error)
      return
    }
    if (parts.length === 0 || this.#socket.destroyed) {
      cb()
      return
    }
    this.#socket.write(parts.length === 1 ? parts[0] : Buffer.concat(parts), (err) => cb(err ?? null))
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this._write(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), 'binary', cb)
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#socket.end()
    cb()
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#socket.destroy()
    cb(err)
  }

  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress
  }
  get remotePort(): number | undefined {
    return this.#socket.remotePort
  }
  get remoteFamily(): string | undefined {
    return this.#socket.remoteFamily
  }
  get localAddress(): string | undefined {
    return this.#socket.localAddress
  }
  get localPort(): number | undefined {
    return this.#socket.localPort
  }
  ref(): this {
    this.#socket.ref?.()
    return this
  }
  unref(): this {
    this.#socket.unref?.()
    return this
  }
  setNoDelay(noDelay = true): this {
    this.#socket.setNoDelay?.(noDelay)
    return this
  }
  setKeepAlive(enable = false, delay = 0): this {
    this.#socket.setKeepAlive?.(enable, delay)
    return this
  }
  setTimeout(ms: number, cb?: () => void): this {
    this.#socket.setTimeout?.(ms, cb)
    return this
  }
}
