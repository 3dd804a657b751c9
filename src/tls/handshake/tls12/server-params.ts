/**
 * The server's flight in a full TLS 1.2 handshake (RFC 5246 §7.4.2–§7.4.5): Certificate,
 * [CertificateStatus] (RFC 6066 §8), ServerKeyExchange (RFC 8422 §5.4, verified only with a
 * `VerifiedChain`), [CertificateRequest], ServerHelloDone.
 */
import { X509Certificate } from 'node:crypto'
import { AlertDescription, HandshakeType, groupName, signatureSchemeName } from '../../constants.js'
import { TLS12_ECDHE_GROUPS } from '../../crypto/key-exchange.js'
import { schemeMatchesKey, signatureSchemeInfo, verifySignature } from '../../cert/signature.js'
import { TlsProtocolError } from '../../errors.js'
import {
  decodeCertificate12,
  decodeCertificateRequest12,
  decodeCertificateStatus,
  decodeEcdheServerKeyExchange,
  decodeServerHelloDone,
} from '../../messages/tls12.js'
import { verifyServerChain } from '../chain.js'
import type { HandshakeContext, SignatureVerified } from '../context.js'
import type { HandshakeMessage } from '../handshake-reader.js'
import { andThen, expectType, type Step } from '../step.js'
import { sendClientFlight } from './client-flight.js'
import type {
  ExpectCertificate,
  ExpectCertificateRequestOrServerHelloDone,
  ExpectCertificateStatus,
  ExpectServerHelloDone,
  ExpectServerKeyExchange,
  KeyExchange12,
  Server12,
  Tls12State,
} from './states.js'

const V = 'TLSv1.2' as const
const RFC = 'RFC 5246 §7.3'

export function handleCertificate(
  state: ExpectCertificate,
  msg: HandshakeMessage,
  cx: HandshakeContext,
): Step<Tls12State> {
  expectType(msg, HandshakeType.certificate, state.name, RFC)
  const [der, ...issuers] = decodeCertificate12(msg.body)
  if (!der) {
    throw new TlsProtocolError(
      'empty_certificate',
      'server sent an empty Certificate; hotconn offers no anonymous suites (RFC 5246 §7.4.2)',
      AlertDescription.decode_error,
    )
  }
  const session = state.session
  const leaf = parseLeaf(der, session.agreed.suite)
  return andThen(verifyServerChain(cx.options, [der, ...issuers]), (chain): Tls12State => {
    const server = { session, chain, leaf }
    if (session.agreed.statusRequest) return { ...server, version: V, name: 'ExpectCertificateStatus' }
    return afterCertificate(server)
  })
}

function afterCertificate(server: Server12): ExpectServerKeyExchange | ExpectCertificateRequestOrServerHelloDone {
  if (server.session.agreed.suite.keyExchange === 'ecdhe')
    return { ...serverOf(server), version: V, name: 'ExpectServerKeyExchange' }
  return { ...serverOf(server), version: V, name: 'ExpectCertificateRequestOrServerHelloDone', kx: { kind: 'rsa' } }
}

/** The leaf's key must fit the suite: ECDSA for *_ECDSA_*, rsaEncryption for *_RSA_* (RFC 8422 §5.3, RFC 5246 §7.4.2). */
function parseLeaf(der: Buffer, suite: Server12['session']['agreed']['suite']): X509Certificate {
  let leaf: X509Certificate
  try {
    leaf = new X509Certificate(der)
  } catch (err) {
    throw new TlsProtocolError(
      'certificate_does_not_parse',
      'server certificate does not parse as X.509 (RFC 5246 §7.4.2 bad_certificate)',
      AlertDescription.bad_certificate,
      { cause: err },
    )
  }
  const keyType = leaf.publicKey.asymmetricKeyType
  const want = suite.authentication === 'ecdsa' ? 'ec' : 'rsa'
  if (keyType !== want) {
    throw new TlsProtocolError(
      'certificate_key_does_not_fit_suite',
      `server certificate has a ${keyType ?? 'unknown'} key, but ${suite.name} needs an ${want === 'ec' ? 'ECDSA' : 'RSA'} key (RFC 8422 §5.3, RFC 5246 §7.4.2)`,
      AlertDescription.unsupported_certificate,
    )
  }
  return leaf
}

/** Optional even when acknowledged (RFC 6066 §8); anything else goes to the state after it. */
export function handleCertificateStatus(
  state: ExpectCertificateStatus,
  msg: HandshakeMessage,
  cx: HandshakeContext,
): Step<Tls12State> {
  const next = afterCertificate(state)
  if (msg.type !== HandshakeType.certificate_status) {
    return next.name === 'ExpectServerKeyExchange'
      ? handleServerKeyExchange(next, msg, cx)
      : handleCertificateRequestOrServerHelloDone(next, msg, cx)
  }
  // Accepted and not checked: browsers use OCSP stapling as a soft signal; hotconn has no OCSP policy.
  decodeCertificateStatus(msg.body)
  return next
}

