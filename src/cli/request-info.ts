/**
 * Which connection carried a request: the IP, the negotiated TLS parameters and whether the
 * connection had carried a request before.
 *
 * Reads the pool's 'hotconn:pool:request' event (published once per attempt, on HTTP/1.1 and
 * HTTP/2 alike, in the async context of the `dispatch()` that started the request) and attributes
 * each event to the `track()` call whose async context made the request (AsyncLocalStorage).
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import diagnostics from 'node:diagnostics_channel'
import type { RequestEvent } from '../pool/events.js'

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

const UNKNOWN: RequestConnectionInfo = {
  ip: null,
  protocol: null,
  tlsVersion: null,
  cipher: null,
  group: null,
  reused: null,
}

function describe(event: RequestEvent): RequestConnectionInfo {
  const tls = event.tls
  return {
    ip: event.ip,
    protocol: typeof tls?.alpn === 'string' && tls.alpn !== '' ? tls.alpn : event.protocol,
    tlsVersion: tls?.version ?? null,
    cipher: tls?.cipherSuite ?? null,
    group: tls?.group ?? null,
    reused: event.reused,
  }
}

/**
 * Attributes the connections of undici requests to the async calls that made them. Create one,
 * wrap each request in `track()`, and `dispose()` it when done.
 */
export class RequestTracker {
  readonly #als = new AsyncLocalStorage<Store>()
  readonly #onRequest = (message: unknown): void => {
    const store = this.#als.getStore()
    // A retried request (keep-alive race) is published per attempt: the last connection wins.
    if (store !== undefined) store.info = describe(message as RequestEvent)
  }
  #disposed = false

  constructor() {
    diagnostics.subscribe('hotconn:pool:request', this.#onRequest)
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
    diagnostics.unsubscribe('hotconn:pool:request', this.#onRequest)
  }
}
