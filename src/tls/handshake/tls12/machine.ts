/**
 * The TLS 1.2 client state machine after ServerHello: one handler per state (RFC 5246 §7.3), and
 * the one place a HelloRequest is refused (RFC 5246 §7.4.1.1, RFC 5746 §4.2).
 */
import { AlertDescription } from '../../constants.js'
import { TlsProtocolError } from '../../errors.js'
import type { HandshakeContext, HandshakeIo } from '../context.js'
import type { HandshakeMessage } from '../handshake-reader.js'
import { CHANGE_CIPHER_SPEC_MESSAGE, type Step } from '../step.js'
import { handleChangeCipherSpec, handleFinished, handleNewSessionTicket } from './finished.js'
import {
  handleCertificate,
  handleCertificateRequestOrServerHelloDone,
  handleCertificateStatus,
  handleServerHelloDone,
  handleServerKeyExchange,
} from './server-params.js'
import type { Tls12State } from './states.js'

export { serverHello12 } from './server-hello.js'
export type { Tls12State } from './states.js'

export function step12(state: Tls12State, msg: HandshakeMessage, cx: HandshakeContext): Step<Tls12State> {
  if (msg === CHANGE_CIPHER_SPEC_MESSAGE) checkChangeCipherSpecAllowed(state)
  switch (state.name) {
    case 'ExpectCertificate':
      return handleCertificate(state, msg, cx)
    case 'ExpectCertificateStatus':
      return handleCertificateStatus(state, msg, cx)
    case 'ExpectServerKeyExchange':
      return handleServerKeyExchange(state, msg, cx)
    case 'ExpectCertificateRequestOrServerHelloDone':
      return handleCertificateRequestOrServerHelloDone(state, msg, cx)
    case 'ExpectServerHelloDone':
      return handleServerHelloDone(state, msg, cx)
    case 'ExpectNewSessionTicket':
      return handleNewSessionTicket(state, msg)
    case 'ExpectChangeCipherSpec':
      return handleChangeCipherSpec(state, msg, cx)
    case 'ExpectFinished':
      return handleFinished(state, msg, cx)
    case 'Done':
      return afterHandshake12(state, msg)
  }
}

/** A handshake message other than HelloRequest, or a ChangeCipherSpec, after the TLS 1.2 handshake: fatal. */
export function afterHandshake12(state: Tls12State, msg: HandshakeMessage): never {
  if (msg === CHANGE_CIPHER_SPEC_MESSAGE) checkChangeCipherSpecAllowed(state)
  throw new TlsProtocolError(
    'renegotiation_refused',
    `handshake message ${msg.type} after the TLS 1.2 handshake; hotconn refuses renegotiation (RFC 5746 §4.2)`,
    AlertDescription.unexpected_message,
  )
}

/** The server's ChangeCipherSpec comes only after its flight, or in place of a promised NewSessionTicket (an error there). */
function checkChangeCipherSpecAllowed(state: Tls12State): void {
  if (state.name === 'ExpectChangeCipherSpec' || state.name === 'ExpectNewSessionTicket') return
  throw new TlsProtocolError(
    'unexpected_change_cipher_spec',
    `unexpected ChangeCipherSpec in state ${state.name} (RFC 5246 §7.1)`,
    AlertDescription.unexpected_message,
  )
}

/**
 * A HelloRequest (RFC 5246 §7.4.1.1) never enters the transcript: while negotiating it is ignored;
 * after the handshake it is answered with a no_renegotiation warning (RFC 5746 §4.2) and the
 * connection goes on.
 */
export function refuseHelloRequest(state: Tls12State, msg: HandshakeMessage, io: HandshakeIo): void {
  if (msg.body.length !== 0)
    throw new TlsProtocolError(
      'hello_request_not_empty',
      'HelloRequest has a body (RFC 5246 §7.4.1.1)',
      AlertDescription.decode_error,
    )
  if (state.name === 'Done') io.refuseRenegotiation()
}
