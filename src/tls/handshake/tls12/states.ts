/**
 * The TLS 1.2 client states after ServerHello (RFC 5246 §7.3 Figures 1 and 2, RFC 5077 §3.1),
 * named by the message each expects next. CertificateStatus (RFC 6066 §8) and the server's
 * ChangeCipherSpec (RFC 5246 §7.1) are states of their own; each state carries what the rest needs.
 */
import type { X509Certificate } from 'node:crypto'
import type { NewSessionTicket12 } from '../../messages/tls12.js'
import type { RecordProtector } from '../../record/record-protector.js'
import type { HandshakeResult12, SignatureVerified, VerifiedChain } from '../context.js'
import type { ServerHello12Agreement } from './agreement.js'

/** What the ServerHello fixed. */
export interface Session12 {
  readonly agreed: ServerHello12Agreement
  readonly serverRandom: Buffer
}

/** The verified chain and its parsed leaf, whose key fits the suite (RFC 8422 §5.3, RFC 5246 §7.4.2). */
export interface Server12 {
  readonly session: Session12
  readonly chain: VerifiedChain
  readonly leaf: X509Certificate
}

/** ECDHE parameters from a signed ServerKeyExchange (RFC 8422 §5.4), or RSA key transport (RFC 5246 §7.4.7.1). */
export type KeyExchange12 =
  | {
      readonly kind: 'ecdhe'
      readonly group: number
      readonly serverPublic: Buffer
      readonly signature: SignatureVerified
    }
  | { readonly kind: 'rsa' }

/** How the server is authenticated: a full handshake, or the resumed ticket's master secret (abbreviated). */
export type Auth12 =
  | { readonly kind: 'full'; readonly chain: VerifiedChain; readonly kx: KeyExchange12 }
  /** Abbreviated: the client's ChangeCipherSpec and Finished follow the server's, under `clientProtection`. */
  | { readonly kind: 'abbreviated'; readonly clientProtection: RecordProtector }

/** Once the master secret is known (RFC 5246 §8.1). */
export interface Keys12 {
  readonly session: Session12
  readonly master: Buffer
  readonly serverProtection: RecordProtector
  readonly auth: Auth12
}

interface V12 {
  readonly version: 'TLSv1.2'
}

export interface ExpectCertificate extends V12 {
  readonly name: 'ExpectCertificate'
  readonly session: Session12
}

/** The server acknowledged status_request, so a CertificateStatus may come (RFC 6066 §8); it is optional. */
export interface ExpectCertificateStatus extends V12, Server12 {
  readonly name: 'ExpectCertificateStatus'
}

export interface ExpectServerKeyExchange extends V12, Server12 {
  readonly name: 'ExpectServerKeyExchange'
}

export interface ExpectCertificateRequestOrServerHelloDone extends V12, Server12 {
  readonly name: 'ExpectCertificateRequestOrServerHelloDone'
  readonly kx: KeyExchange12
}

/** After a CertificateRequest: an empty client Certificate goes first (RFC 5246 §7.4.6). */
export interface ExpectServerHelloDone extends V12, Server12 {
  readonly name: 'ExpectServerHelloDone'
  readonly kx: KeyExchange12
}

/** The server acknowledged session_ticket, so a NewSessionTicket comes before its ChangeCipherSpec (RFC 5077 §3.3). */
export interface ExpectNewSessionTicket extends V12 {
  readonly name: 'ExpectNewSessionTicket'
  readonly keys: Keys12
}

export interface ExpectChangeCipherSpec extends V12 {
  readonly name: 'ExpectChangeCipherSpec'
  readonly keys: Keys12
  /** The NewSessionTicket, when the server promised one. */
  readonly ticket: NewSessionTicket12 | undefined
}

export interface ExpectFinished extends V12 {
  readonly name: 'ExpectFinished'
  readonly keys: Keys12
  readonly ticket: NewSessionTicket12 | undefined
}

export interface Done12 extends V12 {
  readonly name: 'Done'
  readonly result: HandshakeResult12
}

export type Tls12State =
  | ExpectCertificate
  | ExpectCertificateStatus
  | ExpectServerKeyExchange
  | ExpectCertificateRequestOrServerHelloDone
  | ExpectServerHelloDone
  | ExpectNewSessionTicket
  | ExpectChangeCipherSpec
  | ExpectFinished
  | Done12
