/**
 * The client's flight of a full TLS 1.2 handshake (RFC 5246 §7.4.6–§7.4.9): [empty Certificate],
 * ClientKeyExchange (ECDHE, RFC 8422 §5.7, or RSA key transport, RFC 5246 §7.4.7.1), the master
 * secret (extended, RFC 7627 §4, when negotiated), ChangeCipherSpec and Finished.
 */
import { constants as cryptoConstants, publicEncrypt, randomBytes } from 'node:crypto'
import { ProtocolVersion } from '../../constants.js'
import { generateKeyShares } from '../../crypto/key-exchange.js'
import { extendedMasterSecret, finishedVerifyData12, keyBlock, masterSecret } from '../../crypto/prf.js'
import { encodeFinished } from '../../messages/simple.js'
import {
  encodeEcdheClientKeyExchange,
  encodeEmptyCertificate12,
  encodeRsaClientKeyExchange,
} from '../../messages/tls12.js'
import { createProtection12 } from '../../record/protection12.js'
import type { HandshakeContext } from '../context.js'
import type { ExpectChangeCipherSpec, ExpectNewSessionTicket, KeyExchange12, Server12 } from './states.js'

const V = 'TLSv1.2' as const

/** Bytes of the RSA premaster secret (RFC 5246 §7.4.7.1). */
const RSA_PREMASTER_LENGTH = 48

export function sendClientFlight(
  server: Server12,
  kx: KeyExchange12,
  cx: HandshakeContext,
  certificateRequested: boolean,
): ExpectNewSessionTicket | ExpectChangeCipherSpec {
  // RFC 5246 §7.4.6: no certificate to offer, so an empty Certificate.
  if (certificateRequested) cx.send(encodeEmptyCertificate12())
  const { message, preMasterSecret } = clientKeyExchange(server, kx)
  cx.send(message)
  const { agreed, serverRandom } = server.session
  const suite = agreed.suite
  const master = agreed.extendedMasterSecret
    ? extendedMasterSecret(suite.prfHash, preMasterSecret, cx.transcript.digest())
    : masterSecret(suite.prfHash, preMasterSecret, cx.clientRandom, serverRandom)
  preMasterSecret.fill(0)
  cx.io.logSecret('CLIENT_RANDOM', master)
  const block = keyBlock(suite.prfHash, master, cx.clientRandom, serverRandom, suite)
  cx.io.sendChangeCipherSpec()
  cx.io.setWriteProtection(createProtection12(suite, block.client))
  cx.send(encodeFinished(finishedVerifyData12(suite.prfHash, master, 'client', cx.transcript.digest())))
  const auth = { kind: 'full' as const, chain: server.chain, kx }
  const keys = { session: server.session, master, serverProtection: createProtection12(suite, block.server), auth }
  if (agreed.sessionTicket) return { version: V, name: 'ExpectNewSessionTicket', keys }
  return { version: V, name: 'ExpectChangeCipherSpec', keys, ticket: undefined }
}

function clientKeyExchange(server: Server12, kx: KeyExchange12): { message: Buffer; preMasterSecret: Buffer } {
  if (kx.kind === 'ecdhe') {
    const [share] = generateKeyShares([kx.group])
    if (!share) throw new Error(`no key share generated for group ${kx.group}`)
    return {
      message: encodeEcdheClientKeyExchange(share.publicKey),
      preMasterSecret: share.deriveSecret(kx.serverPublic),
    }
  }
  // RFC 5246 §7.4.7.1: client_version (the version offered, 0x0303) ‖ 46 random bytes, RSAES-PKCS1-v1_5.
  const preMasterSecret = randomBytes(RSA_PREMASTER_LENGTH)
  preMasterSecret.writeUInt16BE(ProtocolVersion.TLS12, 0)
  const encrypted = publicEncrypt(
    { key: server.leaf.publicKey, padding: cryptoConstants.RSA_PKCS1_PADDING },
    preMasterSecret,
  )
  return { message: encodeRsaClientKeyExchange(encrypted), preMasterSecret }
}
