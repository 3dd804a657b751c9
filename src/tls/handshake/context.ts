/**
 * Types shared by the client handshake and its TLS 1.3 and TLS 1.2 state sets (types only): what
 * the handshake needs from its connection, its options, what it learns, and the proof values that
 * make a skipped check a compile error (rustls' `ServerCertVerified` idea, as branded types).
 */
import type { ClientHelloPlan } from '../../fingerprint/spec.js'
import type { CipherSuite13 } from '../crypto/cipher-suites.js'
import type { CipherSuite12 } from '../crypto/cipher-suites12.js'
import type { RecordProtector } from '../record/record-protector.js'
import type { Transcript } from './transcript.js'

declare const alignedBrand: unique symbol
declare const verifiedChainBrand: unique symbol
declare const signatureVerifiedBrand: unique symbol

/**
 * Proof that no partial handshake message is buffered, so the read keys may change (RFC 8446 §5.1,
 * RFC 5246 §7.1). Only `HandshakeReader.aligned()` makes one.
 */
export type Aligned = { readonly [alignedBrand]: true }

/**
 * The server's chain (end-entity first) after the chain verifier accepted it for the host, or after
 * the caller chose `insecure`. Only `verifyServerChain()` (chain.ts) makes one.
 */
export type VerifiedChain = readonly [leaf: Buffer, ...issuers: Buffer[]] & { readonly [verifiedChainBrand]: true }

/** Proof that the server's signature over the handshake verified with the leaf of a `VerifiedChain`. */
export type SignatureVerified = { readonly scheme: number; readonly [signatureVerifiedBrand]: true }

/** A TLS 1.3 ticket held for resumption, with the PSK it resumes (RFC 8446 §4.6.1, §4.2.11). */
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

/** A TLS 1.2 ticket (RFC 5077) and the session state an abbreviated handshake resumes. */
export interface StoredTicket12 {
  /** Opaque ticket, sent back in the session_ticket extension (RFC 5077 §3.4). */
  readonly ticket: Buffer
  /** 48 bytes (RFC 5246 §8.1). */
  readonly masterSecret: Buffer
  /** The server must resume with this suite (RFC 5246 §7.4.1.3). */
  readonly cipherSuite: CipherSuite12
  /** Whether the original session used the extended master secret (RFC 7627 §5.3). */
  readonly extendedMasterSecret: boolean
  /** ms since the epoch */
  readonly receivedAt: number
  /** ms: the server's ticket_lifetime_hint, or `tls12DefaultLifetimeMs` when the hint is 0 (unspecified). */
  readonly lifetimeMs: number
}

/** Verifies the server's chain for `host`; throws TlsCertificateError. May be async. */
export type ChainVerifier = (chain: readonly Buffer[], host: string) => void | Promise<void>

export interface ClientHandshakeOptions {
  readonly plan: ClientHelloPlan
  /** SNI host_name (undefined: none). */
  readonly serverName: string | undefined
  /** Hostname the certificate must match. */
  readonly host: string
  /** undefined skips verification (insecure). */
  readonly verifyChain: ChainVerifier | undefined
  readonly alpn?: readonly string[]
  readonly mlKemBackend?: 'node:crypto' | '@noble/post-quantum'
  /** A stored ticket to offer as a resumption PSK (RFC 8446 §4.2.11, psk_dhe_ke). */
  readonly resumption?: StoredTicket
  /**
   * A stored TLS 1.2 ticket to send in session_ticket (RFC 5077 §3.4) when no PSK is offered; the
   * server resumes it by echoing the ClientHello's legacy_session_id. Needs a profile whose
   * session id is not empty. A server that answers TLS 1.3 leaves it unused.
   */
  readonly tls12Resumption?: StoredTicket12
}

