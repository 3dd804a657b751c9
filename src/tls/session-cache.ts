/**
 * Session tickets kept per (host, profile) for a later resumption, each for at most its lifetime:
 * TLS 1.3 NewSessionTickets (RFC 8446 §4.6.1), single-use (RFC 8446 §C.4), and TLS 1.2 tickets
 * (RFC 5077 §3.3) with their master secret, taken once (`take12`) or reused (`get12`) as the
 * profile's browser does. Only sessions with extended master secret are kept (RFC 7627 §5.3).
 */
import { InvalidArgumentError } from '../errors.js'
import { ticketPsk } from './crypto/key-schedule.js'
import type { HandshakeResult, StoredTicket, StoredTicket12, Tls12SessionTicket } from './handshake/context.js'
import type { NewSessionTicket } from './messages/simple.js'

export type { StoredTicket, StoredTicket12 } from './handshake/context.js'

/** RFC 8446 §4.6.1 caps TLS 1.3 ticket lifetimes at 7 days; hotconn applies the same cap to TLS 1.2 hints. */
const MAX_LIFETIME_S = 7 * 24 * 3600

export interface SessionTicketStoreOptions {
  /** Tickets kept per key (oldest dropped first); default 4. */
  readonly maxPerKey?: number
  /** Keys kept (least recently stored dropped first); default 1000. */
  readonly maxKeys?: number
  /** ms a TLS 1.2 ticket is kept when the server's lifetime hint is 0 (unspecified, RFC 5077 §3.3); default 7_200_000 (2 h). */
  readonly tls12DefaultLifetimeMs?: number
  /** Clock in ms, for tests. */
  readonly now?: () => number
}

interface Lived {
  readonly receivedAt: number
  readonly lifetimeMs: number
}

export class SessionTicketStore {
  private readonly entries = new Map<string, StoredTicket[]>()
  private readonly entries12 = new Map<string, StoredTicket12[]>()
  private readonly maxPerKey: number
  private readonly maxKeys: number
  private readonly tls12DefaultLifetimeMs: number
  private readonly now: () => number

  /** @throws InvalidArgumentError when a count or lifetime is not a positive number. */
  constructor(options: SessionTicketStoreOptions = {}) {
    this.maxPerKey = options.maxPerKey ?? 4
    this.maxKeys = options.maxKeys ?? 1000
    this.tls12DefaultLifetimeMs = options.tls12DefaultLifetimeMs ?? 7_200_000
    for (const [name, v] of [
      ['maxPerKey', this.maxPerKey],
      ['maxKeys', this.maxKeys],
      ['tls12DefaultLifetimeMs', this.tls12DefaultLifetimeMs],
    ] as const) {
      if (!Number.isFinite(v) || v <= 0)
        throw new InvalidArgumentError(`SessionTicketStore: ${name} must be a positive number, got ${String(v)}`)
    }
    this.now = options.now ?? Date.now
  }

  static key(host: string, profile: string): string {
    return `${host.toLowerCase()}|${profile}`
  }

  /** Stores a ticket from `handshake`'s connection under `key`. */
  add(key: string, ticket: NewSessionTicket, handshake: HandshakeResult): void {
    if (ticket.lifetime === 0) return
    const suite = handshake.cipherSuite
    const stored: StoredTicket = {
      ticket: ticket.ticket,
      psk: ticketPsk(suite.hash, handshake.resumptionMasterSecret, ticket.nonce),
      ageAdd: ticket.ageAdd,
      receivedAt: this.now(),
      lifetimeMs: ticket.lifetime * 1000,
      cipherSuite: suite,
      alpn: handshake.alpn,
      maxEarlyData: ticket.maxEarlyData,
    }
    this.push(this.entries, key, stored)
  }

  /** Removes and returns the newest unexpired TLS 1.3 ticket for `key`. */
  take(key: string): StoredTicket | undefined {
    return this.pop(this.entries, key)
  }

  /** Unexpired TLS 1.3 tickets held for `key`. */
  count(key: string): number {
    return this.live(this.entries, key)
  }

  /**
   * Stores a TLS 1.2 ticket (RFC 5077 §3.3) under `key`, kept for its lifetime hint (capped at 7 days;
   * `tls12DefaultLifetimeMs` when the hint is 0). Empty tickets are ignored.
   */
  add12(key: string, ticket: Tls12SessionTicket): void {
    if (ticket.ticket.length === 0) return
    const hintS = Math.min(ticket.lifetimeHint, MAX_LIFETIME_S)
    this.push(this.entries12, key, {
      ticket: ticket.ticket,
      masterSecret: ticket.masterSecret,
      cipherSuite: ticket.cipherSuite,
      extendedMasterSecret: ticket.extendedMasterSecret,
      receivedAt: this.now(),
      lifetimeMs: hintS > 0 ? hintS * 1000 : this.tls12DefaultLifetimeMs,
    })
  }

  /** Removes and returns the newest unexpired TLS 1.2 ticket for `key` (single use, Firefox ESR 153). */
  take12(key: string): StoredTicket12 | undefined {
    return this.pop(this.entries12, key)
  }

  /**
   * The newest unexpired TLS 1.2 ticket for `key`, left in the store for later connections (Chromium 156
   * reuses one ticket until it expires or the server issues a newer one). Expired ones are dropped.
   */
  get12(key: string): StoredTicket12 | undefined {
    const t = this.pop(this.entries12, key)
    if (t) this.push(this.entries12, key, t)
    return t
  }

  /** Removes `ticket` from `key`: the server declined it (full handshake), so it will not resume again. */
  discard12(key: string, ticket: StoredTicket12): void {
    const list = this.entries12.get(key)
    if (!list) return
    const i = list.indexOf(ticket)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) this.entries12.delete(key)
  }

  /** Unexpired TLS 1.2 tickets held for `key`. */
  count12(key: string): number {
    return this.live(this.entries12, key)
  }

  private push<T extends Lived>(map: Map<string, T[]>, key: string, stored: T): void {
    const list = map.get(key) ?? []
    map.delete(key)
    list.push(stored)
    while (list.length > this.maxPerKey) list.shift()
    map.set(key, list)
    while (map.size > this.maxKeys) map.delete(map.keys().next().value!)
  }

  private pop<T extends Lived>(map: Map<string, T[]>, key: string): T | undefined {
    const list = map.get(key)
    if (!list) return undefined
    const now = this.now()
    let t: T | undefined
    while ((t = list.pop())) {
      if (now - t.receivedAt < t.lifetimeMs) break
    }
    if (list.length === 0) map.delete(key)
    return t
  }

  private live<T extends Lived>(map: Map<string, T[]>, key: string): number {
    const now = this.now()
    return (map.get(key) ?? []).filter((t) => now - t.receivedAt < t.lifetimeMs).length
  }
}
