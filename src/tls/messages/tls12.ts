/**
 * TLS 1.2 handshake messages (RFC 5246 §7.4, RFC 8422 §5, RFC 5077 §3.3, RFC 6066 §8):
 * Certificate, CertificateStatus, ServerKeyExchange (ECDHE), CertificateRequest, ServerHelloDone,
 * NewSessionTicket, and the client's Certificate and ClientKeyExchange.
 */
import { ByteReader, ByteWriter } from '../../util/bytes.js'
import { AlertDescription, HandshakeType } from '../constants.js'
import { TlsProtocolError } from '../errors.js'
import { handshakeMessage } from './simple.js'

/** Certificate (RFC 5246 §7.4.2): DER certificates, end-entity first. */
export function decodeCertificate12(body: Uint8Array): Buffer[] {
  const r = new ByteReader(body, 0, body.length, 'Certificate')
  const list = r.sub(3, 'certificate_list')
  r.expectEmpty()
  const chain: Buffer[] = []
  while (list.remaining) {
    const der = list.vec(3, 'ASN.1Cert')
    if (der.length === 0)
      throw new TlsProtocolError(
        'empty_certificate_entry',
        'Certificate entry is empty (RFC 5246 §7.4.2)',
        AlertDescription.decode_error,
      )
    chain.push(der)
  }
  return chain
}

/** CertificateStatus (RFC 6066 §8): status_type ocsp(1) and the DER OCSPResponse. */
export function decodeCertificateStatus(body: Uint8Array): { statusType: number; response: Buffer } {
  const r = new ByteReader(body, 0, body.length, 'CertificateStatus')
  const statusType = r.u8('status_type')
  if (statusType !== 1)
    throw new TlsProtocolError(
      'bad_certificate_status_type',
      `CertificateStatus status_type ${statusType} is not ocsp(1) (RFC 6066 §8)`,
      AlertDescription.illegal_parameter,
    )
  const response = r.vec(3, 'OCSPResponse')
  r.expectEmpty()
  return { statusType, response }
}

/** ECCurveType named_curve (RFC 8422 §5.4). */
export const EC_CURVE_TYPE_NAMED_CURVE = 3

export interface EcdheServerKeyExchange {
  readonly group: number
  /** The server's ephemeral public key (uncompressed point, or 32 bytes for x25519). */
  readonly publicKey: Buffer
  /** ServerECDHParams exactly as sent: the signed bytes after the randoms (RFC 8422 §5.4). */
  readonly params: Buffer
  readonly scheme: number
  readonly signature: Buffer
}

/** ServerKeyExchange for ECDHE_ECDSA / ECDHE_RSA (RFC 8422 §5.4, RFC 5246 §7.4.3 with signature_algorithms). */
export function decodeEcdheServerKeyExchange(body: Uint8Array): EcdheServerKeyExchange {
  const r = new ByteReader(body, 0, body.length, 'ServerKeyExchange')
  const start = r.offset
  const curveType = r.u8('curve_type')
  if (curveType !== EC_CURVE_TYPE_NAMED_CURVE) {
    throw new TlsProtocolError(
      'bad_ec_curve_type',
      `ServerKeyExchange curve_type ${curveType} is not named_curve(3) (RFC 8422 §5.4)`,
      AlertDescription.illegal_parameter,
    )
  }
  const group = r.u16('namedcurve')
  const publicKey = r.vec(1, 'point')
  if (publicKey.length === 0)
    throw new TlsProtocolError(
      'empty_ecdh_public_key',
      'ServerKeyExchange has an empty ECDH public key (RFC 8422 §5.4)',
      AlertDescription.decode_error,
    )
  const params = Buffer.from(body.subarray(start, r.offset))
  const scheme = r.u16('SignatureAndHashAlgorithm')
  const signature = r.vec(2, 'signature')
  r.expectEmpty()
  return { group, publicKey, params, scheme, signature }
}

export interface CertificateRequest12 {
  readonly certificateTypes: Buffer
  readonly signatureSchemes: number[]
}

/** CertificateRequest (RFC 5246 §7.4.4). */
export function decodeCertificateRequest12(body: Uint8Array): CertificateRequest12 {
  const r = new ByteReader(body, 0, body.length, 'CertificateRequest')
  const certificateTypes = r.vec(1, 'certificate_types')
  const algs = r.sub(2, 'supported_signature_algorithms')
  const signatureSchemes: number[] = []
  while (algs.remaining) signatureSchemes.push(algs.u16('SignatureAndHashAlgorithm'))
  r.vec(2, 'certificate_authorities')
  r.expectEmpty()
  return { certificateTypes, signatureSchemes }
}

/** ServerHelloDone has an empty body (RFC 5246 §7.4.5). */
export function decodeServerHelloDone(body: Uint8Array): void {
  if (body.length !== 0)
    throw new TlsProtocolError(
      'server_hello_done_not_empty',
      `ServerHelloDone has a ${body.length}-byte body; it must be empty (RFC 5246 §7.4.5)`,
      AlertDescription.decode_error,
    )
}

export interface NewSessionTicket12 {
  /** seconds; 0 = unspecified (RFC 5077 §3.3) */
  readonly lifetimeHint: number
  /** empty when the server decided not to issue one (RFC 5077 §3.3) */
  readonly ticket: Buffer
}

/** NewSessionTicket (RFC 5077 §3.3). */
export function decodeNewSessionTicket12(body: Uint8Array): NewSessionTicket12 {
  const r = new ByteReader(body, 0, body.length, 'NewSessionTicket')
  const lifetimeHint = r.u32('ticket_lifetime_hint')
  const ticket = Buffer.from(r.vec(2, 'ticket'))
  r.expectEmpty()
  return { lifetimeHint, ticket }
}

/** A client Certificate with no certificates: no client authentication (RFC 5246 §7.4.6). */
export function encodeEmptyCertificate12(): Buffer {
  return handshakeMessage(HandshakeType.certificate, new ByteWriter(3).vec(3, () => {}).finish())
}

/** ClientKeyExchange carrying the client's ECDH public key (RFC 8422 §5.7: ClientECDiffieHellmanPublic). */
export function encodeEcdheClientKeyExchange(publicKey: Uint8Array): Buffer {
  return handshakeMessage(
    HandshakeType.client_key_exchange,
    new ByteWriter(publicKey.length + 1).vecBytes(1, publicKey).finish(),
  )
}

/** ClientKeyExchange carrying the RSA-encrypted premaster secret (RFC 5246 §7.4.7.1: EncryptedPreMasterSecret, 2-byte length). */
export function encodeRsaClientKeyExchange(encryptedPreMaster: Uint8Array): Buffer {
  return handshakeMessage(
    HandshakeType.client_key_exchange,
    new ByteWriter(encryptedPreMaster.length + 2).vecBytes(2, encryptedPreMaster).finish(),
  )
}
