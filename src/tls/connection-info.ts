/**
 * What a TLS connection negotiated, in the names logs and stats use (IANA cipher suite, group and
 * signature scheme names), made once when the handshake completes.
 */
import { groupName, signatureSchemeName } from './constants.js'
import type { HandshakeOutcome } from './handshake/context.js'

/** What was negotiated, for logs and stats. */
export interface TlsConnectionInfo {
  readonly version: 'TLSv1.3' | 'TLSv1.2'
  /** IANA name, e.g. TLS_AES_128_GCM_SHA256 or TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256. */
  readonly cipherSuite: string
  /** Key-exchange group name, e.g. X25519MLKEM768; `none` for TLS 1.2 RSA key transport. */
  readonly group: string
  readonly alpn: string | false
  readonly resumed: boolean
  readonly helloRetry: boolean
  /** Profile the ClientHello came from. */
  readonly profile: string
  /** ms from the first ClientHello byte to the handshake's end. */
  readonly handshakeMs: number
  /** True when the server certificate chain and hostname were verified. */
  readonly verified: boolean
  /** SignatureScheme name of the server's CertificateVerify (TLS 1.2: ServerKeyExchange), e.g. rsa_pss_rsae_sha256. */
  readonly signatureScheme: string
}

/** The negotiated parameters of `result`; `startedAt` is when the first ClientHello byte went out (performance.now() ms). */
export function describeHandshake(
  result: HandshakeOutcome,
  profile: string,
  startedAt: number,
  verified: boolean,
): TlsConnectionInfo {
  return {
    version: result.version,
    cipherSuite: result.cipherSuite.name,
    group: result.group === 0 ? 'none' : groupName(result.group),
    alpn: result.alpn ?? false,
    resumed: result.resumed,
    helloRetry: result.helloRetry,
    profile,
    handshakeMs: performance.now() - startedAt,
    verified,
    signatureScheme: result.signatureScheme === 0 ? 'none' : signatureSchemeName(result.signatureScheme),
  }
}
