/**
 * ServerHello and HelloRetryRequest selecting TLS 1.3 (RFC 8446 §4.1.3, §4.1.4): the checks against
 * what the ClientHello offered, ClientHello2 after a retry, and the handshake traffic keys.
 */
import { AlertDescription, ExtensionType, HandshakeType, ProtocolVersion, groupName } from '../../constants.js'
import { TLS13_CIPHER_SUITES, type CipherSuite13 } from '../../crypto/cipher-suites.js'
import { KeySchedule13 } from '../../crypto/key-schedule.js'
import { TlsProtocolError } from '../../errors.js'
import {
  decodeCookie,
  decodeHrrKeyShare,
  decodeSelectedIdentity,
  decodeServerHello,
  decodeServerKeyShare,
  type ServerHello,
} from '../../messages/server-hello.js'
import { keySharesFor, sendClientHello, type HelloOffer } from '../client-hello.js'
import type { HandshakeContext, StoredTicket } from '../context.js'
import type { HandshakeMessage } from '../handshake-reader.js'
import { expectType } from '../step.js'
import type { ExpectEncryptedExtensions, ExpectServerHelloAfterRetry, Tls13State } from './states.js'

const V = 'TLSv1.3' as const

/**
 * A ServerHello or HelloRetryRequest with supported_versions; `retrySuite` when it answers ClientHello2.
 * Verified before it enters the transcript: a HelloRetryRequest restarts it (RFC 8446 §4.4.1).
 */
export function serverHello13(
  sh: ServerHello,
  msg: HandshakeMessage,
  cx: HandshakeContext,
  offer: HelloOffer,
  retrySuite?: CipherSuite13,
): Tls13State {
  const suite = checkSelection(sh, cx, retrySuite)
  checkExtensions(sh, cx)
  if (!sh.isHelloRetryRequest) return serverHello(sh, msg, cx, offer, suite, retrySuite !== undefined)
  if (retrySuite) {
    throw new TlsProtocolError(
      'second_hello_retry_request',
      'second HelloRetryRequest (RFC 8446 §4.1.4: unexpected_message)',
      AlertDescription.unexpected_message,
    )
  }
  return helloRetryRequest(sh, msg, cx, offer, suite)
}

/** ExpectServerHello after a HelloRetryRequest: the version must stay TLS 1.3 (RFC 8446 §4.1.4). */
export function handleServerHelloAfterRetry(
  state: ExpectServerHelloAfterRetry,
  msg: HandshakeMessage,
  cx: HandshakeContext,
): Tls13State {
  expectType(msg, HandshakeType.server_hello, state.name, 'RFC 8446 §4')
  const sh = decodeServerHello(msg.body)
  if (sh.selectedVersion === undefined) {
    throw new TlsProtocolError(
      'version_changed_after_hello_retry_request',
      'ServerHello after a HelloRetryRequest selects TLS 1.2; the version must not change (RFC 8446 §4.1.4)',
      AlertDescription.illegal_parameter,
    )
  }
  return serverHello13(sh, msg, cx, state.offer, state.suite)
}

/** Version, session id echo, compression and suite (RFC 8446 §4.1.3); returns the suite. */
function checkSelection(sh: ServerHello, cx: HandshakeContext, retrySuite: CipherSuite13 | undefined): CipherSuite13 {
  const offered = cx.options.plan.offered
  const fail = (rule: string, message: string): never => {
    throw new TlsProtocolError(rule, message, AlertDescription.illegal_parameter)
  }
  const hex = (n: number): string => `0x${n.toString(16)}`
  if (sh.selectedVersion !== ProtocolVersion.TLS13 || !offered.versions.includes(sh.selectedVersion))
    fail(
      'selected_unoffered_version',
      `server selected version ${hex(sh.selectedVersion ?? 0)}, not offered TLS 1.3 (RFC 8446 §4.2.1)`,
    )
  if (sh.legacyVersion !== ProtocolVersion.TLS12)
    fail('bad_legacy_version', `ServerHello legacy_version ${hex(sh.legacyVersion)} must be 0x0303 (RFC 8446 §4.1.3)`)
  if (!sh.sessionId.equals(cx.sessionId))
    fail(
      'session_id_not_echoed',
      'ServerHello legacy_session_id_echo does not echo the ClientHello session id (RFC 8446 §4.1.3)',
    )
  if (sh.compressionMethod !== 0)
    fail('selected_unoffered_compression', 'ServerHello legacy_compression_method must be 0 (RFC 8446 §4.1.3)')
  if (!offered.cipherSuites.includes(sh.cipherSuite))
    fail(
      'selected_unoffered_cipher_suite',
      `server selected cipher suite ${hex(sh.cipherSuite)} that the ClientHello did not offer (RFC 8446 §4.1.3)`,
    )
  const suite = TLS13_CIPHER_SUITES.get(sh.cipherSuite)
  if (!suite)
    return fail(
      'selected_cipher_suite_of_other_version',
      `server selected ${hex(sh.cipherSuite)}, which is not a TLS 1.3 cipher suite (RFC 8446 §4.1.3)`,
    )
  if (retrySuite && retrySuite.id !== suite.id)
    fail(
      'cipher_suite_changed_after_hello_retry_request',
      'ServerHello cipher suite differs from the HelloRetryRequest one (RFC 8446 §4.1.4)',
    )
  return suite
}

