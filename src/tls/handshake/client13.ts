/**
 * The TLS 1.3 client handshake (RFC 8446 §2, §4) as an explicit state machine over one context:
 * each state names the message it expects next (rustls style), each step is a small method
 * (Go crypto/tls style), and each check cites the rule.
 */
import { X509Certificate, randomBytes, timingSafeEqual } from 'node:crypto'
import { ownedCopy } from '../../util/bytes.js'
import type { ClientHelloPlan, ExtensionSpec } from '../../fingerprint/spec.js'
import { encodeClientHello } from '../../fingerprint/encode.js'
import { AlertDescription, ExtensionType, HandshakeType, ProtocolVersion, groupName } from '../constants.js'
import { TLS13_CIPHER_SUITES, type CipherSuite13 } from '../crypto/cipher-suites.js'
import { generateKeyShares, type KeyShare } from '../crypto/key-exchange.js'
import { KeySchedule13, finishedVerifyData } from '../crypto/key-schedule.js'
import { TlsIncompatibleError, TlsProtocolError } from '../errors.js'
import { checkOffered } from '../messages/extensions.js'
import { decodeEncryptedExtensions, type EncryptedExtensions } from '../messages/encrypted-extensions.js'
import {
  decodeCookie,
  decodeHrrKeyShare,
  decodeServerHello,
  decodeSelectedIdentity,
  decodeServerKeyShare,
  type ServerHello,
} from '../messages/server-hello.js'
import { decodeCertificate, decodeCertificateRequest, decompressCertificate } from '../messages/certificate.js'
import {
  decodeCertificateVerify,
  encodeClientEncryptedExtensions,
  encodeEmptyCertificate,
  encodeFinished,
} from '../messages/simple.js'
import type { StoredTicket, StoredTicket12 } from '../session-cache.js'
import { verifyCertificateVerify } from './certificate-verify.js'
import { pskOffer, writeBinder } from './psk.js'
import { ClientHandshake12, type HandshakeResult12 } from './client12.js'
import type { HandshakeIo } from './context.js'
import type { HandshakeMessage } from './handshake-reader.js'
import { Transcript } from './transcript.js'

/** Verifies the server's chain for `host`; throws TlsCertificateError. May be async. */
export type ChainVerifier = (chain: readonly Buffer[], host: string) => void | Promise<void>

export interface ClientHandshakeOptions {
  readonly plan: ClientHelloPlan
  /** SNI host_name (undefined: none). */
  readonly serverName: string | undefined
  /** Hostname the certificate must match. */
  readonly host: string
  /** undefined skips verification (insecure). */
  readonly verifyChain: ChainVerifier | undefined
  readonly alpn?: readonly string[]
  readonly mlKemBackend?: 'node:crypto' | '@noble/post-quantum'
  /** A stored ticket to offer as a resumption PSK (RFC 8446 §4.2.11, psk_dhe_ke). */
  readonly resumption?: StoredTicket
  /**
   * A stored TLS 1.2 ticket to send in session_ticket (RFC 5077 §3.4) when no PSK is offered; the
   * server resumes it by echoing the ClientHello's legacy_session_id. Needs a profile whose
   * session id is not empty. A server that answers TLS 1.3 leaves it unused.
   */
  readonly tls12Resumption?: StoredTicket12
}

/** What the handshake learned, for TlsSocket.info. */
export interface HandshakeResult {
  readonly version: 'TLSv1.3'
  readonly cipherSuite: CipherSuite13
  readonly group: number
  readonly alpn: string | undefined
  readonly helloRetry: boolean
  readonly peerCertificates: readonly Buffer[]
  readonly recordSizeLimit: number | undefined
  /** 0 when resumed (no CertificateVerify). */
  readonly signatureScheme: number
  readonly resumptionMasterSecret: Buffer
  /** The server accepted the offered PSK: no certificate was sent or verified in this handshake. */
  readonly resumed: boolean
}

