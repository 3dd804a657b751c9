/**
 * The TLS 1.2 client handshake after ServerHello (RFC 5246 §7.3), as an explicit state machine in
 * the style of client13.ts: the full handshake with ECDHE (RFC 8422) or RSA key transport, and the
 * abbreviated handshake that resumes a session ticket (RFC 5077 §3.1, RFC 5246 §7.3 Figure 2);
 * extended master secret (RFC 7627), secure renegotiation signalling (RFC 5746, renegotiation
 * itself is refused).
 *
 * It runs on the same connection, record layer and transcript as the TLS 1.3 handshake, which
 * hands over to it when the ServerHello selects TLS 1.2 (client13.ts).
 */
import { ownedCopy } from '../../util/bytes.js'
import { X509Certificate, constants as cryptoConstants, publicEncrypt, randomBytes, timingSafeEqual } from 'node:crypto'
import {
  AlertDescription,
  HandshakeType,
  NamedGroup,
  ProtocolVersion,
  groupName,
  signatureSchemeName,
} from '../constants.js'
import type { CipherSuite12 } from '../crypto/cipher-suites12.js'
import { generateKeyShares } from '../crypto/key-exchange.js'
import { extendedMasterSecret, finishedVerifyData12, keyBlock, masterSecret } from '../crypto/prf.js'
import { schemeMatchesKey, signatureSchemeInfo, verifySignature } from '../cert/signature.js'
import { TlsProtocolError } from '../errors.js'
import type { ServerHello } from '../messages/server-hello.js'
import { encodeFinished } from '../messages/simple.js'
import {
  decodeCertificate12,
  decodeCertificateRequest12,
  decodeCertificateStatus,
  decodeEcdheServerKeyExchange,
  decodeNewSessionTicket12,
  decodeServerHelloDone,
  encodeEcdheClientKeyExchange,
  encodeEmptyCertificate12,
  encodeRsaClientKeyExchange,
  type NewSessionTicket12,
} from '../messages/tls12.js'
import { createProtection12 } from '../record/protection12.js'
import type { StoredTicket12 } from '../session-cache.js'
import type { RecordProtector } from '../record/record-protector.js'
import type { ClientHandshakeOptions } from './client13.js'
import type { HandshakeIo } from './context.js'
import type { HandshakeMessage } from './handshake-reader.js'
import { checkServerHello12, type ServerHello12Agreement } from './server-hello12.js'
import type { Transcript } from './transcript.js'

/** A TLS 1.2 session ticket (RFC 5077) with what a later resumption needs. */
export interface Tls12SessionTicket {
  readonly ticket: Buffer
  /** seconds; 0 = unspecified (RFC 5077 §3.3) */
  readonly lifetimeHint: number
  readonly masterSecret: Buffer
  readonly cipherSuite: CipherSuite12
  readonly extendedMasterSecret: boolean
  /** ms since the epoch */
  readonly receivedAt: number
}

/** What a TLS 1.2 handshake learned, for TlsSocket.info. */
export interface HandshakeResult12 {
  readonly version: 'TLSv1.2'
  readonly cipherSuite: CipherSuite12
  /** ECDHE group; 0 for RSA key transport and for a resumed session. */
  readonly group: number
  readonly alpn: string | undefined
  readonly helloRetry: false
  /** The server resumed the offered ticket (abbreviated handshake): no certificate was sent or verified. */
  readonly resumed: boolean
  /** Empty when resumed. */
  readonly peerCertificates: readonly Buffer[]
  /** record_size_limit the server sent (RFC 8449): its largest plaintext in TLS 1.2. */
  readonly recordSizeLimit: number | undefined
  /** Scheme of the ServerKeyExchange signature; 0 for RSA key transport and for a resumed session. */
  readonly signatureScheme: number
  readonly extendedMasterSecret: boolean
  /**
   * The ticket the server issued in this handshake, if any (RFC 5077 §3.3; empty tickets are dropped).
   * In an abbreviated handshake it resumes the same master secret as the ticket that was used.
   */
  readonly sessionTicket: Tls12SessionTicket | undefined
}

