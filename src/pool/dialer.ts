/**
 * Dialer: opens connections (TLS handshake through the connector, then the HTTP channel ALPN
 * chose, and a jittered lifetime) and closes them. What happens to a new connection is the
 * caller's decision: `open` returns it still counted as connecting. Every freed slot (a failed
 * dial, a closed socket, an upgrade that took the socket) is reported through `slotFreed`.
 */
import type { Duplex } from 'node:stream'
import type { Config } from '../config/index.js'
import { getHttpProfile } from '../fingerprint/profiles/index.js'
import { getIdentity } from '../fingerprint/identity/table.js'
import { HttpChannel } from '../http/channel.js'
import { H2Channel } from '../http/h2-channel.js'
import { publish } from './events.js'
import type { Ledger } from './ledger.js'
import { LIFETIME_JITTER, type Connection, type IpEntry } from './model.js'
import type { Connector } from './options.js'
import { connectPlain } from './plain.js'

const now = (): number => performance.now()

/** An idle HTTP/1.1 socket that dies needs nothing from the channel: the dialer's 'close' listener drops it. */
function ignoreDead(): void {}

/** What the Dialer tells the pool (see PoolEvents). */
export interface DialerEvents {
  /** A dial to `ip` succeeded. */
  connected(ip: IpEntry): void
  /** A dial to `ip`, started at `startedAt` (performance.now() ms), failed with `err` (not when the pool is closing). */
  connectFailed(ip: IpEntry, err: Error, startedAt: number): void
  /** A connection of `ip` no longer holds a slot: why the pool closed it, 'peer', or null (failed dial, upgrade). */
  slotFreed(ip: IpEntry, reason: string | null): void
  /** A connection of `host` stopped taking new streams (HTTP/2 GOAWAY): waiting requests go elsewhere. */
  changed(ip: IpEntry): void
}

/** What the Borrower needs of a dialer (a fake one drives it in unit tests). */
export interface ConnectionDialer {
  /** Opens one connection to `ip`, counted as connecting in the Ledger; rejects with the connect error. */
  open(ip: IpEntry): Promise<Connection>
  /** Starts closing `conn` for `reason`; its slot is freed when the socket closes. */
  close(conn: Connection, reason: string): void
  /** Lets go of `conn`'s socket (an HTTP upgrade took it); frees its slot. */
  detach(conn: Connection): void
}

export class Dialer implements ConnectionDialer {
  readonly #config: Config
  readonly #connector: Connector
  readonly #ledger: Ledger
  readonly #events: DialerEvents
  readonly #aborts = new Set<AbortController>()

  constructor(config: Config, connector: Connector, ledger: Ledger, events: DialerEvents) {
    this.#config = config
    this.#connector = connector
    this.#ledger = ledger
    this.#events = events
  }

