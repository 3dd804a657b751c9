/**
 * A ServerHello that selected TLS 1.2 (RFC 5246 §7.4.1.3): the same ClientHello transcript and
 * random carry on. It starts the full handshake, or the abbreviated one when the server echoes
 * the session id sent with a ticket (RFC 5077 §3.4).
 */
import { AlertDescription } from '../../constants.js'
import { keyBlock } from '../../crypto/prf.js'
import { TlsProtocolError } from '../../errors.js'
import type { ServerHello } from '../../messages/server-hello.js'
import { createProtection12 } from '../../record/protection12.js'
import { tls12TicketToOffer } from '../client-hello.js'
import type { HandshakeContext, StoredTicket12 } from '../context.js'
import type { HandshakeMessage } from '../handshake-reader.js'
import { checkServerHello12 } from './agreement.js'
import type { ExpectCertificate, ExpectChangeCipherSpec, ExpectNewSessionTicket, Session12 } from './states.js'

const V = 'TLSv1.2' as const

/** Checked before it enters the transcript, whose hash the suite's PRF hash now fixes. */
export function serverHello12(
  sh: ServerHello,
  msg: HandshakeMessage,
  cx: HandshakeContext,
): ExpectCertificate | ExpectNewSessionTicket | ExpectChangeCipherSpec {
  const { options, transcript } = cx
  const agreed = checkServerHello12(sh, {
    offered: options.plan.offered,
    alpn: options.alpn ?? options.plan.offered.alpn,
  })
  transcript.setHash(agreed.suite.prfHash)
  transcript.add(msg.raw)
  const session = { agreed, serverRandom: Buffer.from(sh.random) }
  const ticket = tls12TicketToOffer(options, cx.sessionId)
  // RFC 5077 §3.4: echoing the session id sent with the ticket means the server accepted it.
  if (ticket && sh.sessionId.equals(cx.sessionId)) return resume(session, ticket, cx)
  return { version: V, name: 'ExpectCertificate', session }
}

/**
 * Abbreviated handshake (RFC 5246 §7.3 Figure 2, RFC 5077 §3.1 Figure 2): keys from the ticket's
 * master secret and this handshake's randoms; next come [NewSessionTicket], ChangeCipherSpec, Finished.
 */
function resume(
  session: Session12,
  ticket: StoredTicket12,
  cx: HandshakeContext,
): ExpectNewSessionTicket | ExpectChangeCipherSpec {
  const { agreed, serverRandom } = session
  const suite = agreed.suite
  if (suite.id !== ticket.cipherSuite.id) {
    throw new TlsProtocolError(
      'resumed_with_other_cipher_suite',
      `server resumed the session with ${suite.name}, but the session was made with ${ticket.cipherSuite.name} (RFC 5246 §7.4.1.3)`,
      AlertDescription.illegal_parameter,
    )
  }
  if (agreed.extendedMasterSecret !== ticket.extendedMasterSecret) {
    throw new TlsProtocolError(
      'resumed_with_other_extended_master_secret',
      `server resumed a session ${ticket.extendedMasterSecret ? 'with' : 'without'} extended master secret in a ServerHello ${agreed.extendedMasterSecret ? 'with' : 'without'} it (RFC 7627 §5.3)`,
      AlertDescription.handshake_failure,
    )
  }
  const master = ticket.masterSecret
  cx.io.logSecret('CLIENT_RANDOM', master)
  const block = keyBlock(suite.prfHash, master, cx.clientRandom, serverRandom, suite)
  const auth = { kind: 'abbreviated' as const, clientProtection: createProtection12(suite, block.client) }
  const keys = { session, master, serverProtection: createProtection12(suite, block.server), auth }
  if (agreed.sessionTicket) return { version: V, name: 'ExpectNewSessionTicket', keys }
  return { version: V, name: 'ExpectChangeCipherSpec', keys, ticket: undefined }
}