/** The result of either version's handshake. */
export type HandshakeOutcome = HandshakeResult | HandshakeResult12

type State =
  | { name: 'ExpectServerHello' }
  | { name: 'ExpectEncryptedExtensions' }
  | { name: 'ExpectCertificateOrCertificateRequest' }
  | { name: 'ExpectCertificate' }
  | { name: 'ExpectCertificateVerify' }
  | { name: 'ExpectFinished' }
  | { name: 'Done' }

export class ClientHandshake13 {
  private state: State = { name: 'ExpectServerHello' }
  private readonly transcript = new Transcript()
  private readonly random = randomBytes(32)
  private readonly sessionId: Buffer
  private keyShares: KeyShare[] = []
  private helloRetry = false
  private sentCcs = false
  private suite: CipherSuite13 | undefined
  private schedule: KeySchedule13 | undefined
  private group = 0
  private serverHandshakeSecret: Buffer | undefined
  private clientHandshakeSecret: Buffer | undefined
  private ee: EncryptedExtensions | undefined
  private certificateRequestContext: Buffer | undefined
  private chain: Buffer[] = []
  private scheme = 0
  private result: HandshakeResult | undefined
  /** Set when the ServerHello selected TLS 1.2: every later message goes there. */
  private tls12: ClientHandshake12 | undefined
  /** The ticket offered in the last ClientHello, if any. */
  private pskOffered: StoredTicket | undefined
  private resumed = false

  constructor(
    private readonly io: HandshakeIo,
    private readonly options: ClientHandshakeOptions,
  ) {
    this.sessionId = randomBytes(options.plan.spec.sessionIdLength)
  }

  get clientRandom(): Buffer {
    return this.random
  }

  /** Record-layer version for the first ClientHello record (the profile's, usually 0x0301). */
  get recordVersion(): number {
    return this.options.plan.spec.recordVersion
  }

  get stateName(): State['name'] {
    return this.state.name
  }

  get done(): HandshakeOutcome | undefined {
    return this.result ?? this.tls12?.done
  }

  /** The TLS 1.2 handshake this one handed over to, if the server chose TLS 1.2. */
  get tls12Handshake(): ClientHandshake12 | undefined {
    return this.tls12
  }

  /** Builds and sends ClientHello1 (RFC 8446 §4.1.2). */
  start(): void {
    const plan = this.options.plan
    this.keyShares = generateKeyShares(plan.keyShareGroups, {
      reuseX25519InHybrid: plan.spec.reuseX25519InHybrid,
      ...(this.options.mlKemBackend ? { mlKemBackend: this.options.mlKemBackend } : {}),
    })
    this.sendClientHello({})
  }

  private sendClientHello(extra: { retry?: boolean; cookie?: Buffer }): void {
    const ticket = this.ticketToOffer()
    this.pskOffered = ticket
    const ticket12 = this.tls12TicketToOffer()
    const encoded = encodeClientHello(this.options.plan, {
      random: this.random,
      sessionId: this.sessionId,
      serverName: this.options.serverName,
      keyShares: this.keyShares.map((k) => ({ group: k.group, keyExchange: k.publicKey })),
      ...(this.options.alpn ? { alpn: this.options.alpn } : {}),
      ...(ticket ? { psk: pskOffer(ticket) } : {}),
      ...(ticket12 ? { sessionTicket: ticket12.ticket } : {}),
      ...extra,
    })
    if (ticket && encoded.bindersOffset !== undefined) {
      writeBinder(encoded.message, encoded.bindersOffset, ticket, (partial) =>
        this.transcript.digestWith(partial, ticket.cipherSuite.hash),
      )
    }
    this.transcript.add(encoded.message)
    this.io.sendHandshake(encoded.message)
  }

  /** RFC 8446 §4.1.4: after a HelloRetryRequest, only a PSK whose hash matches the selected suite may be offered. */
  private ticketToOffer(): StoredTicket | undefined {
    const ticket = this.options.resumption
    if (!ticket) return undefined
    if (this.suite && this.suite.hash !== ticket.cipherSuite.hash) return undefined
    return ticket
  }