  /**
   * Opens one connection to `ip`, counted as connecting against every cap while the handshake
   * runs; resolves with it still connecting (the caller checks it in, out or closes it). Rejects
   * with the connector's error (the slot is freed first).
   */
  async open(ip: IpEntry): Promise<Connection> {
    const host = ip.host
    const conn = this.#ledger.add(ip)
    const ac = new AbortController()
    this.#aborts.add(ac)
    const started = now()
    let socket: Duplex
    try {
      const timeout = this.#config.pool.connectTimeoutMs
      socket = host.secure
        ? await this.#connector({
            host: host.hostname,
            ip: ip.address,
            port: host.port,
            servername: host.hostname,
            signal: ac.signal,
            timeout,
            profile: host.identity,
            egress: host.egress,
          })
        : await connectPlain({
            ip: ip.address,
            port: host.port,
            signal: ac.signal,
            timeout,
            egress: host.egress,
            userAgent: getIdentity(host.identity).userAgent,
          })
    } catch (err) {
      this.#aborts.delete(ac)
      this.#ledger.drop(conn)
      const error = err as Error
      const durationMs = now() - started
      publish('connect', { host: host.key, egress: host.egress.id, ip: ip.address, port: host.port, durationMs, error })
      if (!this.#ledger.closed) {
        ip.usage.failures++
        host.usage.failures++
        this.#events.connectFailed(ip, error, started)
      }
      this.#events.slotFreed(ip, null)
      throw err
    }
    this.#aborts.delete(ac)
    conn.channel = this.#channelFor(conn, socket)
    this.#watchClose(socket, conn)
    conn.connectedAt = Date.now()
    conn.openedAt = now()
    conn.expiresAt = conn.openedAt + this.#config.pool.maxLifetimeMs * (1 - Math.random() * LIFETIME_JITTER)
    ip.usage.handshakes++
    host.usage.handshakes++
    this.#events.connected(ip)
    publish('connect', {
      host: host.key,
      egress: host.egress.id,
      ip: ip.address,
      port: host.port,
      durationMs: now() - started,
    })
    return conn
  }

  /** Starts closing `conn` (HTTP/2 GOAWAY, TLS close_notify); its slot counts against the caps until the socket closes. */
  close(conn: Connection, reason: string): void {
    if (conn.state === 'closing' || conn.state === 'closed') return
    const ip = conn.entry
    conn.closeReason = reason
    this.#ledger.markClosing(conn)
    publish('close', {
      host: ip.host.key,
      egress: ip.host.egress.id,
      ip: ip.address,
      reason,
      ageMs: conn.connectedAt === 0 ? 0 : Date.now() - conn.connectedAt,
      requests: conn.requests,
    })
    if (conn.channel === null) {
      this.#ledger.drop(conn)
      this.#events.slotFreed(ip, reason)
      return
    }
    void conn.channel.close()
  }

  /** The socket of `conn` now belongs to an HTTP upgrade's consumer: the pool lets go of it. */
  detach(conn: Connection): void {
    conn.channel?.detach()
    this.#ledger.drop(conn)
    this.#events.slotFreed(conn.entry, null)
  }

  /** Aborts every handshake under way with `reason`. */
  abortAll(reason: Error): void {
    for (const ac of this.#aborts) ac.abort(reason)
  }

  /** Destroys every socket at once (no close_notify). */
  destroyAll(): void {
    for (const conn of this.#ledger.all()) conn.channel?.destroy()
  }

  /**
   * Calls #onSocketClose when `socket` closes. Made outside `open()`, whose context the listener
   * would keep for the connection's life; `on`, not `once` (its wrapper costs more than the
   * listener, and #onSocketClose ignores a second call).
   */
  #watchClose(socket: Duplex, conn: Connection): void {
    socket.on('close', () => this.#onSocketClose(conn))
  }

  /** The socket closed (we closed it, or the peer did). An in-use connection is dropped now; its user's later requite is ignored. */
  #onSocketClose(conn: Connection): void {
    if (conn.state === 'closed') return
    const ip = conn.entry
    if (conn.state === 'idle' || conn.state === 'in_use') {
      publish('close', {
        host: ip.host.key,
        egress: ip.host.egress.id,
        ip: ip.address,
        reason: 'peer',
        ageMs: Date.now() - conn.connectedAt,
        requests: conn.requests,
      })
    }
    this.#ledger.drop(conn)
    conn.channel?.destroy()
    this.#events.slotFreed(ip, conn.closeReason ?? 'peer')
  }

  /**
   * Whether a new connection to `ip` may multiplex: HTTP/2 on and the IP not in its HTTP/2 fallback.
   * Either way the ClientHello offers the identity's ALPN (`h2`, `http/1.1`), as the browser's does.
   */
  #multiplexes(ip: IpEntry): boolean {
    return this.#config.http2.enabled && !(ip.h1Until > now())
  }

  /** The HTTP layer for a new connection, by the protocol ALPN chose. */
  #channelFor(conn: Connection, socket: Duplex): HttpChannel | H2Channel {
    const ip = conn.entry
    const origin = ip.host.secure ? `https://${ip.host.key}` : ip.host.key
    const { http2, pool } = this.#config
    const kind = http2.defaultHeaders
    const profile = getHttpProfile(ip.host.identity)
    const templates = kind === 'none' ? undefined : profile.headers[kind]
    const alpn = (socket as { alpnProtocol?: string | false }).alpnProtocol
    // A server that picks h2 gets h2 (RFC 7301 §3.2: the client speaks what was selected; the
    // browser would): with HTTP/2 off or on fallback, one stream at a time on the connection.
    const multiplex = this.#multiplexes(ip)
    ip.h2 = alpn === 'h2'
    ip.host.alpnKnown = true
    if (alpn !== 'h2') {
      return new HttpChannel(
        socket,
        { origin, keepAliveTimeoutMs: pool.idleTimeoutMs, defaultHeaders: templates?.h1 },
        ignoreDead,
      )
    }
    let failed = false
    return new H2Channel(socket, {
      origin,
      fingerprint: profile.http2,
      kind: kind === 'none' ? 'image' : kind,
      maxConcurrentStreams: multiplex ? http2.maxConcurrentStreams : 1,
      ...(templates ? { defaultHeaders: templates.h2 } : {}),
      onDrain: () => this.#onH2Drain(conn),
      onFailure: () => {
        if (failed) return
        failed = true
        this.#onH2Failure(ip)
      },
      onSuccess: () => {
        ip.h2Failures = 0
      },
    })
  }

  /** GOAWAY or the end of the session: no new stream; closes once its streams are done. */
  #onH2Drain(conn: Connection): void {
    conn.entry.shared.delete(conn)
    if (conn.state === 'idle') this.close(conn, 'goaway')
    else if (conn.state === 'in_use' && conn.streams === 0 && !conn.lentRaw) this.close(conn, 'goaway')
    if (!this.#ledger.closed) this.#events.changed(conn.entry)
  }

  /**
   * One more HTTP/2 failure in a row on `ip`; past http2.fallback_threshold, new connections to the
   * IP carry one stream at a time for fallback_ttl (the hello still offers h2: a server that speaks
   * HTTP/1.1 then gets HTTP/1.1, one that insists on h2 gets no multiplexing).
   */
  #onH2Failure(ip: IpEntry): void {
    const { fallbackThreshold, fallbackTtlMs } = this.#config.http2
    ip.h2Failures++
    if (ip.h2Failures < fallbackThreshold) return
    ip.h2Failures = 0
    ip.h1Until = now() + fallbackTtlMs
    publish('health', {
      host: ip.host.key,
      ip: ip.address,
      kind: 'check',
      ok: false,
      error: new Error(
        `HTTP/2 failed ${fallbackThreshold} times in a row; one stream per connection for ${fallbackTtlMs} ms`,
      ),
    })
  }
}
