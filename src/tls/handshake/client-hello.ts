/**
 * The ClientHello this connection sends (RFC 8446 §4.1.2), first and after a HelloRetryRequest
 * (§4.1.4): key shares, which ticket to offer (a TLS 1.3 PSK or a TLS 1.2 session_ticket) and the
 * PSK binder (§4.2.11.2). The bytes come from the profile's plan through `encodeClientHello`, the
 * one encoder, so every path sends the browser's hello.
 */
import { encodeClientHello } from '../../fingerprint/encode.js'
import type { CipherSuite13 } from '../crypto/cipher-suites.js'
import { generateKeyShares, type KeyShare } from '../crypto/key-exchange.js'
import type { ClientHandshakeOptions, HandshakeContext, StoredTicket, StoredTicket12 } from './context.js'
import { pskOffer, writeBinder } from './psk.js'

/** What a ClientHello offered, for checking the server's answer. */
export interface HelloOffer {
  readonly keyShares: readonly KeyShare[]
  /** The TLS 1.3 ticket offered as a PSK, if any. */
  readonly psk: StoredTicket | undefined
}

/** What changes in ClientHello2 (RFC 8446 §4.1.2): the suite the HelloRetryRequest fixed, its cookie. */
export interface HelloRetry {
  readonly suite: CipherSuite13
  readonly cookie: Buffer | undefined
}

/** One key share per group the profile sends a share for (RFC 8446 §4.2.8), or for `groups` after a retry. */
export function keySharesFor(options: ClientHandshakeOptions, groups?: readonly number[]): KeyShare[] {
  const backend = options.mlKemBackend ? { mlKemBackend: options.mlKemBackend } : {}
  if (groups) return generateKeyShares(groups, backend)
  const plan = options.plan
  return generateKeyShares(plan.keyShareGroups, { reuseX25519InHybrid: plan.spec.reuseX25519InHybrid, ...backend })
}

/** Encodes ClientHello1, or ClientHello2 with `retry`, writes its binder, adds it to the transcript and sends it. */
export function sendClientHello(cx: HandshakeContext, keyShares: readonly KeyShare[], retry?: HelloRetry): HelloOffer {
  const { options, transcript } = cx
  const psk = ticketToOffer(options, retry?.suite)
  const ticket12 = tls12TicketToOffer(options, cx.sessionId)
  const encoded = encodeClientHello(options.plan, {
    random: cx.clientRandom,
    sessionId: cx.sessionId,
    serverName: options.serverName,
    keyShares: keyShares.map((k) => ({ group: k.group, keyExchange: k.publicKey })),
    ...(options.alpn ? { alpn: options.alpn } : {}),
    ...(psk ? { psk: pskOffer(psk) } : {}),
    ...(ticket12 ? { sessionTicket: ticket12.ticket } : {}),
    ...(retry ? { retry: true } : {}),
    ...(retry?.cookie ? { cookie: retry.cookie } : {}),
  })
  if (psk && encoded.bindersOffset !== undefined) {
    writeBinder(encoded.message, encoded.bindersOffset, psk, (partial) =>
      transcript.digestWith(partial, psk.cipherSuite.hash),
    )
  }
  cx.send(encoded.message)
  return { keyShares, psk }
}

/** RFC 8446 §4.1.4: after a HelloRetryRequest, only a PSK whose hash matches the selected suite may be offered. */
function ticketToOffer(
  options: ClientHandshakeOptions,
  retrySuite: CipherSuite13 | undefined,
): StoredTicket | undefined {
  const ticket = options.resumption
  if (!ticket) return undefined
  if (retrySuite && retrySuite.hash !== ticket.cipherSuite.hash) return undefined
  return ticket
}

/**
 * RFC 5077 §3.4: the TLS 1.2 ticket goes in session_ticket with a fresh random session id (this
 * connection's, `spec.sessionIdLength` bytes), only when no TLS 1.3 PSK is offered and the session id is not empty.
 * A session without extended master secret is never offered (RFC 7627 §5.3).
 */
export function tls12TicketToOffer(options: ClientHandshakeOptions, sessionId: Buffer): StoredTicket12 | undefined {
  const ticket = options.tls12Resumption
  if (!ticket || !ticket.extendedMasterSecret || options.resumption || sessionId.length === 0) return undefined
  return ticket
}