/** What the TLS 1.3 handshake hands over: the transcript holding ClientHello, and its random. */
export interface Tls12Handover {
  readonly transcript: Transcript
  readonly clientRandom: Buffer
  /** The ticket sent in session_ticket and the ClientHello's legacy_session_id (RFC 5077 §3.4). */
  readonly resumption?: { readonly ticket: StoredTicket12; readonly sessionId: Buffer }
}

type State =
  | { name: 'ExpectCertificate' }
  | { name: 'ExpectServerKeyExchange' }
  | { name: 'ExpectCertificateRequestOrServerHelloDone' }
  | { name: 'ExpectServerHelloDone' }
  | { name: 'ExpectNewSessionTicket' }
  | { name: 'ExpectChangeCipherSpec' }
  | { name: 'ExpectFinished' }
  | { name: 'Done' }

/** Groups an ECDHE ServerKeyExchange may name (RFC 8422 §5.1.1; hybrids are TLS 1.3 only). */
const TLS12_GROUPS: ReadonlySet<number> = new Set([
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
  NamedGroup.secp521r1,
])

/** Bytes of the RSA premaster secret (RFC 5246 §7.4.7.1). */
const RSA_PREMASTER_LENGTH = 48

export class ClientHandshake12 {
  private state: State = { name: 'ExpectCertificate' }
  private readonly transcript: Transcript
  private readonly clientRandom: Buffer
  private serverRandom = Buffer.alloc(0)
  private agreed!: ServerHello12Agreement
  private chain: Buffer[] = []
  private leaf: X509Certificate | undefined
  private statusAllowed = false
  private certificateRequested = false
  private group = 0
  private scheme = 0
  private serverPublic: Buffer | undefined
  private master: Buffer | undefined
  private serverProtection: RecordProtector | undefined
  private ticket: NewSessionTicket12 | undefined
  private result: HandshakeResult12 | undefined
  private readonly offeredTicket: Tls12Handover['resumption']
  /** Abbreviated handshake: the client's write protection, installed after the server's Finished. */
  private clientProtection: RecordProtector | undefined
  private resumed = false

  constructor(
    private readonly io: HandshakeIo,
    private readonly options: ClientHandshakeOptions,
    handover: Tls12Handover,
  ) {
    this.transcript = handover.transcript
    this.clientRandom = handover.clientRandom
    this.offeredTicket = handover.resumption
  }

  get stateName(): State['name'] {
    return this.state.name
  }

  get done(): HandshakeResult12 | undefined {
    return this.result
  }

  get suite(): CipherSuite12 {
    return this.agreed.suite
  }

  // ServerHello ---------------------------------------------------------------------------------

  /** Checks a ServerHello that selected TLS 1.2 and starts the rest of the handshake (RFC 5246 §7.4.1.3). */
  processServerHello(sh: ServerHello, msg: HandshakeMessage): void {
    this.agreed = checkServerHello12(sh, {
      offered: this.options.plan.offered,
      alpn: this.options.alpn ?? this.options.plan.offered.alpn,
    })
    this.serverRandom = Buffer.from(sh.random)
    this.transcript.setHash(this.agreed.suite.prfHash)
    this.transcript.add(msg.raw)
    const offered = this.offeredTicket
    // RFC 5077 §3.4: echoing the session id sent with the ticket means the server accepted it.
    if (offered && offered.sessionId.length > 0 && sh.sessionId.equals(offered.sessionId))
      return this.resume(offered.ticket)
    this.state = { name: 'ExpectCertificate' }
  }