  /**
   * RFC 5077 §3.4: the TLS 1.2 ticket goes in session_ticket with a fresh random session id (this
   * connection's, `spec.sessionIdLength` bytes), only when no TLS 1.3 PSK is offered and the session id is not empty.
   */
  private tls12TicketToOffer(): StoredTicket12 | undefined {
    const ticket = this.options.tls12Resumption
    if (!ticket || this.options.resumption || this.sessionId.length === 0) return undefined
    return ticket
  }

  /** Handles one handshake message; returns a promise only while certificate verification runs. */
  handle(msg: HandshakeMessage): void | Promise<void> {
    if (this.tls12) return this.tls12.handle(msg)
    switch (this.state.name) {
      case 'ExpectServerHello':
        return this.expect(msg, HandshakeType.server_hello, () => this.processServerHello(msg))
      case 'ExpectEncryptedExtensions':
        return this.expect(msg, HandshakeType.encrypted_extensions, () => this.processEncryptedExtensions(msg))
      case 'ExpectCertificateOrCertificateRequest':
        if (msg.type === HandshakeType.certificate_request) return this.processCertificateRequest(msg)
        return this.processCertificate(msg)
      case 'ExpectCertificate':
        return this.processCertificate(msg)
      case 'ExpectCertificateVerify':
        return this.expect(msg, HandshakeType.certificate_verify, () => this.processCertificateVerify(msg))
      case 'ExpectFinished':
        return this.expect(msg, HandshakeType.finished, () => this.processServerFinished(msg))
      case 'Done':
        throw new TlsProtocolError(
          `handshake message ${msg.type} after the handshake completed`,
          AlertDescription.unexpected_message,
        )
    }
  }

  private expect<T>(msg: HandshakeMessage, type: number, step: () => T): T {
    if (msg.type !== type) {
      throw new TlsProtocolError(
        `expected handshake message ${type} in state ${this.state.name}, got ${msg.type} (RFC 8446 §4 message order)`,
        AlertDescription.unexpected_message,
      )
    }
    return step()
  }

  // ServerHello / HelloRetryRequest -------------------------------------------------------------

  private processServerHello(msg: HandshakeMessage): void {
    const sh = decodeServerHello(msg.body)
    if (sh.selectedVersion === undefined) return this.handOverToTls12(sh, msg)
    this.checkServerHelloCommon(sh)
    if (sh.isHelloRetryRequest) return this.processHelloRetryRequest(sh, msg)
    this.processServerHelloProper(sh, msg)
  }