/** Only supported_versions, key_share and pre_shared_key (cookie in a HelloRetryRequest) belong here (RFC 8446 §4.2). */
function checkExtensions(sh: ServerHello, cx: HandshakeContext): void {
  const offered = cx.options.plan.offered
  const allowed = sh.isHelloRetryRequest
    ? [ExtensionType.supported_versions, ExtensionType.key_share, ExtensionType.cookie]
    : [ExtensionType.supported_versions, ExtensionType.key_share, ExtensionType.pre_shared_key]
  for (const type of sh.extensions.keys()) {
    if (!allowed.includes(type as never)) {
      throw new TlsProtocolError(
        'extension_not_allowed_in_server_hello',
        `${sh.isHelloRetryRequest ? 'HelloRetryRequest' : 'ServerHello'} carries extension ${type}, not allowed there (RFC 8446 §4.2)`,
        offered.extensionTypes.has(type) || type === ExtensionType.cookie
          ? AlertDescription.illegal_parameter
          : AlertDescription.unsupported_extension,
      )
    }
  }
}

/** HelloRetryRequest (RFC 8446 §4.1.4): restart the transcript, send ClientHello2 with the asked-for share or cookie. */
function helloRetryRequest(
  sh: ServerHello,
  msg: HandshakeMessage,
  cx: HandshakeContext,
  offer: HelloOffer,
  suite: CipherSuite13,
): ExpectServerHelloAfterRetry {
  const cookieBody = sh.extensions.get(ExtensionType.cookie)
  const cookie = cookieBody ? decodeCookie(cookieBody) : undefined
  const group = retryGroup(sh, cx, offer)
  if (group === undefined && !cookie) {
    // RFC 8446 §4.1.4: a HelloRetryRequest that would not change the ClientHello is illegal.
    throw new TlsProtocolError(
      'hrr_changes_nothing',
      'HelloRetryRequest changes nothing: no key_share and no cookie (RFC 8446 §4.1.4)',
      AlertDescription.illegal_parameter,
    )
  }
  cx.transcript.restartAfterHelloRetryRequest(suite.hash)
  cx.transcript.add(msg.raw)
  const keyShares = group === undefined ? offer.keyShares : keySharesFor(cx.options, [group])
  sendCompatibilityCcs(cx)
  return { version: V, name: 'ExpectServerHello', offer: sendClientHello(cx, keyShares, { suite, cookie }), suite }
}

/** The group a HelloRetryRequest asks a share for: offered, and not one a share was sent for (RFC 8446 §4.2.8). */
function retryGroup(sh: ServerHello, cx: HandshakeContext, offer: HelloOffer): number | undefined {
  const ks = sh.extensions.get(ExtensionType.key_share)
  if (!ks) return undefined
  const group = decodeHrrKeyShare(ks)
  if (!cx.options.plan.offered.groups.includes(group)) {
    throw new TlsProtocolError(
      'hrr_selected_unoffered_group',
      `HelloRetryRequest selected group ${groupName(group)}, not in supported_groups (RFC 8446 §4.2.8)`,
      AlertDescription.illegal_parameter,
    )
  }
  if (offer.keyShares.some((k) => k.group === group)) {
    throw new TlsProtocolError(
      'hrr_selected_group_already_shared',
      `HelloRetryRequest asks for group ${groupName(group)}, for which a share was already sent (RFC 8446 §4.2.8)`,
      AlertDescription.illegal_parameter,
    )
  }
  return group
}