  /**
   * Abbreviated handshake (RFC 5246 §7.3 Figure 2, RFC 5077 §3.1 Figure 2): keys from the ticket's
   * master secret and this handshake's randoms; next come [NewSessionTicket], ChangeCipherSpec, Finished.
   */
  private resume(ticket: StoredTicket12): void {
    const suite = this.agreed.suite
    if (suite.id !== ticket.cipherSuite.id) {
      throw new TlsProtocolError(
        `server resumed the session with ${suite.name}, but the session was made with ${ticket.cipherSuite.name} (RFC 5246 §7.4.1.3)`,
        AlertDescription.illegal_parameter,
      )
    }
    if (this.agreed.extendedMasterSecret !== ticket.extendedMasterSecret) {
      throw new TlsProtocolError(
        `server resumed a session ${ticket.extendedMasterSecret ? 'with' : 'without'} extended master secret in a ServerHello ${this.agreed.extendedMasterSecret ? 'with' : 'without'} it (RFC 7627 §5.3)`,
        AlertDescription.handshake_failure,
      )
    }
    this.resumed = true
    this.master = ticket.masterSecret
    this.io.logSecret('CLIENT_RANDOM', this.master)
    const keys = keyBlock(suite.prfHash, this.master, this.clientRandom, this.serverRandom, suite)
    this.serverProtection = createProtection12(suite, keys.server)
    this.clientProtection = createProtection12(suite, keys.client)
    this.state = this.agreed.sessionTicket ? { name: 'ExpectNewSessionTicket' } : { name: 'ExpectChangeCipherSpec' }
  }

  /** Handles one handshake message; returns a promise only while certificate verification runs. */
  handle(msg: HandshakeMessage): void | Promise<void> {
    if (msg.type === HandshakeType.hello_request && this.state.name !== 'Done') {
      // RFC 5246 §7.4.1.1: ignored while negotiating; never part of the transcript.
      if (msg.body.length !== 0)
        throw new TlsProtocolError('HelloRequest has a body (RFC 5246 §7.4.1.1)', AlertDescription.decode_error)
      return
    }
    if (msg.type === HandshakeType.certificate_status && this.statusAllowed) return this.processCertificateStatus(msg)
    switch (this.state.name) {
      case 'ExpectCertificate':
        return this.expect(msg, HandshakeType.certificate, () => this.processCertificate(msg))
      case 'ExpectServerKeyExchange':
        return this.expect(msg, HandshakeType.server_key_exchange, () => this.processServerKeyExchange(msg))
      case 'ExpectCertificateRequestOrServerHelloDone':
        if (msg.type === HandshakeType.certificate_request) return this.processCertificateRequest(msg)
        return this.expect(msg, HandshakeType.server_hello_done, () => this.processServerHelloDone(msg))
      case 'ExpectServerHelloDone':
        return this.expect(msg, HandshakeType.server_hello_done, () => this.processServerHelloDone(msg))
      case 'ExpectNewSessionTicket':
        return this.expect(msg, HandshakeType.new_session_ticket, () => this.processNewSessionTicket(msg))
      case 'ExpectChangeCipherSpec':
        throw new TlsProtocolError(
          `handshake message ${msg.type} before the server's ChangeCipherSpec (RFC 5246 §7.3)`,
          AlertDescription.unexpected_message,
        )
      case 'ExpectFinished':
        return this.expect(msg, HandshakeType.finished, () => this.processServerFinished(msg))
      case 'Done':
        throw new TlsProtocolError(
          `handshake message ${msg.type} after the TLS 1.2 handshake completed; renegotiation is refused (RFC 5746)`,
          AlertDescription.unexpected_message,
        )
    }
  }

  private expect<T>(msg: HandshakeMessage, type: number, step: () => T): T {
    if (msg.type !== type) {
      throw new TlsProtocolError(
        `expected handshake message ${type} in state ${this.state.name}, got ${msg.type} (RFC 5246 §7.3 message order)`,
        AlertDescription.unexpected_message,
      )
    }
    return step()
  }

