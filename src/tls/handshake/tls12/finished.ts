/**
 * The end of a TLS 1.2 handshake (RFC 5246 §7.3): [NewSessionTicket] (RFC 5077 §3.3), the server's
 * ChangeCipherSpec (handed over by the connection as a pseudo-message) and Finished, then in an
 * abbreviated handshake the client's ChangeCipherSpec and Finished.
 */
import { timingSafeEqual } from 'node:crypto'
import { AlertDescription, HandshakeType } from '../../constants.js'
import { finishedVerifyData12 } from '../../crypto/prf.js'
import { TlsProtocolError } from '../../errors.js'
import { encodeFinished } from '../../messages/simple.js'
import { decodeNewSessionTicket12 } from '../../messages/tls12.js'
import type { HandshakeContext, HandshakeResult12, Tls12SessionTicket } from '../context.js'
import type { HandshakeMessage } from '../handshake-reader.js'
import { CHANGE_CIPHER_SPEC_MESSAGE, expectType } from '../step.js'
import type { Done12, ExpectChangeCipherSpec, ExpectFinished, ExpectNewSessionTicket, Keys12 } from './states.js'

const V = 'TLSv1.2' as const
const RFC = 'RFC 5246 §7.3'

export function handleNewSessionTicket(state: ExpectNewSessionTicket, msg: HandshakeMessage): ExpectChangeCipherSpec {
  if (msg === CHANGE_CIPHER_SPEC_MESSAGE) {
    throw new TlsProtocolError(
      'missing_new_session_ticket',
      'unexpected ChangeCipherSpec before the NewSessionTicket it promised (RFC 5077 §3.3)',
      AlertDescription.unexpected_message,
    )
  }
  expectType(msg, HandshakeType.new_session_ticket, state.name, RFC)
  return { version: V, name: 'ExpectChangeCipherSpec', keys: state.keys, ticket: decodeNewSessionTicket12(msg.body) }
}

/** The server's ChangeCipherSpec (RFC 5246 §7.1): its records are protected from here on, at a message boundary. */
export function handleChangeCipherSpec(
  state: ExpectChangeCipherSpec,
  msg: HandshakeMessage,
  cx: HandshakeContext,
): ExpectFinished {
  if (msg !== CHANGE_CIPHER_SPEC_MESSAGE) {
    throw new TlsProtocolError(
      'missing_change_cipher_spec',
      `handshake message ${msg.type} before the server's ChangeCipherSpec (RFC 5246 §7.3)`,
      AlertDescription.unexpected_message,
    )
  }
  const aligned = cx.io.aligned('ChangeCipherSpec in the middle of a handshake message (RFC 5246 §7.1)')
  cx.io.setReadProtection(state.keys.serverProtection, aligned)
  return { version: V, name: 'ExpectFinished', keys: state.keys, ticket: state.ticket }
}

/** Server Finished (RFC 5246 §7.4.9): verified against the transcript before it is added. */
export function handleFinished(state: ExpectFinished, msg: HandshakeMessage, cx: HandshakeContext): Done12 {
  expectType(msg, HandshakeType.finished, state.name, RFC)
  const { session, master, auth } = state.keys
  const prf = session.agreed.suite.prfHash
  const expected = finishedVerifyData12(prf, master, 'server', cx.transcript.digest())
  if (msg.body.length !== expected.length || !timingSafeEqual(msg.body, expected)) {
    throw new TlsProtocolError(
      'bad_finished',
      'server Finished verify_data is wrong (RFC 5246 §7.4.9 decrypt_error); the handshake was tampered with or the keys disagree',
      AlertDescription.decrypt_error,
    )
  }
  cx.transcript.add(msg.raw)
  if (auth.kind === 'abbreviated') {
    // RFC 5246 §7.3: in an abbreviated handshake the client's ChangeCipherSpec and Finished come last.
    cx.io.aligned('handshake data after the server Finished of an abbreviated handshake (RFC 5246 §7.3)')
    cx.io.sendChangeCipherSpec()
    cx.io.setWriteProtection(auth.clientProtection)
    cx.send(encodeFinished(finishedVerifyData12(prf, master, 'client', cx.transcript.digest())))
  }
  return { version: V, name: 'Done', result: result(state) }
}

function result(state: ExpectFinished): HandshakeResult12 {
  const { session, auth } = state.keys
  const { agreed } = session
  const kx = auth.kind === 'full' ? auth.kx : undefined
  return {
    version: V,
    cipherSuite: agreed.suite,
    group: kx?.kind === 'ecdhe' ? kx.group : 0,
    alpn: agreed.alpn,
    helloRetry: false,
    resumed: auth.kind === 'abbreviated',
    peerCertificates: auth.kind === 'full' ? auth.chain : [],
    recordSizeLimit: agreed.recordSizeLimit,
    signatureScheme: kx?.kind === 'ecdhe' ? kx.signature.scheme : 0,
    extendedMasterSecret: agreed.extendedMasterSecret,
    sessionTicket: issuedTicket(state.keys, state.ticket),
  }
}

/**
 * The ticket the server issued, with this session's master secret (RFC 5077 §3.3; an empty one means none).
 * None for a session without extended master secret: it is never resumed (RFC 7627 §5.3).
 */
function issuedTicket(keys: Keys12, ticket: ExpectFinished['ticket']): Tls12SessionTicket | undefined {
  const { agreed } = keys.session
  if (!ticket || ticket.ticket.length === 0 || !agreed.extendedMasterSecret) return undefined
  return {
    ticket: ticket.ticket,
    lifetimeHint: ticket.lifetimeHint,
    masterSecret: keys.master,
    cipherSuite: agreed.suite,
    extendedMasterSecret: agreed.extendedMasterSecret,
    receivedAt: Date.now(),
  }
}
