/**
 * Which connection carried a request: the IP, the negotiated TLS parameters and whether the
 * connection had carried a request before.
 *
 * The pool's 'hotconn:pool:request' event names the IP but not the connection, and nothing ties
 * it to one `fetch()` call, so this reads undici's own diagnostics channel
 * 'undici:client:sendHeaders' ({ request, headers, socket }, published as a request's headers are
 * written) and attributes each event to the `track()` call whose async context wrote it
 * (AsyncLocalStorage). `socket` is the pooled TLS socket (hotconn's TlsSocket, whose `info`
 * holds the negotiated parameters, or a node:tls TLSSocket).
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import diagnostics from 'node:diagnostics_channel'

/** The connection a request went out on; null fields when unknown. */
export interface RequestConnectionInfo {
  /** Address dialed. */
  ip: string | null
  /** ALPN protocol, e.g. "http/1.1". */
  protocol: string | null
  /** "TLSv1.3" or "TLSv1.2". */
  tlsVersion: string | null
  /** IANA cipher suite name, e.g. "TLS_AES_128_GCM_SHA256". */
  cipher: string | null
  /** Key-exchange group, e.g. "X25519MLKEM768". */
  group: string | null
  /** Whether the connection had carried a request before this one. */
  reused: boolean | null
}

interface Store {
  info: RequestConnectionInfo | null
}

interface SocketLike {
  remoteAddress?: string
  alpnProtocol?: string | false | null
  info?: { version?: string; cipherSuite?: string; group?: string; alpn?: string | false }
  getProtocol?(): string | null
  getCipher?(): { standardName?: string; name?: string } | undefined
  getEphemeralKeyInfo?(): { name?: string } | object | null
}

const UNKNOWN: RequestConnectionInfo = {
  ip: null,
  protocol: null,
  tlsVersion: null,
  cipher: null,
  group: null,
  reused: null,
}

function describeSocket(socket: SocketLike, reused: boolean): RequestConnectionInfo {
  const info = socket.info
  const alpn = info?.alpn ?? socket.alpnProtocol
  const cipher = info?.cipherSuite ?? socket.getCipher?.()?.standardName ?? socket.getCipher?.()?.name
  const eph = socket.getEphemeralKeyInfo?.()
  const group = info?.group ?? (eph !== null && eph !== undefined && 'name' in eph ? eph.name : undefined)
  return {
    ip: socket.remoteAddress ?? null,
    protocol: typeof alpn === 'string' && alpn !== '' ? alpn : 'http/1.1',
    tlsVersion: info?.version ?? socket.getProtocol?.() ?? null,
    cipher: cipher ?? null,
    group: group ?? null,
    reused,
  }
}

/**
 * Attributes the connections of undici requests to the async calls that made them. Create one,
 * wrap each request in `track()`, and `dispose()` it when done.
 */
export class RequestTracker {
  readonly #als = new AsyncLocalStorage<Store>()
  /** Requests written per socket, to tell first use from reuse. */
  readonly #uses = new WeakMap<object, number>()
  readonly #onSendHeaders = (message: unknown): void => {
    const socket = (message as { socket?: SocketLike }).socket
    if (socket === undefined || socket === null) return
    const uses = this.#uses.get(socket) ?? 0
    this.#uses.set(socket, uses + 1)
    const store = this.#als.getStore()
    // A retried request (keep-alive race) is written twice: the last connection wins.
    if (store !== undefined) store.info = describeSocket(socket, uses > 0)
  }
  #disposed = false

  constructor() {
    diagnostics.subscribe('undici:client:sendHeaders', this.#onSendHeaders)
  }

  /**
   * Runs `fn` and settles with its outcome and the connection of the last request it wrote
   * (all fields null when it wrote none, e.g. a DNS or connect failure). Never rejects.
   */
  async track<T>(
    fn: () => Promise<T>,
  ): Promise<{ result: PromiseSettledResult<T>; connection: RequestConnectionInfo }> {
    const store: Store = { info: null }
    let result: PromiseSettledResult<T>
    try {
      result = { status: 'fulfilled', value: await this.#als.run(store, fn) }
    } catch (reason) {
      result = { status: 'rejected', reason }
    }
    return { result, connection: store.info ?? { ...UNKNOWN } }
  }

  /** Stops listening. Idempotent. */
  dispose(): void {
    if (this.#disposed) return
    this.#disposed = true
    diagnostics.unsubscribe('undici:client:sendHeaders', this.#onSendHeaders)
  }
}