  // Server parameters ---------------------------------------------------------------------------

  private processCertificate(msg: HandshakeMessage): void | Promise<void> {
    const chain = decodeCertificate12(msg.body)
    if (chain.length === 0) {
      throw new TlsProtocolError(
        'server sent an empty Certificate; hotconn offers no anonymous suites (RFC 5246 §7.4.2)',
        AlertDescription.decode_error,
      )
    }
    this.leaf = this.parseLeaf(chain[0]!)
    this.chain = chain.map(ownedCopy)
    this.transcript.add(msg.raw)
    this.statusAllowed = this.agreed.statusRequest
    this.state =
      this.agreed.suite.keyExchange === 'ecdhe'
        ? { name: 'ExpectServerKeyExchange' }
        : { name: 'ExpectCertificateRequestOrServerHelloDone' }
    const verify = this.options.verifyChain
    return verify ? verify(chain, this.options.host) : undefined
  }

  /** The leaf's key must fit the suite: ECDSA for *_ECDSA_*, rsaEncryption for *_RSA_* (RFC 8422 §5.3, RFC 5246 §7.4.2). */
  private parseLeaf(der: Buffer): X509Certificate {
    let leaf: X509Certificate
    try {
      leaf = new X509Certificate(der)
    } catch (err) {
      throw new TlsProtocolError(
        'server certificate does not parse as X.509 (RFC 5246 §7.4.2 bad_certificate)',
        AlertDescription.bad_certificate,
        { cause: err },
      )
    }
    const keyType = leaf.publicKey.asymmetricKeyType
    const want = this.agreed.suite.authentication === 'ecdsa' ? 'ec' : 'rsa'
    if (keyType !== want) {
      throw new TlsProtocolError(
        `server certificate has a ${keyType ?? 'unknown'} key, but ${this.agreed.suite.name} needs an ${want === 'ec' ? 'ECDSA' : 'RSA'} key (RFC 8422 §5.3, RFC 5246 §7.4.2)`,
        AlertDescription.unsupported_certificate,
      )
    }
    return leaf
  }

  private processCertificateStatus(msg: HandshakeMessage): void {
    if (
      this.state.name !== 'ExpectServerKeyExchange' &&
      this.state.name !== 'ExpectCertificateRequestOrServerHelloDone'
    ) {
      throw new TlsProtocolError('CertificateStatus out of order (RFC 6066 §8)', AlertDescription.unexpected_message)
    }
    // Accepted and not checked: browsers use OCSP stapling as a soft signal; hotconn has no OCSP policy.
    decodeCertificateStatus(msg.body)
    this.statusAllowed = false
    this.transcript.add(msg.raw)
  }

  private processServerKeyExchange(msg: HandshakeMessage): void {
    this.statusAllowed = false
    const ske = decodeEcdheServerKeyExchange(msg.body)
    const offered = this.options.plan.offered
    if (!offered.groups.includes(ske.group) || !TLS12_GROUPS.has(ske.group)) {
      throw new TlsProtocolError(
        `ServerKeyExchange uses group ${groupName(ske.group)}, not offered for TLS 1.2 in supported_groups (RFC 8422 §5.4)`,
        AlertDescription.illegal_parameter,
      )
    }
    this.checkSignatureScheme(ske.scheme)
    const signed = Buffer.concat([this.clientRandom, this.serverRandom, ske.params])
    // RFC 5246 §7.4.1.4.1 / RFC 8422 §5.1.1: in TLS 1.2 ecdsa_* names only the hash, on any curve.
    if (!verifySignature(ske.scheme, this.leaf!, signed, ske.signature, { anyCurve: true })) {
      throw new TlsProtocolError(
        `ServerKeyExchange signature (${signatureSchemeName(ske.scheme)}) does not verify with the server certificate's key (RFC 5246 §7.4.3 decrypt_error)`,
        AlertDescription.decrypt_error,
      )
    }
    this.group = ske.group
    this.scheme = ske.scheme
    this.serverPublic = ske.publicKey
    this.transcript.add(msg.raw)
    this.state = { name: 'ExpectCertificateRequestOrServerHelloDone' }
  }

