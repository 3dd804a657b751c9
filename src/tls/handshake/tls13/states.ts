/**
 * The TLS 1.3 client states (RFC 8446 §2, §4), named by the message each expects next (rustls
 * style). Each state carries exactly what the rest of the handshake needs, so nothing is
 * "not yet known": a handler gets its state and returns the next one.
 */
import type { CipherSuite13 } from '../../crypto/cipher-suites.js'
import type { KeySchedule13 } from '../../crypto/key-schedule.js'
import type { EncryptedExtensions } from '../../messages/encrypted-extensions.js'
import type { HelloOffer } from '../client-hello.js'
import type { HandshakeResult, SignatureVerified, VerifiedChain } from '../context.js'

/** What the ServerHello fixed: the suite, the key schedule and the handshake traffic secrets (RFC 8446 §7.1). */
export interface Keys13 {
  readonly suite: CipherSuite13
  readonly schedule: KeySchedule13
  readonly clientSecret: Buffer
  readonly serverSecret: Buffer
  readonly group: number
  /** A HelloRetryRequest came first (then the compatibility change_cipher_spec is already out, RFC 8446 §D.4). */
  readonly helloRetry: boolean
}

/** EncryptedExtensions and whether the server asked for a client certificate (RFC 8446 §4.3.2). */
export interface Params13 {
  readonly keys: Keys13
  readonly ee: EncryptedExtensions
  /** certificate_request_context of the CertificateRequest; undefined when the server sent none. */
  readonly certificateRequest: Buffer | undefined
}

/** How the server proved who it is: a chain and a signature over the transcript, or the resumed PSK (RFC 8446 §2.2). */
export type ServerAuth =
  | { readonly kind: 'certificate'; readonly chain: VerifiedChain; readonly signature: SignatureVerified }
  | { readonly kind: 'psk' }

interface V13 {
  readonly version: 'TLSv1.3'
}

/** After a HelloRetryRequest (RFC 8446 §4.1.4): ClientHello2 is out, its suite fixed. */
export interface ExpectServerHelloAfterRetry extends V13 {
  readonly name: 'ExpectServerHello'
  readonly offer: HelloOffer
  readonly suite: CipherSuite13
}

export interface ExpectEncryptedExtensions extends V13 {
  readonly name: 'ExpectEncryptedExtensions'
  readonly keys: Keys13
  readonly resumed: boolean
}

export interface ExpectCertificateOrCertificateRequest extends V13 {
  readonly name: 'ExpectCertificateOrCertificateRequest'
  readonly keys: Keys13
  readonly ee: EncryptedExtensions
}

export interface ExpectCertificate extends V13, Params13 {
  readonly name: 'ExpectCertificate'
}

export interface ExpectCertificateVerify extends V13, Params13 {
  readonly name: 'ExpectCertificateVerify'
  readonly chain: VerifiedChain
}

export interface ExpectFinished extends V13, Params13 {
  readonly name: 'ExpectFinished'
  readonly auth: ServerAuth
}

export interface Done13 extends V13 {
  readonly name: 'Done'
  readonly result: HandshakeResult
}

export type Tls13State =
  | ExpectServerHelloAfterRetry
  | ExpectEncryptedExtensions
  | ExpectCertificateOrCertificateRequest
  | ExpectCertificate
  | ExpectCertificateVerify
  | ExpectFinished
  | Done13