export function handleServerKeyExchange(
  state: ExpectServerKeyExchange,
  msg: HandshakeMessage,
  cx: HandshakeContext,
): ExpectCertificateRequestOrServerHelloDone {
  expectType(msg, HandshakeType.server_key_exchange, state.name, RFC)
  const ske = decodeEcdheServerKeyExchange(msg.body)
  const kx: KeyExchange12 = {
    kind: 'ecdhe',
    group: ske.group,
    serverPublic: ske.publicKey,
    signature: verifyServerKeyExchange(state, ske, cx),
  }
  return { ...serverOf(state), version: V, name: 'ExpectCertificateRequestOrServerHelloDone', kx }
}

function serverOf(s: Server12): Server12 {
  return { session: s.session, chain: s.chain, leaf: s.leaf }
}

type Ske = ReturnType<typeof decodeEcdheServerKeyExchange>

/** RFC 8422 §5.4, RFC 5246 §7.4.3: an offered group, an offered scheme that fits the leaf, a signature that verifies. */
function verifyServerKeyExchange(server: Server12, ske: Ske, cx: HandshakeContext): SignatureVerified {
  const offered = cx.options.plan.offered
  if (!offered.groups.includes(ske.group) || !TLS12_ECDHE_GROUPS.has(ske.group)) {
    throw new TlsProtocolError(
      'selected_unoffered_group',
      `ServerKeyExchange uses group ${groupName(ske.group)}, not offered for TLS 1.2 in supported_groups (RFC 8422 §5.4)`,
      AlertDescription.illegal_parameter,
    )
  }
  checkSignatureScheme(ske.scheme, server.leaf, offered.signatureSchemes)
  const signed = Buffer.concat([cx.clientRandom, server.session.serverRandom, ske.params])
  // RFC 5246 §7.4.1.4.1 / RFC 8422 §5.1.1: in TLS 1.2 ecdsa_* names only the hash, on any curve.
  if (!verifySignature(ske.scheme, server.leaf, signed, ske.signature, { anyCurve: true })) {
    throw new TlsProtocolError(
      'bad_server_key_exchange_signature',
      `ServerKeyExchange signature (${signatureSchemeName(ske.scheme)}) does not verify with the server certificate's key (RFC 5246 §7.4.3 decrypt_error)`,
      AlertDescription.decrypt_error,
    )
  }
  return { scheme: ske.scheme } as SignatureVerified
}

/** The scheme must be one offered in signature_algorithms and fit the leaf's key (RFC 5246 §7.4.1.4.1). */
function checkSignatureScheme(scheme: number, leaf: X509Certificate, offered: readonly number[]): void {
  const name = signatureSchemeName(scheme)
  if (!offered.includes(scheme)) {
    throw new TlsProtocolError(
      'selected_unoffered_signature_scheme',
      `ServerKeyExchange is signed with ${name}, not offered in signature_algorithms (RFC 5246 §7.4.1.4.1)`,
      AlertDescription.illegal_parameter,
    )
  }
  const info = signatureSchemeInfo(scheme)
  if (
    !info ||
    (info.keyType !== 'rsa' && info.keyType !== 'ec') ||
    !schemeMatchesKey(scheme, leaf, { anyCurve: true })
  ) {
    throw new TlsProtocolError(
      'signature_scheme_does_not_fit_key',
      `ServerKeyExchange scheme ${name} cannot be used with the server certificate's key in TLS 1.2 (RFC 5246 §7.4.3)`,
      AlertDescription.illegal_parameter,
    )
  }
}

export function handleCertificateRequestOrServerHelloDone(
  state: ExpectCertificateRequestOrServerHelloDone,
  msg: HandshakeMessage,
  cx: HandshakeContext,
): Step<Tls12State> {
  if (msg.type !== HandshakeType.certificate_request) return serverHelloDone(state, msg, cx, false)
  decodeCertificateRequest12(msg.body)
  return { ...serverOf(state), version: V, name: 'ExpectServerHelloDone', kx: state.kx }
}

export function handleServerHelloDone(
  state: ExpectServerHelloDone,
  msg: HandshakeMessage,
  cx: HandshakeContext,
): Tls12State {
  return serverHelloDone(state, msg, cx, true)
}

function serverHelloDone(
  state: ExpectServerHelloDone | ExpectCertificateRequestOrServerHelloDone,
  msg: HandshakeMessage,
  cx: HandshakeContext,
  certificateRequested: boolean,
): Tls12State {
  expectType(msg, HandshakeType.server_hello_done, state.name, RFC)
  decodeServerHelloDone(msg.body)
  cx.io.aligned('handshake data after ServerHelloDone before the client flight (RFC 5246 §7.3)')
  return sendClientFlight(state, state.kx, cx, certificateRequested)
}
