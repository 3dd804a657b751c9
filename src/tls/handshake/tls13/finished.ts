/**
 * The server's Finished and the client's flight in TLS 1.3 (RFC 8446 §4.4.4, §4.4.2 for an empty
 * client Certificate, draft-vvv-tls-alps §4 for the client's ALPS settings), then application keys.
 */
import { timingSafeEqual } from 'node:crypto'
import { AlertDescription, HandshakeType } from '../../constants.js'
import { finishedVerifyData } from '../../crypto/key-schedule.js'
import { TlsProtocolError } from '../../errors.js'
import { encodeClientEncryptedExtensions, encodeEmptyCertificate, encodeFinished } from '../../messages/simple.js'
import type { HandshakeContext, HandshakeResult } from '../context.js'
import type { HandshakeMessage } from '../handshake-reader.js'
import { expectType } from '../step.js'
import { sendCompatibilityCcs } from './server-hello.js'
import { alpsSpec } from './server-params.js'
import type { Done13, ExpectFinished } from './states.js'

/** Server Finished (RFC 8446 §4.4.4): verified against the transcript before it is added. */
export function handleFinished(state: ExpectFinished, msg: HandshakeMessage, cx: HandshakeContext): Done13 {
  expectType(msg, HandshakeType.finished, state.name, 'RFC 8446 §4')
  const { suite, schedule, serverSecret } = state.keys
  const expected = finishedVerifyData(suite.hash, serverSecret, cx.transcript.digest())
  if (msg.body.length !== expected.length || !timingSafeEqual(msg.body, expected)) {
    throw new TlsProtocolError(
      'bad_finished',
      'server Finished verify_data is wrong (RFC 8446 §4.4.4 decrypt_error)',
      AlertDescription.decrypt_error,
    )
  }
  const aligned = cx.io.aligned(
    'handshake data after server Finished in the same record as a key change (RFC 8446 §5.1)',
  )
  cx.transcript.add(msg.raw)
  const app = schedule.application(cx.transcript.digest())
  cx.io.logSecret('CLIENT_TRAFFIC_SECRET_0', app.client)
  cx.io.logSecret('SERVER_TRAFFIC_SECRET_0', app.server)
  cx.io.logSecret('EXPORTER_SECRET', app.exporter)
  cx.io.setReadKeys(suite, app.server, aligned)
  sendClientFlight(state, cx)
  cx.io.setWriteKeys(suite, app.client)
  const resumptionMasterSecret = schedule.resumptionMasterSecret(cx.transcript.digest())
  return { version: 'TLSv1.3', name: 'Done', result: result(state, resumptionMasterSecret) }
}

/** [CCS] EncryptedExtensions(ALPS) [Certificate] Finished under the client handshake traffic keys. */
function sendClientFlight(state: ExpectFinished, cx: HandshakeContext): void {
  const { keys, ee, certificateRequest } = state
  if (!keys.helloRetry) sendCompatibilityCcs(cx)
  cx.io.setWriteKeys(keys.suite, keys.clientSecret)
  const alps = alpsSpec(cx.options)
  if (ee.applicationSettings !== undefined && alps && ee.alpn !== undefined) {
    // draft-vvv-tls-alps §4: a client that negotiated ALPS answers with its own settings for that protocol.
    cx.send(encodeClientEncryptedExtensions(alps.type, alps.settings?.[ee.alpn] ?? new Uint8Array(0)))
  }
  if (certificateRequest !== undefined) cx.send(encodeEmptyCertificate(certificateRequest))
  cx.send(encodeFinished(finishedVerifyData(keys.suite.hash, keys.clientSecret, cx.transcript.digest())))
}

function result(state: ExpectFinished, resumptionMasterSecret: Buffer): HandshakeResult {
  const { keys, ee, auth } = state
  return {
    version: 'TLSv1.3',
    cipherSuite: keys.suite,
    group: keys.group,
    alpn: ee.alpn,
    helloRetry: keys.helloRetry,
    peerCertificates: auth.kind === 'certificate' ? auth.chain : [],
    recordSizeLimit: ee.recordSizeLimit,
    signatureScheme: auth.kind === 'certificate' ? auth.signature.scheme : 0,
    resumptionMasterSecret,
    resumed: auth.kind === 'psk',
  }
}
