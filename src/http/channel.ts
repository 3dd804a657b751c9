/**
 * HTTP/1.1 over one already-connected TLS socket: an undici `Client` pinned to that socket
 * (pipelining 1). The Client is created lazily on the first request, so a fresh socket can
 * also be lent out raw; once attached, the socket belongs to the Client until it closes.
 */
import type { Duplex } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { Client, type Dispatcher } from 'undici'
import type { HeaderTemplate } from '../fingerprint/http.js'
import { SocketError } from './errors.js'
import { withFields } from '../util/with-fields.js'
import { headerPairs, mergedFlatHeaders, withoutFetchDefaults } from './headers.js'
import { defaultsHead, headLayout, rewriteHeadsOn, type HeadForm, type HeadLayout } from './h1-head.js'
import type { PooledChannel } from './pooled-channel.js'
import { wirePlanOf } from './request-headers.js'

export interface HttpChannelOptions {
  /** Origin the Client speaks for, `https://host[:port]`; gives the Host header. */
  origin: string
  /** Close the socket after this long without a request (ms); a server's Keep-Alive hint may shorten it. */
  keepAliveTimeoutMs: number
  /** Deadline for the response headers (ms). Default 300 000 (undici's). */
  headersTimeoutMs?: number
  /** Deadline between two body chunks (ms). Default 300 000 (undici's). */
  bodyTimeoutMs?: number
  /**
   * The profile's default HTTP/1.1 headers, merged into every request that carries no plan of its
   * own (see mergeDefaultHeaders and request-headers.ts). When the template places `Host` and
   * `Connection`, the request head is laid out like the browser's (src/http/h1-head.ts).
   */
  defaultHeaders?: HeaderTemplate
}

/** Error given to undici when it asks for a second transport: a pinned Client never reconnects (the request was not sent). */
function channelClosed(): SocketError {
  return new SocketError('the pooled connection is closed; the request was not sent', { unprocessed: true })
}

export class HttpChannel implements PooledChannel {
  readonly socket: Duplex
  readonly protocol = 'http/1.1' as const
  readonly multiplexed = false
  readonly maxStreams = 1
  #client: Client | null = null
  #dispatcher: Dispatcher | null = null
  #options: HttpChannelOptions
  #handedOut = false
  #stopRewriting: (() => void) | null = null
  /** Head form of the request being sent (one at a time: pipelining 1). */
  #form: HeadForm | undefined
  readonly #defaultLayout: HeadLayout | undefined
  readonly #onDead: () => void
  /** Whether the idle watch (watchUnattached) is on. */
  #watching = true

  /**
   * @param socket a connected TLS socket (TlsSocket or node:tls TLSSocket); `onDead` is called
   *   once if the peer ends or breaks it while no Client reads it (an idle, never-used socket).
   */
  constructor(socket: Duplex, options: HttpChannelOptions, onDead: () => void) {
    this.socket = socket
    this.#options = options
    this.#onDead = onDead
    watchUnattached(socket, onDead)
    this.#defaultLayout = options.defaultHeaders && sharedLayout(options.defaultHeaders)
  }

  /** Stops watching the socket while its borrower reads and writes it raw. */
  lend(): void {
    if (this.#client !== null) throw new Error('a socket owned by an HTTP client cannot be lent out raw')
    this.#unwatch()
  }

  /** Watches the socket again after a raw loan. */
  unlend(): void {
    if (this.#client === null && !this.#watching && this.alive) {
      this.#watching = true
      watchUnattached(this.socket, this.#onDead)
    }
  }

  #unwatch(): void {
    if (!this.#watching) return
    this.#watching = false
    unwatch(this.socket)
  }

  /** Whether an undici Client owns the socket (then it can no longer be lent out raw). */
  get attached(): boolean {
    return this.#client !== null
  }

  /** Whether the socket can still carry a request. O(1). */
  get alive(): boolean {
    const s = this.socket
    return !s.destroyed && s.writable && !s.readableEnded && !s.writableEnded
  }

  /**
   * The Client pinned to this socket, created on first use; each request's fields are merged with
   * its plan's HTTP/1.1 template (or the channel's default one) and its head laid out to match. A
   * request without fields of its own goes to undici without fields: the template's defaults are
   * written into its head (h1-head.ts `DefaultsHead`), the same lines undici would write.
   */
  get client(): Dispatcher {
    if (this.#dispatcher === null) {
      const fallback = this.#options.defaultHeaders
      this.#dispatcher = this.#undiciClient().compose((dispatch) => (opts, handler) => {
        const plan = wirePlanOf(opts)
        const template = plan?.h1 ?? fallback
        const layout = plan !== undefined ? plan.layout : this.#defaultLayout
        this.#form = layout
        if (template === undefined || template.length === 0) return dispatch(opts, handler)
        const given = headerPairs(opts.headers)
        const caller = withoutFetchDefaults(given)
        if (caller.length === 0 && layout !== undefined && REQUEST_METHOD.test(String(opts.method))) {
          const head = defaultsHead(template, layout)
          if (head !== undefined) {
            this.#form = head
            return dispatch(given.length === 0 ? opts : withFields(opts, { headers: [] }), handler)
          }
        }
        return dispatch(withFields(opts, { headers: mergedFlatHeaders(caller, template) }), handler)
      })
    }
    return this.#dispatcher
  }