  /** The scheme must be one offered in signature_algorithms and fit the leaf's key (RFC 5246 §7.4.1.4.1). */
  private checkSignatureScheme(scheme: number): void {
    const name = signatureSchemeName(scheme)
    if (!this.options.plan.offered.signatureSchemes.includes(scheme)) {
      throw new TlsProtocolError(
        `ServerKeyExchange is signed with ${name}, not offered in signature_algorithms (RFC 5246 §7.4.1.4.1)`,
        AlertDescription.illegal_parameter,
      )
    }
    const info = signatureSchemeInfo(scheme)
    if (
      !info ||
      (info.keyType !== 'rsa' && info.keyType !== 'ec') ||
      !schemeMatchesKey(scheme, this.leaf!, { anyCurve: true })
    ) {
      throw new TlsProtocolError(
        `ServerKeyExchange scheme ${name} cannot be used with the server certificate's key in TLS 1.2 (RFC 5246 §7.4.3)`,
        AlertDescription.illegal_parameter,
      )
    }
  }

  private processCertificateRequest(msg: HandshakeMessage): void {
    this.statusAllowed = false
    decodeCertificateRequest12(msg.body)
    this.certificateRequested = true
    this.transcript.add(msg.raw)
    this.state = { name: 'ExpectServerHelloDone' }
  }

  private processServerHelloDone(msg: HandshakeMessage): void {
    this.statusAllowed = false
    decodeServerHelloDone(msg.body)
    if (this.io.hasPartialHandshake()) {
      throw new TlsProtocolError(
        'handshake data after ServerHelloDone before the client flight (RFC 5246 §7.3)',
        AlertDescription.unexpected_message,
      )
    }
    this.transcript.add(msg.raw)
    this.sendClientFlight()
  }

  // Client flight -------------------------------------------------------------------------------

  private sendClientFlight(): void {
    if (this.certificateRequested) {
      // RFC 5246 §7.4.6: no certificate to offer, so an empty Certificate.
      this.send(encodeEmptyCertificate12())
    }
    const { message, preMasterSecret } = this.clientKeyExchange()
    this.send(message)
    const suite = this.agreed.suite
    this.master = this.agreed.extendedMasterSecret
      ? extendedMasterSecret(suite.prfHash, preMasterSecret, this.transcript.digest())
      : masterSecret(suite.prfHash, preMasterSecret, this.clientRandom, this.serverRandom)
    preMasterSecret.fill(0)
    this.io.logSecret('CLIENT_RANDOM', this.master)
    const keys = keyBlock(suite.prfHash, this.master, this.clientRandom, this.serverRandom, suite)
    this.serverProtection = createProtection12(suite, keys.server)
    this.io.sendChangeCipherSpec()
    this.io.setWriteProtection(createProtection12(suite, keys.client))
    this.send(encodeFinished(finishedVerifyData12(suite.prfHash, this.master, 'client', this.transcript.digest())))
    this.state = this.agreed.sessionTicket ? { name: 'ExpectNewSessionTicket' } : { name: 'ExpectChangeCipherSpec' }
  }

  private send(message: Buffer): void {
    this.transcript.add(message)
    this.io.sendHandshake(message)
  }

