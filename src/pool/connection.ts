/**
 * One pooled connection: a TLS socket to one (host, ip), its HTTP channel, and its state
 * (connecting -> idle <-> in_use -> closing -> closed).
 */
import type { Duplex } from 'node:stream'
import type { PooledChannel } from '../http/pooled-channel.js'
import type { IdleLinks } from './idle-stack.js'
import type { IpEntry } from './host.js'

export type ConnectionState = 'connecting' | 'idle' | 'in_use' | 'closing' | 'closed'

/** A connection lent out by `getConnection()`; give it back with `putConnection()`. */
export interface PooledConnection {
  readonly id: number
  /** Hostname (SNI and certificate name). */
  readonly host: string
  /** The address this connection is pinned to. */
  readonly ip: string
  readonly port: number
  /** The TLS socket (application data). Destroy it to have the pool drop the connection. */
  readonly socket: Duplex
  readonly state: ConnectionState
  /** Uses so far (requests or loans), this one included. */
  readonly requests: number
  /** Epoch ms the handshake finished. */
  readonly connectedAt: number
}

let nextId = 1

/** Share of max_lifetime a connection's lifetime is shortened by at most, so they do not all expire together. */
export const LIFETIME_JITTER = 0.025

export class Connection implements PooledConnection, IdleLinks<Connection> {
  readonly id = nextId++
  readonly entry: IpEntry
  /** 'closed' only until the manager counts it as connecting. */
  state: ConnectionState = 'closed'
  channel: PooledChannel | null = null
  requests = 0
  /** Requests running on it now (HTTP/2: open streams; HTTP/1.1 and raw loans: 0 or 1). */
  streams = 0
  connectedAt = 0
  /** performance.now() ms when the connection must be retired. */
  expiresAt = Infinity
  /** performance.now() ms of the last checkout. */
  lastUsedAt = 0
  /** Lent out raw through getConnection (the caller owns the socket until putConnection). */
  lentRaw = false
  idlePrev: Connection | null = null
  idleNext: Connection | null = null
  idleStack: object | null = null
  idleSince = 0

  constructor(entry: IpEntry) {
    this.entry = entry
  }

  get host(): string {
    return this.entry.host.hostname
  }
  get ip(): string {
    return this.entry.address
  }
  get port(): number {
    return this.entry.host.port
  }
  get socket(): Duplex {
    if (this.channel === null) throw new Error('connection is not connected yet')
    return this.channel.socket
  }
}