  #undiciClient(): Client {
    if (this.#client === null) {
      this.#unwatch()
      const socket = this.socket
      this.#client = new Client(this.#options.origin, {
        pipelining: 1,
        keepAliveTimeout: this.#options.keepAliveTimeoutMs,
        keepAliveMaxTimeout: Math.max(this.#options.keepAliveTimeoutMs, 1000),
        headersTimeout: this.#options.headersTimeoutMs ?? 300_000,
        bodyTimeout: this.#options.bodyTimeoutMs ?? 300_000,
        connect: (_opts, cb) => {
          // undici must get the answer asynchronously (as from net.connect): a synchronous
          // callback lands inside its resume loop and the request would never be written.
          queueMicrotask(() => {
            if (this.#handedOut || !this.alive) {
              cb(channelClosed(), null)
              return
            }
            this.#handedOut = true
            this.#stopRewriting = rewriteHeadsOn(socket, () => this.#form)
            // undici types the callback with net.Socket; any connected Duplex works in undici 7.
            cb(null, socket as unknown as TLSSocket)
          })
        },
      })
    }
    return this.#client
  }

  /**
   * Ends the connection: `end()` on the socket (TLS close_notify, RFC 8446 §6.1), then destroys
   * it if the peer has not closed within `graceMs`. Resolves when the socket has closed.
   */
  close(graceMs = 1000): Promise<void> {
    this.#unwatch()
    const socket = this.socket
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const done = (): void => {
        clearTimeout(timer)
        const client = this.#client
        if (client !== null && !client.destroyed) client.destroy().catch(() => {})
        resolve()
      }
      if (socket.destroyed) {
        queueMicrotask(done)
        return
      }
      socket.once('close', done)
      socket.on('error', noop)
      // The timer holds the event loop through the close_notify exchange (undici unrefs an idle
      // socket): a script that ends with `await pool.close()` must not exit before it settles.
      timer = setTimeout(() => socket.destroy(), graceMs)
      try {
        socket.end()
      } catch {
        socket.destroy()
      }
    })
  }

  /** Destroys the socket at once (no close_notify). */
  destroy(): void {
    this.#unwatch()
    this.socket.on('error', noop)
    this.socket.destroy()
    const client = this.#client
    if (client !== null && !client.destroyed) client.destroy().catch(() => {})
  }

  /** Marks the socket as taken over (HTTP upgrade): the channel no longer manages it. */
  detach(): void {
    this.#unwatch()
    this.#stopRewriting?.()
    this.#stopRewriting = null
  }
}

function noop(): void {}

/** A method whose head the rewrite recognises (h1-head.ts `isRequestHead`). */
const REQUEST_METHOD = /^[A-Z]+$/

/** Head layouts by template: the profile's templates live as long as the process, and so do their layouts. */
const layouts = new WeakMap<HeaderTemplate, HeadLayout | undefined>()

/** The layout of `template`, made once for every channel that uses it. */
function sharedLayout(template: HeaderTemplate): HeadLayout | undefined {
  if (layouts.has(template)) return layouts.get(template)
  const layout = headLayout(template)
  layouts.set(template, layout)
  return layout
}

/** The watched socket's `onDead`, until it was called or the watch stopped. */
const kOnDead = Symbol('hotconn.onDead')

type Watched = Duplex & { [kOnDead]?: (() => void) | undefined }

/**
 * While no Client reads the socket, notice the peer closing it (or sending anything, which an
 * HTTP/1.1 server never does unasked) and report it once through `onDead`. The listeners are
 * functions shared by every socket (an idle connection keeps no closures of its own); they find
 * the callback on the socket.
 */
function watchUnattached(socket: Duplex, onDead: () => void): void {
  ;(socket as Watched)[kOnDead] = onDead
  socket.on('readable', onIdleReadable)
  socket.on('end', onIdleEnd)
  socket.on('error', onIdleGone)
  socket.on('close', onIdleGone)
}

/** Stops watching `socket`. */
function unwatch(socket: Duplex): void {
  ;(socket as Watched)[kOnDead] = undefined
  socket.off('readable', onIdleReadable)
  socket.off('end', onIdleEnd)
  socket.off('error', onIdleGone)
  socket.off('close', onIdleGone)
  // undici adds its own 'error' listener on attach; until then errors must not crash the process.
  // Added once: a socket lent out and given back many times must not collect listeners.
  if (!socket.listeners('error').includes(noop)) socket.on('error', noop)
}

function reportDead(socket: Watched): void {
  const onDead = socket[kOnDead]
  if (onDead === undefined) return
  socket[kOnDead] = undefined
  onDead()
}

function onIdleReadable(this: Watched): void {
  // Data on an idle HTTP/1.1 connection means the peer broke the protocol (or sent a last
  // response before closing); the end of the stream is caught by 'end'.
  let got = false
  while (this.read() !== null) got = true
  if (!got) return
  this.destroy()
  reportDead(this)
}

function onIdleEnd(this: Watched): void {
  this.destroy()
  reportDead(this)
}

function onIdleGone(this: Watched): void {
  reportDead(this)
}