/** RFC 8446 §D.4: with a non-empty legacy_session_id the client sends one dummy change_cipher_spec. */
export function sendCompatibilityCcs(cx: HandshakeContext): void {
  if (cx.sessionId.length > 0) cx.io.sendChangeCipherSpec()
}

/** The real ServerHello: shared secret, transcript, handshake traffic keys once the reader is aligned (RFC 8446 §7.1). */
function serverHello(
  sh: ServerHello,
  msg: HandshakeMessage,
  cx: HandshakeContext,
  offer: HelloOffer,
  suite: CipherSuite13,
  helloRetry: boolean,
): ExpectEncryptedExtensions {
  const psk = acceptedPsk(sh, offer, suite)
  const { group, shared } = sharedSecret(sh, offer)
  cx.transcript.setHash(suite.hash)
  cx.transcript.add(msg.raw)
  const aligned = cx.io.aligned('handshake data after ServerHello in the same record as a key change (RFC 8446 §5.1)')
  const schedule = new KeySchedule13(suite.hash, psk?.psk)
  const secrets = schedule.handshake(shared, cx.transcript.digest())
  cx.io.logSecret('CLIENT_HANDSHAKE_TRAFFIC_SECRET', secrets.client)
  cx.io.logSecret('SERVER_HANDSHAKE_TRAFFIC_SECRET', secrets.server)
  cx.io.setReadKeys(suite, secrets.server, aligned)
  const keys = { suite, schedule, clientSecret: secrets.client, serverSecret: secrets.server, group, helloRetry }
  return { version: V, name: 'ExpectEncryptedExtensions', keys, resumed: psk !== undefined }
}

/** The server's key_share must use a group the ClientHello sent a share for (RFC 8446 §4.2.8). */
function sharedSecret(sh: ServerHello, offer: HelloOffer): { group: number; shared: Buffer } {
  const ksBody = sh.extensions.get(ExtensionType.key_share)
  if (!ksBody) {
    throw new TlsProtocolError(
      'missing_key_share',
      'ServerHello has no key_share; hotconn offers no PSK-only mode (RFC 8446 §4.2.8 missing_extension)',
      AlertDescription.missing_extension,
    )
  }
  const serverShare = decodeServerKeyShare(ksBody)
  const mine = offer.keyShares.find((k) => k.group === serverShare.group)
  if (!mine) {
    throw new TlsProtocolError(
      'key_share_for_unsent_group',
      `server key_share uses group ${groupName(serverShare.group)}, for which the ClientHello sent no share (RFC 8446 §4.2.8)`,
      AlertDescription.illegal_parameter,
    )
  }
  return { group: serverShare.group, shared: mine.deriveSecret(serverShare.keyExchange) }
}

/** The ticket whose PSK the server selected (RFC 8446 §4.2.11), checked against the offer; undefined for a full handshake. */
function acceptedPsk(sh: ServerHello, offer: HelloOffer, suite: CipherSuite13): StoredTicket | undefined {
  const body = sh.extensions.get(ExtensionType.pre_shared_key)
  if (!body) return undefined
  const ticket = offer.psk
  if (!ticket) {
    throw new TlsProtocolError(
      'selected_unoffered_psk',
      'ServerHello selected a pre_shared_key that the ClientHello did not offer (RFC 8446 §4.2.11)',
      AlertDescription.unsupported_extension,
    )
  }
  const selected = decodeSelectedIdentity(body)
  if (selected !== 0) {
    throw new TlsProtocolError(
      'selected_unoffered_psk_identity',
      `ServerHello selected PSK identity ${selected}, but only identity 0 was offered (RFC 8446 §4.2.11)`,
      AlertDescription.illegal_parameter,
    )
  }
  if (suite.hash !== ticket.cipherSuite.hash) {
    throw new TlsProtocolError(
      'resumed_with_other_hash',
      "server resumed with a cipher suite whose hash differs from the ticket's (RFC 8446 §4.2.11)",
      AlertDescription.illegal_parameter,
    )
  }
  return ticket
}