  private clientKeyExchange(): { message: Buffer; preMasterSecret: Buffer } {
    if (this.agreed.suite.keyExchange === 'ecdhe') {
      const [share] = generateKeyShares([this.group])
      return {
        message: encodeEcdheClientKeyExchange(share!.publicKey),
        preMasterSecret: share!.deriveSecret(this.serverPublic!),
      }
    }
    // RFC 5246 §7.4.7.1: client_version (the version offered, 0x0303) ‖ 46 random bytes, RSAES-PKCS1-v1_5.
    const preMasterSecret = randomBytes(RSA_PREMASTER_LENGTH)
    preMasterSecret.writeUInt16BE(ProtocolVersion.TLS12, 0)
    const encrypted = publicEncrypt(
      { key: this.leaf!.publicKey, padding: cryptoConstants.RSA_PKCS1_PADDING },
      preMasterSecret,
    )
    return { message: encodeRsaClientKeyExchange(encrypted), preMasterSecret }
  }

  // Server's final flight -----------------------------------------------------------------------

  private processNewSessionTicket(msg: HandshakeMessage): void {
    this.ticket = decodeNewSessionTicket12(msg.body)
    this.transcript.add(msg.raw)
    this.state = { name: 'ExpectChangeCipherSpec' }
  }

  /**
   * The server's ChangeCipherSpec (RFC 5246 §7.1): returns the protection for every record it sends
   * from now on. The caller checked the record is a single 0x01 at a handshake message boundary.
   * @throws TlsProtocolError (unexpected_message) when no ChangeCipherSpec is expected now.
   */
  changeCipherSpec(): RecordProtector {
    if (this.state.name !== 'ExpectChangeCipherSpec') {
      const why =
        this.state.name === 'ExpectNewSessionTicket'
          ? 'before the NewSessionTicket it promised (RFC 5077 §3.3)'
          : `in state ${this.state.name} (RFC 5246 §7.1)`
      throw new TlsProtocolError(`unexpected ChangeCipherSpec ${why}`, AlertDescription.unexpected_message)
    }
    this.state = { name: 'ExpectFinished' }
    return this.serverProtection!
  }

  private processServerFinished(msg: HandshakeMessage): void {
    const suite = this.agreed.suite
    const expected = finishedVerifyData12(suite.prfHash, this.master!, 'server', this.transcript.digest())
    if (msg.body.length !== expected.length || !timingSafeEqual(msg.body, expected)) {
      throw new TlsProtocolError(
        'server Finished verify_data is wrong (RFC 5246 §7.4.9 decrypt_error); the handshake was tampered with or the keys disagree',
        AlertDescription.decrypt_error,
      )
    }
    this.transcript.add(msg.raw)
    if (this.resumed) this.sendResumedClientFinished()
    const ticket = this.ticket
    this.result = {
      version: 'TLSv1.2',
      cipherSuite: suite,
      group: this.group,
      alpn: this.agreed.alpn,
      helloRetry: false,
      resumed: this.resumed,
      peerCertificates: this.chain,
      recordSizeLimit: this.agreed.recordSizeLimit,
      signatureScheme: this.scheme,
      extendedMasterSecret: this.agreed.extendedMasterSecret,
      sessionTicket:
        ticket && ticket.ticket.length > 0
          ? {
              ticket: ticket.ticket,
              lifetimeHint: ticket.lifetimeHint,
              masterSecret: this.master!,
              cipherSuite: suite,
              extendedMasterSecret: this.agreed.extendedMasterSecret,
              receivedAt: Date.now(),
            }
          : undefined,
    }
    this.state = { name: 'Done' }
  }

  /** Abbreviated handshake: the client's ChangeCipherSpec and Finished come after the server's (RFC 5246 §7.3). */
  private sendResumedClientFinished(): void {
    if (this.io.hasPartialHandshake()) {
      throw new TlsProtocolError(
        'handshake data after the server Finished of an abbreviated handshake (RFC 5246 §7.3)',
        AlertDescription.unexpected_message,
      )
    }
    const suite = this.agreed.suite
    this.io.sendChangeCipherSpec()
    this.io.setWriteProtection(this.clientProtection!)
    this.send(encodeFinished(finishedVerifyData12(suite.prfHash, this.master!, 'client', this.transcript.digest())))
  }
}
