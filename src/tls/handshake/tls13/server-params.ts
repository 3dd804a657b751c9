/**
 * The server's parameters and authentication in TLS 1.3 (RFC 8446 §4.3, §4.4.2, §4.4.3):
 * EncryptedExtensions, CertificateRequest, Certificate (or CompressedCertificate, RFC 8879) and
 * CertificateVerify, which can only run on a `VerifiedChain`.
 */
import type { ExtensionSpec } from '../../../fingerprint/spec.js'
import { AlertDescription, HandshakeType } from '../../constants.js'
import { TlsProtocolError } from '../../errors.js'
import { decodeCertificate, decodeCertificateRequest, decompressCertificate } from '../../messages/certificate.js'
import { decodeEncryptedExtensions, type EncryptedExtensions } from '../../messages/encrypted-extensions.js'
import { checkOffered, checkSelectedAlpn } from '../../messages/extensions.js'
import { decodeCertificateVerify } from '../../messages/simple.js'
import { serverPublicKey, verifyCertificateVerify } from '../certificate-verify.js'
import { verifyServerChain } from '../chain.js'
import type { ClientHandshakeOptions, HandshakeContext } from '../context.js'
import type { HandshakeMessage } from '../handshake-reader.js'
import { andThen, expectType, type Step } from '../step.js'
import type {
  ExpectCertificate,
  ExpectCertificateOrCertificateRequest,
  ExpectCertificateVerify,
  ExpectEncryptedExtensions,
  ExpectFinished,
  Params13,
  Tls13State,
} from './states.js'

const V = 'TLSv1.3' as const
const RFC = 'RFC 8446 §4'

export function handleEncryptedExtensions(
  state: ExpectEncryptedExtensions,
  msg: HandshakeMessage,
  cx: HandshakeContext,
): ExpectCertificateOrCertificateRequest | ExpectFinished {
  expectType(msg, HandshakeType.encrypted_extensions, state.name, RFC)
  const ee = decodeEncryptedExtensions(msg.body)
  const offered = cx.options.plan.offered
  checkOffered(ee.extensions, offered.extensionTypes, 'EncryptedExtensions')
  const alpnOffered = cx.options.alpn ?? offered.alpn
  checkSelectedAlpn(ee.alpn, alpnOffered)
  checkAlps(ee, cx.options, alpnOffered)
  // RFC 8446 §2.2: a resumed handshake authenticates with the PSK: no Certificate, no CertificateVerify.
  if (state.resumed) {
    return {
      version: V,
      name: 'ExpectFinished',
      keys: state.keys,
      ee,
      certificateRequest: undefined,
      auth: { kind: 'psk' },
    }
  }
  return { version: V, name: 'ExpectCertificateOrCertificateRequest', keys: state.keys, ee }
}

/** draft-vvv-tls-alps §4: ALPS only with an ALPN protocol the client listed in its ALPS extension. */
function checkAlps(ee: EncryptedExtensions, options: ClientHandshakeOptions, alpnOffered: readonly string[]): void {
  if (ee.applicationSettings === undefined) return
  const alps = alpsSpec(options)
  if (!alps || ee.alpn === undefined || !alps.protocols.includes(ee.alpn) || !alpnOffered.includes(ee.alpn)) {
    throw new TlsProtocolError(
      'alps_without_listed_protocol',
      `server sent application_settings without negotiating a protocol the ClientHello listed for ALPS (draft-vvv-tls-alps §4)`,
      AlertDescription.unsupported_extension,
    )
  }
}

/** The ALPS extension of the ClientHello, if it carries one. */
export function alpsSpec(options: ClientHandshakeOptions): Extract<ExtensionSpec, { kind: 'alps' }> | undefined {
  for (const e of options.plan.spec.extensions) if (e.kind === 'alps') return e
  return undefined
}

export function handleCertificateOrCertificateRequest(
  state: ExpectCertificateOrCertificateRequest,
  msg: HandshakeMessage,
  cx: HandshakeContext,
): Step<Tls13State> {
  const params: Params13 = { keys: state.keys, ee: state.ee, certificateRequest: undefined }
  if (msg.type !== HandshakeType.certificate_request) return certificate(state.name, params, msg, cx)
  const certificateRequest = decodeCertificateRequest(msg.body).context
  return { ...params, version: V, name: 'ExpectCertificate', certificateRequest }
}

export function handleCertificate(
  state: ExpectCertificate,
  msg: HandshakeMessage,
  cx: HandshakeContext,
): Step<ExpectCertificateVerify> {
  return certificate(state.name, state, msg, cx)
}

/** Certificate or CompressedCertificate (RFC 8446 §4.4.2, RFC 8879 §4); the next state holds the verified chain. */
function certificate(
  stateName: string,
  params: Params13,
  msg: HandshakeMessage,
  cx: HandshakeContext,
): Step<ExpectCertificateVerify> {
  const { keys, ee, certificateRequest } = params
  return andThen(verifyServerChain(cx.options, serverChain(stateName, msg, cx)), (chain) => ({
    version: V,
    name: 'ExpectCertificateVerify' as const,
    ...{ keys, ee, certificateRequest, chain },
  }))
}

/** The chain of a server Certificate: no request context, at least one entry (RFC 8446 §4.4.2, §4.4.2.4). */
function serverChain(stateName: string, msg: HandshakeMessage, cx: HandshakeContext): [Buffer, ...Buffer[]] {
  let body: Buffer
  if (msg.type === HandshakeType.certificate) body = msg.body
  else if (msg.type === HandshakeType.compressed_certificate)
    body = decompressCertificate(msg.body, cx.options.plan.offered.certCompression)
  else {
    throw new TlsProtocolError(
      'unexpected_message_order',
      `expected Certificate in state ${stateName}, got message ${msg.type} (RFC 8446 §4.4.2)`,
      AlertDescription.unexpected_message,
    )
  }
  const cert = decodeCertificate(body)
  if (cert.context.length !== 0) {
    throw new TlsProtocolError(
      'certificate_request_context_not_empty',
      'server Certificate has a non-empty certificate_request_context (RFC 8446 §4.4.2)',
      AlertDescription.illegal_parameter,
    )
  }
  const [leaf, ...issuers] = cert.chain
  if (!leaf) {
    throw new TlsProtocolError(
      'empty_certificate',
      'server sent an empty Certificate (RFC 8446 §4.4.2.4 decode_error)',
      AlertDescription.decode_error,
    )
  }
  return [leaf, ...issuers]
}

/** CertificateVerify (RFC 8446 §4.4.3): verified against the transcript before it is added. */
export function handleCertificateVerify(
  state: ExpectCertificateVerify,
  msg: HandshakeMessage,
  cx: HandshakeContext,
): ExpectFinished {
  expectType(msg, HandshakeType.certificate_verify, state.name, RFC)
  const { scheme, signature } = decodeCertificateVerify(msg.body)
  if (!cx.options.plan.offered.signatureSchemes.includes(scheme)) {
    throw new TlsProtocolError(
      'selected_unoffered_signature_scheme',
      `CertificateVerify uses scheme 0x${scheme.toString(16)}, not offered in signature_algorithms (RFC 8446 §4.4.3)`,
      AlertDescription.illegal_parameter,
    )
  }
  const verified = verifyCertificateVerify(serverPublicKey(state.chain[0]!), scheme, cx.transcript.digest(), signature)
  cx.transcript.add(msg.raw)
  const { keys, ee, certificateRequest, chain } = state
  return {
    version: V,
    name: 'ExpectFinished',
    keys,
    ee,
    certificateRequest,
    auth: { kind: 'certificate', chain, signature: verified },
  }
}
