/**
 * A fingerprinting server: listens on TCP (loopback by default), reads each client's first
 * flight up to the end of its ClientHello, computes JA3/JA4, reports it (event `capture`, async
 * iterator `captures()`), answers with a fatal TLS alert and closes. It never completes a handshake.
 *
 * Bounds: at most `maxBytes` (default 64 KiB) buffered per connection, `timeout` ms (default
 * 10 000) per connection, at most 1024 unconsumed captures kept for the iterator (oldest dropped).
 */
import { EventEmitter } from 'node:events'
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net'
import { InvalidArgumentError } from '../errors.js'
import { DecodeError } from '../util/bytes.js'
import { type ClientFingerprints, fingerprintClientHello } from './ja.js'
import { type ParsedClientHello, parseClientHello, readClientHelloRecords } from './parse.js'

export interface CaptureServerOptions {
  /** Address to listen on (default `127.0.0.1`). */
  host?: string
  /** TCP port (default 0: any free port; read it from `server.port`). */
  port?: number
  /** ms a client has to deliver its ClientHello (default 10 000). */
  timeout?: number
  /** Largest first flight accepted, in bytes (default 65 536). */
  maxBytes?: number
}

/** One client's ClientHello and its fingerprints. */
export interface Capture {
  readonly remoteAddress: string | undefined
  readonly remotePort: number | undefined
  readonly hello: ParsedClientHello
  readonly fingerprints: ClientFingerprints
  readonly serverName: string | undefined
  readonly alpn: readonly string[]
  /** The record bytes the ClientHello came in (headers included). */
  readonly records: Buffer
}

/** A connection that did not yield a ClientHello. */
export interface CaptureRejection {
  readonly remoteAddress: string | undefined
  readonly remotePort: number | undefined
  readonly reason: 'malformed' | 'too_large' | 'timeout' | 'closed'
  readonly message: string
}

/** RFC 8446 §6 AlertDescription values sent back. */
const ALERT_HANDSHAKE_FAILURE = 40
const ALERT_DECODE_ERROR = 50
const MAX_QUEUED = 1024
/** ms an answered connection may stay open for the client to read the alert and close. */
const LINGER_MS = 2_000

function alertRecord(description: number): Buffer {
  // RFC 8446 §5.1/§6: alert record, level fatal(2).
  return Buffer.from([21, 0x03, 0x03, 0x00, 0x02, 2, description])
}

export interface CaptureServer {
  on(event: 'capture', listener: (capture: Capture) => void): this
  on(event: 'reject', listener: (rejection: CaptureRejection) => void): this
  once(event: 'capture', listener: (capture: Capture) => void): this
  once(event: 'reject', listener: (rejection: CaptureRejection) => void): this
  off(event: 'capture', listener: (capture: Capture) => void): this
  off(event: 'reject', listener: (rejection: CaptureRejection) => void): this
}

export class CaptureServer extends EventEmitter {
  private readonly server: Server
  private readonly sockets = new Set<Socket>()
  private readonly answered = new WeakSet<Socket>()
  private readonly queue: Capture[] = []
  private readonly waiters: Array<(c: Capture | undefined) => void> = []
  private closed = false
  private readonly timeout: number
  private readonly maxBytes: number

  private constructor(options: Required<CaptureServerOptions>) {
    super()
    this.timeout = options.timeout
    this.maxBytes = options.maxBytes
    this.server = createServer((socket) => this.handle(socket))
  }

