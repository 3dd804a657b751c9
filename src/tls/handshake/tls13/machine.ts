/** The TLS 1.3 client state machine: one handler per state (RFC 8446 §2 message flow). */
import { AlertDescription } from '../../constants.js'
import { TlsProtocolError } from '../../errors.js'
import type { HandshakeContext } from '../context.js'
import type { HandshakeMessage } from '../handshake-reader.js'
import type { Step } from '../step.js'
import { handleFinished } from './finished.js'
import { handleServerHelloAfterRetry } from './server-hello.js'
import {
  handleCertificate,
  handleCertificateOrCertificateRequest,
  handleCertificateVerify,
  handleEncryptedExtensions,
} from './server-params.js'
import type { Tls13State } from './states.js'

export { serverHello13 } from './server-hello.js'
export type { Tls13State } from './states.js'

export function step13(state: Tls13State, msg: HandshakeMessage, cx: HandshakeContext): Step<Tls13State> {
  switch (state.name) {
    case 'ExpectServerHello':
      return handleServerHelloAfterRetry(state, msg, cx)
    case 'ExpectEncryptedExtensions':
      return handleEncryptedExtensions(state, msg, cx)
    case 'ExpectCertificateOrCertificateRequest':
      return handleCertificateOrCertificateRequest(state, msg, cx)
    case 'ExpectCertificate':
      return handleCertificate(state, msg, cx)
    case 'ExpectCertificateVerify':
      return handleCertificateVerify(state, msg, cx)
    case 'ExpectFinished':
      return handleFinished(state, msg, cx)
    case 'Done':
      return afterHandshake13(msg)
  }
}

/** A handshake message after the TLS 1.3 handshake that the connection does not handle itself (RFC 8446 §4.6): fatal. */
export function afterHandshake13(msg: HandshakeMessage): never {
  throw new TlsProtocolError(
    'unexpected_message_after_handshake',
    `handshake message ${msg.type} after the handshake completed`,
    AlertDescription.unexpected_message,
  )
}