  /** Checks shared by ServerHello and HelloRetryRequest (RFC 8446 §4.1.3). */
  private checkServerHelloCommon(sh: ServerHello): void {
    const offered = this.options.plan.offered
    if (sh.selectedVersion !== ProtocolVersion.TLS13 || !offered.versions.includes(sh.selectedVersion)) {
      throw new TlsProtocolError(
        `server selected version 0x${(sh.selectedVersion ?? 0).toString(16)}, not offered TLS 1.3 (RFC 8446 §4.2.1)`,
        AlertDescription.illegal_parameter,
      )
    }
    if (sh.legacyVersion !== ProtocolVersion.TLS12) {
      throw new TlsProtocolError(
        `ServerHello legacy_version 0x${sh.legacyVersion.toString(16)} must be 0x0303 (RFC 8446 §4.1.3)`,
        AlertDescription.illegal_parameter,
      )
    }
    if (!sh.sessionId.equals(this.sessionId)) {
      throw new TlsProtocolError(
        'ServerHello legacy_session_id_echo does not echo the ClientHello session id (RFC 8446 §4.1.3)',
        AlertDescription.illegal_parameter,
      )
    }
    if (sh.compressionMethod !== 0) {
      throw new TlsProtocolError(
        'ServerHello legacy_compression_method must be 0 (RFC 8446 §4.1.3)',
        AlertDescription.illegal_parameter,
      )
    }
    if (!offered.cipherSuites.includes(sh.cipherSuite)) {
      throw new TlsProtocolError(
        `server selected cipher suite 0x${sh.cipherSuite.toString(16)} that the ClientHello did not offer (RFC 8446 §4.1.3)`,
        AlertDescription.illegal_parameter,
      )
    }
    if (!TLS13_CIPHER_SUITES.has(sh.cipherSuite)) {
      throw new TlsProtocolError(
        `server selected 0x${sh.cipherSuite.toString(16)}, which is not a TLS 1.3 cipher suite (RFC 8446 §4.1.3)`,
        AlertDescription.illegal_parameter,
      )
    }
    if (this.suite && this.suite.id !== sh.cipherSuite) {
      throw new TlsProtocolError(
        'ServerHello cipher suite differs from the HelloRetryRequest one (RFC 8446 §4.1.4)',
        AlertDescription.illegal_parameter,
      )
    }
    const allowed = sh.isHelloRetryRequest
      ? [ExtensionType.supported_versions, ExtensionType.key_share, ExtensionType.cookie]
      : [ExtensionType.supported_versions, ExtensionType.key_share, ExtensionType.pre_shared_key]
    for (const type of sh.extensions.keys()) {
      if (!allowed.includes(type as never)) {
        throw new TlsProtocolError(
          `${sh.isHelloRetryRequest ? 'HelloRetryRequest' : 'ServerHello'} carries extension ${type}, not allowed there (RFC 8446 §4.2)`,
          offered.extensionTypes.has(type) || type === ExtensionType.cookie
            ? AlertDescription.illegal_parameter
            : AlertDescription.unsupported_extension,
        )
      }
    }
    if (!sh.isHelloRetryRequest && sh.extensions.has(ExtensionType.pre_shared_key) && !this.pskOffered) {
      throw new TlsProtocolError(
        'ServerHello selected a pre_shared_key that the ClientHello did not offer (RFC 8446 §4.2.11)',
        AlertDescription.unsupported_extension,
      )
    }
  }

  /**
   * No supported_versions: the server negotiated TLS 1.2 or older (RFC 8446 §4.1.3, §4.2.1). The same
   * ClientHello transcript and random carry on in the TLS 1.2 handshake, which checks the rest.
   */
  private handOverToTls12(sh: ServerHello, msg: HandshakeMessage): void {
    if (this.helloRetry) {
      throw new TlsProtocolError(
        'ServerHello after a HelloRetryRequest selects TLS 1.2; the version must not change (RFC 8446 §4.1.4)',
        AlertDescription.illegal_parameter,
      )
    }
    const ticket12 = this.tls12TicketToOffer()
    this.tls12 = new ClientHandshake12(this.io, this.options, {
      transcript: this.transcript,
      clientRandom: this.random,
      ...(ticket12 ? { resumption: { ticket: ticket12, sessionId: this.sessionId } } : {}),
    })
    this.tls12.processServerHello(sh, msg)
  }

