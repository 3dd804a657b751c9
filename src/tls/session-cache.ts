/**
 * Session tickets received in NewSessionTicket (RFC 8446 §4.6.1), kept per (host, profile) for a
 * later resumption, each for at most its ticket_lifetime. Tickets are single-use (RFC 8446 §C.4).
 */
import type { CipherSuite13 } from './crypto/cipher-suites.js'
import { ticketPsk } from './crypto/key-schedule.js'
import type { HandshakeResult } from './handshake/client13.js'
import type { NewSessionTicket } from './messages/simple.js'

export interface StoredTicket {
  readonly ticket: Buffer
  /** The resumption PSK derived from resumption_master_secret and the ticket nonce. */
  readonly psk: Buffer
  readonly ageAdd: number
  /** ms since the epoch */
  readonly receivedAt: number
  /** ms */
  readonly lifetimeMs: number
  readonly cipherSuite: CipherSuite13
  readonly alpn: string | undefined
  readonly maxEarlyData: number | undefined
}

export interface SessionTicketStoreOptions {
  /** Tickets kept per key (oldest dropped first); default 4. */
  readonly maxPerKey?: number
  /** Keys kept (least recently stored dropped first); default 1000. */
  readonly maxKeys?: number
  /** Clock in ms, for tests. */
  readonly now?: () => number
}

export class SessionTicketStore {
  private readonly entries = new Map<string, StoredTicket[]>()
  private readonly maxPerKey: number
  private readonly maxKeys: number
  private readonly now: () => number

  constructor(options: SessionTicketStoreOptions = {}) {
    this.maxPerKey = options.maxPerKey ?? 4
    this.maxKeys = options.maxKeys ?? 1000
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
    const list = this.entries.get(key) ?? []
    this.entries.delete(key)
    list.push(stored)
    while (list.length > this.maxPerKey) list.shift()
    this.entries.set(key, list)
    while (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value!)
  }

  /** Removes and returns the newest unexpired ticket for `key`. */
  take(key: string): StoredTicket | undefined {
    const list = this.entries.get(key)
    if (!list) return undefined
    const now = this.now()
    let t: StoredTicket | undefined
    while ((t = list.pop())) {
      if (now - t.receivedAt < t.lifetimeMs) break
    }
    if (list.length === 0) this.entries.delete(key)
    return t
  }

  /** Unexpired tickets held for `key`. */
  count(key: string): number {
    const now = this.now()
    return (this.entries.get(key) ?? []).filter((t) => now - t.receivedAt < t.lifetimeMs).length
  }
}
