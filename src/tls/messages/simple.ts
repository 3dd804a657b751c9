/** Small handshake messages: CertificateVerify, Finished, NewSessionTicket, KeyUpdate (RFC 8446 §4.4.3, §4.4.4, §4.6). */
import { ByteReader, ByteWriter } from '../../util/bytes.js'
import { AlertDescription, ExtensionType, HandshakeType } from '../constants.js'
import { TlsProtocolError } from '../errors.js'
import { readExtensions } from './extensions.js'

export function decodeCertificateVerify(body: Uint8Array): { scheme: number; signature: Buffer } {
  const r = new ByteReader(body, 0, body.length, 'CertificateVerify')
  const scheme = r.u16('algorithm')
  const signature = r.vec(2, 'signature')
  r.expectEmpty()
  return { scheme, signature }
}

export interface NewSessionTicket {
  /** seconds (RFC 8446 §4.6.1: at most 604800) */
  readonly lifetime: number
  readonly ageAdd: number
  readonly nonce: Buffer
  readonly ticket: Buffer
  /** early_data max_early_data_size, if the server allows 0-RTT. */
  readonly maxEarlyData: number | undefined
}

export function decodeNewSessionTicket(body: Uint8Array): NewSessionTicket {
  const r = new ByteReader(body, 0, body.length, 'NewSessionTicket')
  const lifetime = r.u32('ticket_lifetime')
  const ageAdd = r.u32('ticket_age_add')
  const nonce = Buffer.from(r.vec(1, 'ticket_nonce'))
  const ticket = Buffer.from(r.vec(2, 'ticket'))
  const ext = readExtensions(r, 'NewSessionTicket')
  r.expectEmpty()
  if (ticket.length === 0)
    throw new TlsProtocolError(
      'empty_ticket',
      'NewSessionTicket has an empty ticket (RFC 8446 §4.6.1)',
      AlertDescription.decode_error,
    )
  if (lifetime > 604800)
    throw new TlsProtocolError(
      'ticket_lifetime_too_long',
      `NewSessionTicket lifetime ${lifetime}s exceeds 7 days (RFC 8446 §4.6.1)`,
      AlertDescription.illegal_parameter,
    )
  let maxEarlyData: number | undefined
  const ed = ext.get(ExtensionType.early_data)
  if (ed) {
    const er = new ByteReader(ed, 0, ed.length, 'early_data')
    maxEarlyData = er.u32('max_early_data_size')
    er.expectEmpty()
  }
  return { lifetime, ageAdd, nonce, ticket, maxEarlyData }
}

export const KeyUpdateRequest = { update_not_requested: 0, update_requested: 1 } as const

export function decodeKeyUpdate(body: Uint8Array): boolean {
  const r = new ByteReader(body, 0, body.length, 'KeyUpdate')
  const v = r.u8('request_update')
  r.expectEmpty()
  if (v > 1)
    throw new TlsProtocolError(
      'bad_key_update_request',
      `KeyUpdate request_update ${v} is neither 0 nor 1 (RFC 8446 §4.6.3)`,
      AlertDescription.illegal_parameter,
    )
  return v === KeyUpdateRequest.update_requested
}

/** A handshake message: msg_type(1) ‖ length(3) ‖ body. */
export function handshakeMessage(type: number, body: Uint8Array): Buffer {
  return new ByteWriter(body.length + 4)
    .u8(type)
    .vec(3, (w) => w.bytes(body))
    .finish()
}

export function encodeFinished(verifyData: Uint8Array): Buffer {
  return handshakeMessage(HandshakeType.finished, verifyData)
}

export function encodeKeyUpdate(requestUpdate: boolean): Buffer {
  return handshakeMessage(HandshakeType.key_update, Buffer.of(requestUpdate ? 1 : 0))
}

/** An empty client Certificate (no client authentication), echoing the request context (RFC 8446 §4.4.2). */
export function encodeEmptyCertificate(context: Uint8Array): Buffer {
  const w = new ByteWriter(8)
  w.vecBytes(1, context).vec(3, () => {})
  return handshakeMessage(HandshakeType.certificate, w.finish())
}

/** Client EncryptedExtensions carrying ALPS application_settings (draft-vvv-tls-alps §4). */
export function encodeClientEncryptedExtensions(alpsType: number, settings: Uint8Array): Buffer {
  const w = new ByteWriter(16)
  w.vec(2, (l) => l.u16(alpsType).vecBytes(2, settings))
  return handshakeMessage(HandshakeType.encrypted_extensions, w.finish())
}