  private processHelloRetryRequest(sh: ServerHello, msg: HandshakeMessage): void {
    if (this.helloRetry) {
      throw new TlsProtocolError(
        'second HelloRetryRequest (RFC 8446 §4.1.4: unexpected_message)',
        AlertDescription.unexpected_message,
      )
    }
    this.helloRetry = true
    this.suite = TLS13_CIPHER_SUITES.get(sh.cipherSuite)!
    const ks = sh.extensions.get(ExtensionType.key_share)
    const cookieBody = sh.extensions.get(ExtensionType.cookie)
    const cookie = cookieBody ? decodeCookie(cookieBody) : undefined
    let group: number | undefined
    if (ks) {
      group = decodeHrrKeyShare(ks)
      if (!this.options.plan.offered.groups.includes(group)) {
        throw new TlsProtocolError(
          `HelloRetryRequest selected group ${groupName(group)}, not in supported_groups (RFC 8446 §4.2.8)`,
          AlertDescription.illegal_parameter,
        )
      }
      if (this.keyShares.some((k) => k.group === group)) {
        throw new TlsProtocolError(
          `HelloRetryRequest asks for group ${groupName(group)}, for which a share was already sent (RFC 8446 §4.2.8)`,
          AlertDescription.illegal_parameter,
        )
      }
    } else if (!cookie) {
      // RFC 8446 §4.1.4: a HelloRetryRequest that would not change the ClientHello is illegal.
      throw new TlsProtocolError(
        'HelloRetryRequest changes nothing: no key_share and no cookie (RFC 8446 §4.1.4)',
        AlertDescription.illegal_parameter,
      )
    }
    this.transcript.restartAfterHelloRetryRequest(this.suite.hash)
    this.transcript.add(msg.raw)
    if (group !== undefined) {
      this.keyShares = generateKeyShares([group], {
        ...(this.options.mlKemBackend ? { mlKemBackend: this.options.mlKemBackend } : {}),
      })
    }
    this.sendChangeCipherSpecOnce()
    this.sendClientHello({ retry: true, ...(cookie ? { cookie } : {}) })
  }

  private processServerHelloProper(sh: ServerHello, msg: HandshakeMessage): void {
    this.suite = TLS13_CIPHER_SUITES.get(sh.cipherSuite)!
    const ksBody = sh.extensions.get(ExtensionType.key_share)
    if (!ksBody) {
      throw new TlsProtocolError(
        'ServerHello has no key_share; hotconn offers no PSK-only mode (RFC 8446 §4.2.8 missing_extension)',
        AlertDescription.missing_extension,
      )
    }
    const serverShare = decodeServerKeyShare(ksBody)
    const mine = this.keyShares.find((k) => k.group === serverShare.group)
    if (!mine) {
      throw new TlsProtocolError(
        `server key_share uses group ${groupName(serverShare.group)}, for which the ClientHello sent no share (RFC 8446 §4.2.8)`,
        AlertDescription.illegal_parameter,
      )
    }
    this.group = serverShare.group
    const psk = this.acceptedPsk(sh)
    const shared = mine.deriveSecret(serverShare.keyExchange)
    this.transcript.setHash(this.suite.hash)
    this.transcript.add(msg.raw)
    this.establishHandshakeKeys(shared, psk)
  }

  /** The PSK the server selected (RFC 8446 §4.2.11), checked against what was offered; undefined for a full handshake. */
  private acceptedPsk(sh: ServerHello): Buffer | undefined {
    const body = sh.extensions.get(ExtensionType.pre_shared_key)
    if (!body) return undefined
    const ticket = this.pskOffered!
    const selected = decodeSelectedIdentity(body)
    if (selected !== 0) {
      throw new TlsProtocolError(
        `ServerHello selected PSK identity ${selected}, but only identity 0 was offered (RFC 8446 §4.2.11)`,
        AlertDescription.illegal_parameter,
      )
    }
    if (this.suite!.hash !== ticket.cipherSuite.hash) {
      throw new TlsProtocolError(
        "server resumed with a cipher suite whose hash differs from the ticket's (RFC 8446 §4.2.11)",
        AlertDescription.illegal_parameter,
      )
    }
    this.resumed = true
    return ticket.psk
  }

  private establishHandshakeKeys(sharedSecret: Buffer, psk: Buffer | undefined): void {
    const suite = this.suite!
    if (this.io.hasPartialHandshake()) {
      throw new TlsProtocolError(
        'handshake data after ServerHello in the same record as a key change (RFC 8446 §5.1)',
        AlertDescription.unexpected_message,
      )
    }
    this.schedule = new KeySchedule13(suite.hash, psk)
    const secrets = this.schedule.handshake(sharedSecret, this.transcript.digest())
    this.clientHandshakeSecret = secrets.client
    this.serverHandshakeSecret = secrets.server
    this.io.logSecret('CLIENT_HANDSHAKE_TRAFFIC_SECRET', secrets.client)
    this.io.logSecret('SERVER_HANDSHAKE_TRAFFIC_SECRET', secrets.server)
    this.io.setReadKeys(suite, secrets.server)
    this.state = { name: 'ExpectEncryptedExtensions' }
  }