/** What the handshake needs from the connection it runs on: send, install keys, log secrets. */
export interface HandshakeIo {
  /** Writes a handshake message under the current write keys (plaintext before any are installed). */
  sendHandshake(message: Buffer): void
  /** Writes a change_cipher_spec record (RFC 5246 §7.1; in TLS 1.3 the compatibility one, RFC 8446 §D.4). */
  sendChangeCipherSpec(): void
  /** TLS 1.2 after the handshake: the no_renegotiation warning that refuses a HelloRequest (RFC 5746 §4.2). */
  refuseRenegotiation(): void
  /** @throws TlsProtocolError (unexpected_message) naming `what` when a partial handshake message is buffered. */
  aligned(what: string): Aligned
  setReadKeys(suite: CipherSuite13, secret: Buffer, aligned: Aligned): void
  setWriteKeys(suite: CipherSuite13, secret: Buffer): void
  /** TLS 1.2: protects every record read from now on (right after the server's ChangeCipherSpec, RFC 5246 §7.1). */
  setReadProtection(protection: RecordProtector, aligned: Aligned): void
  /** TLS 1.2: protects every record written from now on (right after our ChangeCipherSpec, RFC 5246 §7.1). */
  setWriteProtection(protection: RecordProtector): void
  /** NSS key log line (SSLKEYLOGFILE) for `label`, with the ClientHello random of this connection. */
  logSecret(label: string, secret: Buffer): void
}

/** What every state handler of either version reads: the connection, the options and this handshake's constants. */
export interface HandshakeContext {
  readonly io: HandshakeIo
  readonly options: ClientHandshakeOptions
  readonly transcript: Transcript
  readonly clientRandom: Buffer
  /** legacy_session_id of the ClientHello (`spec.sessionIdLength` random bytes). */
  readonly sessionId: Buffer
  /** Adds a message we send to the transcript and writes it. */
  send(message: Buffer): void
}

/** What a TLS 1.3 handshake learned, for TlsSocket.info. */
export interface HandshakeResult {
  readonly version: 'TLSv1.3'
  readonly cipherSuite: CipherSuite13
  readonly group: number
  readonly alpn: string | undefined
  readonly helloRetry: boolean
  readonly peerCertificates: readonly Buffer[]
  readonly recordSizeLimit: number | undefined
  /** 0 when resumed (no CertificateVerify). */
  readonly signatureScheme: number
  readonly resumptionMasterSecret: Buffer
  /** The server accepted the offered PSK: no certificate was sent or verified in this handshake. */
  readonly resumed: boolean
}

/** A TLS 1.2 session ticket (RFC 5077) with what a later resumption needs. */
export interface Tls12SessionTicket {
  readonly ticket: Buffer
  /** seconds; 0 = unspecified (RFC 5077 §3.3) */
  readonly lifetimeHint: number
  readonly masterSecret: Buffer
  readonly cipherSuite: CipherSuite12
  readonly extendedMasterSecret: boolean
  /** ms since the epoch */
  readonly receivedAt: number
}

/** What a TLS 1.2 handshake learned, for TlsSocket.info. */
export interface HandshakeResult12 {
  readonly version: 'TLSv1.2'
  readonly cipherSuite: CipherSuite12
  /** ECDHE group; 0 for RSA key transport and for a resumed session. */
  readonly group: number
  readonly alpn: string | undefined
  readonly helloRetry: false
  /** The server resumed the offered ticket (abbreviated handshake): no certificate was sent or verified. */
  readonly resumed: boolean
  /** Empty when resumed. */
  readonly peerCertificates: readonly Buffer[]
  /** record_size_limit the server sent (RFC 8449): its largest plaintext in TLS 1.2. */
  readonly recordSizeLimit: number | undefined
  /** Scheme of the ServerKeyExchange signature; 0 for RSA key transport and for a resumed session. */
  readonly signatureScheme: number
  readonly extendedMasterSecret: boolean
  /**
   * The ticket the server issued in this handshake, if any (RFC 5077 §3.3; empty tickets are dropped).
   * In an abbreviated handshake it resumes the same master secret as the ticket that was used.
   */
  readonly sessionTicket: Tls12SessionTicket | undefined
}

/** The result of either version's handshake. */
export type HandshakeOutcome = HandshakeResult | HandshakeResult12
