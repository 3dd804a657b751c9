/**
 * Resumption PSK offers (RFC 8446 §4.2.11): the identity with its obfuscated ticket age, and the
 * binder over the ClientHello truncated before the binders list (§4.2.11.2).
 */
import { createHmac } from 'node:crypto'
import { KeySchedule13, hkdfExpandLabel, hashLength } from '../crypto/key-schedule.js'
import type { StoredTicket } from '../session-cache.js'

export interface PskOffer {
  readonly identities: ReadonlyArray<{ readonly identity: Uint8Array; readonly obfuscatedTicketAge: number }>
  readonly binderLengths: readonly number[]
}

/** The pre_shared_key identity for `ticket` at `now` (ms): ticket age + ticket_age_add mod 2^32. */
export function pskOffer(ticket: StoredTicket, now: number = Date.now()): PskOffer {
  const ageMs = Math.max(0, Math.floor(now - ticket.receivedAt))
  const obfuscatedTicketAge = (ageMs + ticket.ageAdd) >>> 0
  return {
    identities: [{ identity: ticket.ticket, obfuscatedTicketAge }],
    binderLengths: [hashLength(ticket.cipherSuite.hash)],
  }
}

/**
 * Writes the binder into `message` (in place): HMAC(finished_key(binder_key), Transcript-Hash(earlier messages ‖ message[0..bindersOffset])).
 * `transcriptHash(partial)` hashes the earlier transcript (message_hash and HelloRetryRequest after a retry) plus `partial`.
 */
export function writeBinder(
  message: Buffer,
  bindersOffset: number,
  ticket: StoredTicket,
  transcriptHash: (partial: Buffer) => Buffer,
): void {
  const hash = ticket.cipherSuite.hash
  const binderKey = new KeySchedule13(hash, ticket.psk).resumptionBinderKey()
  const finishedKey = hkdfExpandLabel(hash, binderKey, 'finished', Buffer.alloc(0), hashLength(hash))
  const binder = createHmac(hash, finishedKey)
    .update(transcriptHash(message.subarray(0, bindersOffset)))
    .digest()
  // binders list: u16 length, then one u8-length-prefixed binder.
  message[bindersOffset + 2] = binder.length
  binder.copy(message, bindersOffset + 3)
}