  // Server parameters ---------------------------------------------------------------------------

  private processEncryptedExtensions(msg: HandshakeMessage): void {
    const ee = decodeEncryptedExtensions(msg.body)
    const offered = this.options.plan.offered
    checkOffered(ee.extensions, offered.extensionTypes, 'EncryptedExtensions')
    const alpnOffered = this.options.alpn ?? offered.alpn
    if (ee.alpn !== undefined && !alpnOffered.includes(ee.alpn)) {
      throw new TlsProtocolError(
        `server selected ALPN "${ee.alpn}", which was not offered (RFC 7301 §3.2)`,
        AlertDescription.illegal_parameter,
      )
    }
    if (ee.applicationSettings !== undefined) {
      // draft-vvv-tls-alps §4: ALPS only with an ALPN protocol the client listed in its ALPS extension.
      const alps = this.alpsSpec()
      if (!alps || ee.alpn === undefined || !alps.protocols.includes(ee.alpn) || !alpnOffered.includes(ee.alpn)) {
        throw new TlsProtocolError(
          `server sent application_settings without negotiating a protocol the ClientHello listed for ALPS (draft-vvv-tls-alps §4)`,
          AlertDescription.unsupported_extension,
        )
      }
    }
    this.ee = ee
    this.transcript.add(msg.raw)
    // RFC 8446 §2.2: a resumed handshake authenticates with the PSK: no Certificate, no CertificateVerify.
    this.state = this.resumed ? { name: 'ExpectFinished' } : { name: 'ExpectCertificateOrCertificateRequest' }
  }

  /** The ALPS extension of the ClientHello, if it carries one. */
  private alpsSpec(): Extract<ExtensionSpec, { kind: 'alps' }> | undefined {
    for (const e of this.options.plan.spec.extensions) if (e.kind === 'alps') return e
    return undefined
  }

  private processCertificateRequest(msg: HandshakeMessage): void {
    this.certificateRequestContext = decodeCertificateRequest(msg.body).context
    this.transcript.add(msg.raw)
    this.state = { name: 'ExpectCertificate' }
  }

  private processCertificate(msg: HandshakeMessage): void | Promise<void> {
    let body: Buffer
    if (msg.type === HandshakeType.certificate) body = msg.body
    else if (msg.type === HandshakeType.compressed_certificate)
      body = decompressCertificate(msg.body, this.options.plan.offered.certCompression)
    else {
      throw new TlsProtocolError(
        `expected Certificate in state ${this.state.name}, got message ${msg.type} (RFC 8446 §4.4.2)`,
        AlertDescription.unexpected_message,
      )
    }
    const cert = decodeCertificate(body)
    if (cert.context.length !== 0) {
      throw new TlsProtocolError(
        'server Certificate has a non-empty certificate_request_context (RFC 8446 §4.4.2)',
        AlertDescription.illegal_parameter,
      )
    }
    if (cert.chain.length === 0) {
      throw new TlsProtocolError(
        'server sent an empty Certificate (RFC 8446 §4.4.2.4 decode_error)',
        AlertDescription.decode_error,
      )
    }
    // Own copies: the DER views point into the decrypted handshake flight, which they would keep alive.
    this.chain = cert.chain.map(ownedCopy)
    this.transcript.add(msg.raw)
    this.state = { name: 'ExpectCertificateVerify' }
    const verify = this.options.verifyChain
    return verify ? verify(cert.chain, this.options.host) : undefined
  }