  /**
   * Starts a capture server.
   * @throws InvalidArgumentError for a bad port, timeout or maxBytes; rejects with the listen error
   *   (e.g. EADDRINUSE) when the address cannot be bound.
   */
  static async listen(options: CaptureServerOptions = {}): Promise<CaptureServer> {
    const host = options.host ?? '127.0.0.1'
    const port = options.port ?? 0
    const timeout = options.timeout ?? 10_000
    const maxBytes = options.maxBytes ?? 65_536
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new InvalidArgumentError(`port must be an integer in 0..65535, got ${port}`)
    if (!Number.isFinite(timeout) || timeout <= 0)
      throw new InvalidArgumentError(`timeout must be a positive number of ms, got ${timeout}`)
    if (!Number.isInteger(maxBytes) || maxBytes < 5)
      throw new InvalidArgumentError(`maxBytes must be an integer >= 5, got ${maxBytes}`)
    const s = new CaptureServer({ host, port, timeout, maxBytes })
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject)
      s.server.listen(port, host, () => {
        s.server.off('error', reject)
        resolve()
      })
    })
    return s
  }

  /** The bound address. */
  get address(): { host: string; port: number } {
    const a = this.server.address() as AddressInfo
    return { host: a.address, port: a.port }
  }

  get port(): number {
    return this.address.port
  }

  /**
   * Captures in arrival order, including those that arrived before iteration started (up to 1024);
   * ends when the server is closed.
   */
  async *captures(): AsyncGenerator<Capture, void, undefined> {
    for (;;) {
      const c = await this.nextCapture()
      if (c === undefined) return
      yield c
    }
  }

  /** The next capture, or `undefined` once the server is closed. */
  nextCapture(): Promise<Capture | undefined> {
    const c = this.queue.shift()
    if (c !== undefined) return Promise.resolve(c)
    if (this.closed) return Promise.resolve(undefined)
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /** Stops listening, destroys open connections, ends the iterators. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const w of this.waiters.splice(0)) w(undefined)
    // Connections still waiting for a ClientHello are cut; answered ones finish sending their alert
    // (they are destroyed by their own timeout if the client never closes).
    for (const s of this.sockets) if (!this.answered.has(s)) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private deliver(capture: Capture): void {
    const w = this.waiters.shift()
    if (w !== undefined) w(capture)
    else {
      this.queue.push(capture)
      if (this.queue.length > MAX_QUEUED) this.queue.shift()
    }
    this.emit('capture', capture)
  }

  private handle(socket: Socket): void {
    if (this.closed) {
      socket.destroy()
      return
    }
    this.sockets.add(socket)
    const remoteAddress = socket.remoteAddress
    const remotePort = socket.remotePort
    let buffered: Buffer[] = []
    let size = 0
    let done = false
    const finish = (alert: number): void => {
      done = true
      buffered = []
      this.answered.add(socket)
      socket.setTimeout(Math.min(this.timeout, LINGER_MS))
      // Half-close after the alert and keep draining until the client closes (or the timeout
      // fires), so unread bytes do not turn our close into a reset that could drop the alert.
      socket.end(alertRecord(alert))
    }
    const reject = (reason: CaptureRejection['reason'], message: string, alert: number | undefined): void => {
      this.emit('reject', { remoteAddress, remotePort, reason, message } satisfies CaptureRejection)
      if (alert === undefined) socket.destroy()
      else finish(alert)
    }
    socket.setTimeout(this.timeout, () => {
      if (!done) {
        done = true
        reject('timeout', `no complete ClientHello within ${this.timeout} ms`, undefined)
      } else socket.destroy()
    })
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      this.sockets.delete(socket)
      if (!done) {
        done = true
        this.emit('reject', {
          remoteAddress,
          remotePort,
          reason: 'closed',
          message: 'connection closed before a complete ClientHello',
        } satisfies CaptureRejection)
      }
    })
    socket.on('data', (chunk: Buffer) => {
      if (done) return
      size += chunk.length
      buffered.push(chunk)
      const data = Buffer.concat(buffered)
      buffered = [data]
      try {
        const rec = readClientHelloRecords(data)
        if (rec === undefined) {
          if (size > this.maxBytes)
            reject('too_large', `first flight exceeds ${this.maxBytes} bytes`, ALERT_HANDSHAKE_FAILURE)
          return
        }
        const records = data.subarray(0, rec.consumed)
        if (records.length > this.maxBytes) {
          reject(
            'too_large',
            `ClientHello records of ${records.length} bytes exceed ${this.maxBytes}`,
            ALERT_HANDSHAKE_FAILURE,
          )
          return
        }
        const hello = parseClientHello(records)
        finish(ALERT_HANDSHAKE_FAILURE)
        this.deliver({
          remoteAddress,
          remotePort,
          hello,
          fingerprints: fingerprintClientHello(hello),
          serverName: hello.serverName,
          alpn: hello.alpn ?? [],
          records: Buffer.from(records),
        })
      } catch (err) {
        const message = err instanceof DecodeError ? err.message : `unexpected: ${String(err)}`
        reject('malformed', message, ALERT_DECODE_ERROR)
      }
    })
  }
}