  private processCertificateVerify(msg: HandshakeMessage): void {
    const { scheme, signature } = decodeCertificateVerify(msg.body)
    if (!this.options.plan.offered.signatureSchemes.includes(scheme)) {
      throw new TlsProtocolError(
        `CertificateVerify uses scheme 0x${scheme.toString(16)}, not offered in signature_algorithms (RFC 8446 §4.4.3)`,
        AlertDescription.illegal_parameter,
      )
    }
    verifyCertificateVerify(new X509Certificate(this.chain[0]!), scheme, this.transcript.digest(), signature)
    this.scheme = scheme
    this.transcript.add(msg.raw)
    this.state = { name: 'ExpectFinished' }
  }

  // Finished ------------------------------------------------------------------------------------

  private processServerFinished(msg: HandshakeMessage): void {
    const suite = this.suite!
    const expected = finishedVerifyData(suite.hash, this.serverHandshakeSecret!, this.transcript.digest())
    if (msg.body.length !== expected.length || !timingSafeEqualBuf(msg.body, expected)) {
      throw new TlsProtocolError(
        'server Finished verify_data is wrong (RFC 8446 §4.4.4 decrypt_error)',
        AlertDescription.decrypt_error,
      )
    }
    if (this.io.hasPartialHandshake()) {
      throw new TlsProtocolError(
        'handshake data after server Finished in the same record as a key change (RFC 8446 §5.1)',
        AlertDescription.unexpected_message,
      )
    }
    this.transcript.add(msg.raw)
    const app = this.schedule!.application(this.transcript.digest())
    this.io.logSecret('CLIENT_TRAFFIC_SECRET_0', app.client)
    this.io.logSecret('SERVER_TRAFFIC_SECRET_0', app.server)
    this.io.logSecret('EXPORTER_SECRET', app.exporter)
    this.io.setReadKeys(suite, app.server)
    this.sendClientFinished(app.client)
  }

  private sendClientFinished(clientApplicationSecret: Buffer): void {
    const suite = this.suite!
    this.sendChangeCipherSpecOnce()
    this.io.setWriteKeys(suite, this.clientHandshakeSecret!)
    if (this.ee?.applicationSettings !== undefined) {
      // draft-vvv-tls-alps §4: a client that negotiated ALPS answers with its own settings for that protocol.
      const settings = this.alpsSpec()?.settings?.[this.ee.alpn!] ?? new Uint8Array(0)
      const ee = encodeClientEncryptedExtensions(this.alpsSpec()!.type, settings)
      this.transcript.add(ee)
      this.io.sendHandshake(ee)
    }
    if (this.certificateRequestContext !== undefined) {
      const cert = encodeEmptyCertificate(this.certificateRequestContext)
      this.transcript.add(cert)
      this.io.sendHandshake(cert)
    }
    const fin = encodeFinished(finishedVerifyData(suite.hash, this.clientHandshakeSecret!, this.transcript.digest()))
    this.transcript.add(fin)
    this.io.sendHandshake(fin)
    this.io.setWriteKeys(suite, clientApplicationSecret)
    this.result = {
      version: 'TLSv1.3',
      cipherSuite: suite,
      group: this.group,
      alpn: this.ee?.alpn,
      helloRetry: this.helloRetry,
      peerCertificates: this.chain,
      recordSizeLimit: this.ee?.recordSizeLimit,
      signatureScheme: this.scheme,
      resumptionMasterSecret: this.schedule!.resumptionMasterSecret(this.transcript.digest()),
      resumed: this.resumed,
    }
    this.state = { name: 'Done' }
    // Nothing of the handshake is needed any more; a pooled connection may live for minutes.
    this.keyShares = []
  }

  private sendChangeCipherSpecOnce(): void {
    // RFC 8446 §D.4: with a non-empty legacy_session_id the client sends one dummy CCS.
    if (this.sentCcs || this.options.plan.spec.sessionIdLength === 0) return
    this.sentCcs = true
    this.io.sendChangeCipherSpec()
  }
}

function timingSafeEqualBuf(a: Uint8Array, b: Uint8Array): boolean {
  return timingSafeEqual(a, b)
}
