/**
 * A scripted TLS 1.3 server for negative tests, over a real loopback TCP listener. It performs a
 * real handshake (RFC 8446 §2: ServerHello, EncryptedExtensions, Certificate, CertificateVerify,
 * Finished, then the client's Finished) with the engine's own key schedule and record protection,
 * and then echoes application data. A `fault` makes it break exactly one rule.
 *
 * It observes what the client does: the alerts it sends (plaintext, or decrypted with the
 * client's handshake/application keys) and when the TCP connection closes.
 *
 * Limits: one handshake message per client record (true for hotconn's client), ECDSA P-256 leaf.
 */
import {
  createECDH,
  createHash,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto'
import type { Socket } from 'node:net'
import * as zlib from 'node:zlib'
import { brotliCompressSync, deflateSync } from 'node:zlib'
import { parseClientHello, type ParsedClientHello } from '../../src/fingerprint/parse.js'
import { ByteWriter } from '../../src/util/bytes.js'
import {
  AlertDescription,
  AlertLevel,
  ContentType,
  ExtensionType,
  HandshakeType,
  NamedGroup,
  SignatureScheme,
} from '../../src/tls/constants.js'
import { TLS13_CIPHER_SUITES, type CipherSuite13, type HashAlgorithm } from '../../src/tls/crypto/cipher-suites.js'
import { KeySchedule13, finishedVerifyData, trafficKeys } from '../../src/tls/crypto/key-schedule.js'
import { certificateVerifyContent } from '../../src/tls/handshake/certificate-verify.js'
import { HELLO_RETRY_REQUEST_RANDOM } from '../../src/tls/messages/server-hello.js'
import { handshakeMessage } from '../../src/tls/messages/simple.js'
import { RecordProtection } from '../../src/tls/record/protection.js'
import { RecordReader } from '../../src/tls/record/record-reader.js'
import { ClientGone, listenScripted } from './scripted-listener.js'
import { testPki, type TestPki } from './servers.js'

/** The one rule the server breaks. */
export type HostileFault =
  /** ServerHello selects this cipher suite (e.g. one the client did not offer). */
  | { readonly kind: 'cipher-suite'; readonly suite: number }
  /** ServerHello key_share uses this group (one the client sent no share for). */
  | { readonly kind: 'group'; readonly group: number }
  /** ServerHello legacy_session_id_echo differs from the client's session id. */
  | { readonly kind: 'session-id-echo' }
  /** CertificateVerify is signed with a key other than the leaf's. */
  | { readonly kind: 'bad-signature' }
  /** Finished verify_data has one byte flipped. */
  | { readonly kind: 'bad-finished' }
  /** One ciphertext byte is flipped: in the EncryptedExtensions record, or in application data after the handshake. */
  | { readonly kind: 'flip-ciphertext'; readonly at: 'handshake' | 'application' }
  /** After ServerHello, a record header announcing 2^14 + 257 bytes (RFC 8446 §5.2 limit is 2^14 + 256). */
  | { readonly kind: 'oversized-record' }
  /** After the handshake, an encrypted record whose plaintext is `bytes` long. */
  | { readonly kind: 'oversized-plaintext'; readonly bytes: number }
  /** After the handshake, some application data, then TCP FIN without close_notify. */
  | { readonly kind: 'truncate' }
  /** After the handshake, in one TCP write: a good record ("partial "), then one with a flipped ciphertext byte. */
  | { readonly kind: 'data-then-flip' }
  /** After the handshake, in one TCP write: "complete", close_notify, then another record ("ignored"); then FIN. */
  | { readonly kind: 'data-after-close-notify' }
  /** ServerHello, then silence. */
  | { readonly kind: 'stall-after-server-hello' }
  /** EncryptedExtensions carries an extension of this type with an empty body. */
  | { readonly kind: 'unsolicited-extension'; readonly type: number }
  /** A fatal alert with this description instead of ServerHello. */
  | { readonly kind: 'alert'; readonly description: number }
  /** These raw bytes instead of ServerHello. */
  | { readonly kind: 'garbage'; readonly bytes: Buffer }
  /** A HelloRetryRequest, then another one after the second ClientHello (use a `group` the client sends no share for). */
  | { readonly kind: 'second-hrr' }
  /** A handshake message header announcing 2^24 - 1 bytes instead of ServerHello. */
  | { readonly kind: 'giant-handshake-header' }

export interface HostileServerOptions {
  readonly fault?: HostileFault
  /** Key-exchange group; a HelloRetryRequest asks for it when the client sent no share. Default x25519. */
  readonly group?: 'x25519' | 'secp256r1'
  /** Cipher suite id; default TLS_AES_128_GCM_SHA256. */
  readonly suite?: number
  /** Certificates (ECDSA P-256 leaf); default `testPki()`. */
  readonly pki?: TestPki
  /** A cookie for the HelloRetryRequest (RFC 8446 §4.2.2); the second ClientHello must echo it. */
  readonly hrrCookie?: Buffer
  /** Negotiate ALPN (`alpsProtocol`, default h2) with ALPS (application_settings 17613) carrying these server settings. */
  readonly alps?: Buffer
  readonly alpsProtocol?: string
  /** record_size_limit to announce in EncryptedExtensions (RFC 8449 §4). */
  readonly recordSizeLimit?: number
  /** Send the Certificate as a CompressedCertificate (RFC 8879): 1 zlib, 2 brotli, 3 zstd. */
  readonly certCompression?: { readonly algorithm: 1 | 2 | 3; readonly lieAboutLength?: boolean }
}

/** What one connection saw from the client. */
export interface HostileConnection {
  /** ClientHellos received, in order (two after a HelloRetryRequest). */
  readonly hellos: ParsedClientHello[]
  /** AlertDescription values the client sent, in order. */
  readonly alerts: number[]
  /** True once the client's Finished verified. */
  clientFinished: boolean
  /** Resolves when the TCP connection is closed. */
  readonly closed: Promise<void>
  /** An error of the server script itself (not of the client): a broken test fixture. */
  scriptError: unknown
  /** Largest application_data plaintext the client put in one record (bytes). */
  largestClientRecord: number
  /** The client's ALPS payload from its EncryptedExtensions, when the server negotiated ALPS. */
  clientAlps: Buffer | undefined
}

export interface HostileServer {
  readonly port: number
  readonly connections: readonly HostileConnection[]
  /** Resolves with the next (or an already accepted, not yet returned) connection. */
  nextConnection(): Promise<HostileConnection>
  close(): Promise<void>
}

// Messages ----------------------------------------------------------------------------------------

function record(type: number, body: Uint8Array): Buffer {
  return new ByteWriter(body.length + 5).u8(type).u16(0x0303).vecBytes(2, body).finish()
}

function extensions(w: ByteWriter, list: ReadonlyArray<readonly [number, Uint8Array]>): void {
  w.vec(2, (l) => {
    for (const [type, body] of list) l.u16(type).vecBytes(2, body)
  })
}

function serverHello(
  random: Buffer,
  sessionId: Buffer,
  suite: number,
  keyShare: Uint8Array,
  cookie?: Uint8Array,
): Buffer {
  const w = new ByteWriter(256).u16(0x0303).bytes(random).vecBytes(1, sessionId).u16(suite).u8(0)
  extensions(w, [
    [ExtensionType.supported_versions, Buffer.of(0x03, 0x04)],
    [ExtensionType.key_share, keyShare],
    ...(cookie
      ? ([[ExtensionType.cookie, new ByteWriter(cookie.length + 2).vecBytes(2, cookie).finish()]] as const)
      : []),
  ])
  return handshakeMessage(HandshakeType.server_hello, w.finish())
}

function keyShareEntry(group: number, publicKey: Uint8Array): Buffer {
  return new ByteWriter(publicKey.length + 4).u16(group).vecBytes(2, publicKey).finish()
}

function helloRetryRequest(sessionId: Buffer, suite: number, group: number, cookie?: Uint8Array): Buffer {
  return serverHello(HELLO_RETRY_REQUEST_RANDOM, sessionId, suite, Buffer.of(group >> 8, group & 0xff), cookie)
}

function encryptedExtensions(list: ReadonlyArray<readonly [number, Uint8Array]>): Buffer {
  const w = new ByteWriter(64)
  extensions(w, list)
  return handshakeMessage(HandshakeType.encrypted_extensions, w.finish())
}

/** CompressedCertificate (RFC 8879 §4) around a Certificate message body. */
function compressedCertificate(certificateMessage: Buffer, algorithm: 1 | 2 | 3, lieAboutLength: boolean): Buffer {
  const body = certificateMessage.subarray(4)
  const compressed =
    algorithm === 1
      ? deflateSync(body)
      : algorithm === 2
        ? brotliCompressSync(body)
        : (zlib as unknown as { zstdCompressSync(b: Buffer): Buffer }).zstdCompressSync(body)
  const w = new ByteWriter(compressed.length + 16)
    .u16(algorithm)
    .u24(body.length + (lieAboutLength ? 1 : 0))
    .vecBytes(3, compressed)
  return handshakeMessage(HandshakeType.compressed_certificate, w.finish())
}

function certificate(chain: readonly Buffer[]): Buffer {
  const w = new ByteWriter(4096).vecBytes(1, Buffer.alloc(0))
  w.vec(3, (l) => {
    for (const der of chain) l.vecBytes(3, der).u16(0)
  })
  return handshakeMessage(HandshakeType.certificate, w.finish())
}

/** ecdsa_secp256r1_sha256 over the RFC 8446 §4.4.3 content. */
function certificateVerify(key: KeyObject, transcriptHash: Buffer): Buffer {
  const signature = sign('sha256', certificateVerifyContent(transcriptHash), key)
  const body = new ByteWriter(128).u16(SignatureScheme.ecdsa_secp256r1_sha256).vecBytes(2, signature).finish()
  return handshakeMessage(HandshakeType.certificate_verify, body)
}

function finished(verifyData: Buffer): Buffer {
  return handshakeMessage(HandshakeType.finished, verifyData)
}

function flipByte(buf: Buffer, at: number): Buffer {
  const out = Buffer.from(buf)
  out[at]! ^= 0x01
  return out
}

// Key exchange and transcript ---------------------------------------------------------------------

const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex')

/** The server's share and the shared secret for the client's `share` (RFC 8446 §4.2.8, §7.4). */
function keyExchange(group: number, share: Buffer): { publicKey: Buffer; secret: Buffer } {
  if (group === NamedGroup.x25519) {
    const { privateKey, publicKey } = generateKeyPairSync('x25519')
    const peer = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, share]), format: 'der', type: 'spki' })
    const der = publicKey.export({ format: 'der', type: 'spki' })
    return { publicKey: der.subarray(der.length - 32), secret: diffieHellman({ privateKey, publicKey: peer }) }
  }
  const ecdh = createECDH('prime256v1')
  return { publicKey: ecdh.generateKeys(), secret: ecdh.computeSecret(share) }
}

class Transcript {
  private messages: Buffer[] = []

  add(message: Buffer): void {
    this.messages.push(message)
  }

  digest(hash: HashAlgorithm): Buffer {
    return createHash(hash).update(Buffer.concat(this.messages)).digest()
  }

  /** RFC 8446 §4.4.1: ClientHello1 becomes message_hash after a HelloRetryRequest. */
  replaceWithMessageHash(hash: HashAlgorithm): void {
    const digest = this.digest(hash)
    this.messages = [Buffer.concat([Buffer.of(HandshakeType.message_hash, 0, 0, digest.length), digest])]
  }
}

function protection(suite: CipherSuite13, secret: Buffer): RecordProtection {
  const { key, iv } = trafficKeys(suite.hash, secret, suite.keyLength, suite.ivLength)
  return new RecordProtection(suite.aead, key, iv)
}

// One connection ----------------------------------------------------------------------------------

interface Inbound {
  readonly type: number
  readonly content: Buffer
}

class Conn implements HostileConnection {
  readonly hellos: ParsedClientHello[] = []
  readonly alerts: number[] = []
  clientFinished = false
  scriptError: unknown
  largestClientRecord = 0
  clientAlps: Buffer | undefined
  readonly closed: Promise<void>
  /** Server write keys; undefined = plaintext. */
  writeKeys: RecordProtection | undefined
  /** Client read keys: handshake keys, then application keys (switched after the client's Finished). */
  readonly readKeys: RecordProtection[] = []
  private readonly records = new RecordReader()
  private readonly queue: Inbound[] = []
  private waiter: ((m: Inbound | undefined) => void) | undefined
  private ended = false

  constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
    socket.on('error', () => {})
    socket.once('close', () => {
      this.ended = true
      this.waiter?.(undefined)
    })
  }

  private receive(chunk: Buffer): void {
    try {
      this.records.push(chunk)
      for (let r = this.records.next(); r; r = this.records.next()) {
        let inbound: Inbound = { type: r.type, content: r.fragment }
        if (r.type === ContentType.application_data && this.readKeys.length > 0) {
          inbound = this.readKeys[0]!.open(r.header, r.fragment)
          if (
            inbound.type === ContentType.handshake &&
            inbound.content[0] === HandshakeType.finished &&
            this.readKeys.length > 1
          )
            this.readKeys.shift()
        }
        this.route(inbound)
      }
    } catch (err) {
      this.scriptError ??= err
      this.socket.destroy()
    }
  }

  private route(m: Inbound): void {
    if (m.type === ContentType.change_cipher_spec) return
    if (m.type === ContentType.alert) {
      this.alerts.push(m.content[1]!)
      if (m.content[1] === AlertDescription.close_notify) this.closeNotify()
      return
    }
    if (this.waiter) {
      const w = this.waiter
      this.waiter = undefined
      w(m)
    } else this.queue.push(m)
  }

  /** The next handshake or application-data content from the client; undefined once closed. */
  next(): Promise<Inbound | undefined> {
    const queued = this.queue.shift()
    if (queued || this.ended) return Promise.resolve(queued)
    return new Promise((resolve) => (this.waiter = resolve))
  }

  /** The next handshake message, or throws when the client closed instead. */
  async nextHandshake(): Promise<Buffer> {
    const m = await this.next()
    if (!m) throw new ClientGone()
    if (m.type !== ContentType.handshake)
      throw new Error(`hostile server: expected a handshake record, got type ${m.type}`)
    return m.content
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes)
  }

  /** A record under the current write keys (plaintext before any). */
  seal(type: number, content: Buffer): Buffer {
    return this.writeKeys ? this.writeKeys.seal(type, content) : record(type, content)
  }

  private closeNotify(): void {
    this.write(this.seal(ContentType.alert, Buffer.of(AlertLevel.warning, AlertDescription.close_notify)))
    this.socket.end()
  }
}

/** The client closed the connection while the script waited: the normal end of a negative test. */
const GROUP_IDS = { x25519: NamedGroup.x25519, secp256r1: NamedGroup.secp256r1 } as const

async function readClientHello(c: Conn): Promise<ParsedClientHello> {
  const hello = parseClientHello(await c.nextHandshake())
  c.hellos.push(hello)
  return hello
}

/** The whole server side of one connection. */
async function serve(c: Conn, options: HostileServerOptions): Promise<void> {
  const fault = options.fault
  const pki = options.pki ?? testPki()
  const suite = TLS13_CIPHER_SUITES.get(options.suite ?? 0x1301)!
  const group = GROUP_IDS[options.group ?? 'x25519']
  const transcript = new Transcript()
  let hello = await readClientHello(c)
  transcript.add(hello.message)

  if (fault?.kind === 'garbage') return c.write(fault.bytes)
  if (fault?.kind === 'alert') {
    c.write(record(ContentType.alert, Buffer.of(AlertLevel.fatal, fault.description)))
    return void c.socket.end()
  }
  if (fault?.kind === 'giant-handshake-header') {
    return c.write(
      record(
        ContentType.handshake,
        Buffer.concat([Buffer.of(HandshakeType.server_hello, 0xff, 0xff, 0xff), randomBytes(64)]),
      ),
    )
  }

  // HelloRetryRequest when the client sent no share for our group (twice for the fault).
  const retries = fault?.kind === 'second-hrr' ? 2 : hello.keyShares?.some((k) => k.group === group) ? 0 : 1
  for (let i = 0; i < retries; i++) {
    const hrr = helloRetryRequest(hello.sessionId, suite.id, i === 0 ? group : NamedGroup.secp384r1, options.hrrCookie)
    transcript.replaceWithMessageHash(suite.hash)
    transcript.add(hrr)
    c.write(record(ContentType.handshake, hrr))
    hello = await readClientHello(c)
    transcript.add(hello.message)
    if (
      options.hrrCookie &&
      !hello.extensions.some((e) => e.type === ExtensionType.cookie && e.body.subarray(2).equals(options.hrrCookie!))
    ) {
      throw new Error('hostile server: the second ClientHello does not echo the HelloRetryRequest cookie')
    }
  }

  const clientShare = hello.keyShares?.find((k) => k.group === group)
  if (!clientShare)
    throw new Error(`hostile server: the client sent no ${options.group ?? 'x25519'} share after HelloRetryRequest`)
  const kx = keyExchange(group, clientShare.keyExchange)
  const sessionId = fault?.kind === 'session-id-echo' ? flipByte(hello.sessionId, 0) : hello.sessionId
  const share =
    fault?.kind === 'group' ? keyShareEntry(fault.group, randomBytes(65)) : keyShareEntry(group, kx.publicKey)
  const sh = serverHello(randomBytes(32), sessionId, fault?.kind === 'cipher-suite' ? fault.suite : suite.id, share)
  transcript.add(sh)
  c.write(record(ContentType.handshake, sh))
  if (fault?.kind === 'stall-after-server-hello') return
  if (fault?.kind === 'oversized-record') {
    const length = (1 << 14) + 257
    return c.write(
      Buffer.concat([
        Buffer.of(ContentType.application_data, 0x03, 0x03, length >> 8, length & 0xff),
        Buffer.alloc(length),
      ]),
    )
  }

  const schedule = new KeySchedule13(suite.hash)
  const hs = schedule.handshake(kx.secret, transcript.digest(suite.hash))
  c.writeKeys = protection(suite, hs.server)
  c.readKeys.push(protection(suite, hs.client))
  const sendHandshake = (message: Buffer, tamper = false): void => {
    transcript.add(message)
    const rec = c.seal(ContentType.handshake, message)
    c.write(tamper ? flipByte(rec, 5 + 2) : rec)
  }

  const eeList: Array<readonly [number, Uint8Array]> = []
  if (fault?.kind === 'unsolicited-extension') eeList.push([fault.type, Buffer.alloc(0)])
  if (options.recordSizeLimit !== undefined)
    eeList.push([
      ExtensionType.record_size_limit,
      Buffer.of(options.recordSizeLimit >> 8, options.recordSizeLimit & 0xff),
    ])
  if (options.alps) {
    const proto = Buffer.from(options.alpsProtocol ?? 'h2', 'latin1')
    eeList.push([
      ExtensionType.application_layer_protocol_negotiation,
      Buffer.concat([Buffer.of(0, proto.length + 1, proto.length), proto]),
    ])
    eeList.push([ExtensionType.application_settings, options.alps])
  }
  sendHandshake(encryptedExtensions(eeList), fault?.kind === 'flip-ciphertext' && fault.at === 'handshake')
  const cert = certificate(pki.leaf.chainDer)
  const cc = options.certCompression
  sendHandshake(cc ? compressedCertificate(cert, cc.algorithm, cc.lieAboutLength ?? false) : cert)
  const signer =
    fault?.kind === 'bad-signature'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
      : pki.leaf.privateKey
  sendHandshake(certificateVerify(signer, transcript.digest(suite.hash)))
  const verifyData = finishedVerifyData(suite.hash, hs.server, transcript.digest(suite.hash))
  sendHandshake(finished(fault?.kind === 'bad-finished' ? flipByte(verifyData, 0) : verifyData))
  const app = schedule.application(transcript.digest(suite.hash))
  c.readKeys.push(protection(suite, app.client))

  if (options.alps) {
    // draft-vvv-tls-alps §4: the client's EncryptedExtensions with its settings, before its Finished.
    const ee = await c.nextHandshake()
    if (ee[0] !== HandshakeType.encrypted_extensions)
      throw new Error('hostile server: expected the client EncryptedExtensions (ALPS)')
    const list = ee.subarray(6)
    if (list.readUInt16BE(0) !== ExtensionType.application_settings)
      throw new Error('hostile server: client EncryptedExtensions without application_settings')
    c.clientAlps = Buffer.from(list.subarray(4, 4 + list.readUInt16BE(2)))
    transcript.add(ee)
  }
  const clientFin = await c.nextHandshake()
  c.clientFinished = clientFin.equals(
    finished(finishedVerifyData(suite.hash, hs.client, transcript.digest(suite.hash))),
  )
  if (!c.clientFinished) throw new Error('hostile server: the client Finished did not verify')
  c.writeKeys = protection(suite, app.server)
  await afterHandshake(c, fault)
}

async function afterHandshake(c: Conn, fault: HostileFault | undefined): Promise<void> {
  switch (fault?.kind) {
    case 'flip-ciphertext':
      return c.write(flipByte(c.seal(ContentType.application_data, Buffer.from('tampered')), 5 + 2))
    case 'oversized-plaintext':
      return c.write(c.seal(ContentType.application_data, Buffer.alloc(fault.bytes, 0x61)))
    case 'truncate':
      c.write(c.seal(ContentType.application_data, Buffer.from('partial ')))
      return void c.socket.end()
    case 'data-then-flip':
      return c.write(
        Buffer.concat([
          c.seal(ContentType.application_data, Buffer.from('partial ')),
          flipByte(c.seal(ContentType.application_data, Buffer.from('tampered')), 5 + 2),
        ]),
      )
    case 'data-after-close-notify':
      c.write(
        Buffer.concat([
          c.seal(ContentType.application_data, Buffer.from('complete')),
          c.seal(ContentType.alert, Buffer.of(AlertLevel.warning, AlertDescription.close_notify)),
          c.seal(ContentType.application_data, Buffer.from('ignored')),
        ]),
      )
      return void c.socket.end()
  }
  // Echo until the client closes (its close_notify is answered in Conn.route).
  for (let m = await c.next(); m; m = await c.next()) {
    if (m.type === ContentType.application_data) {
      c.largestClientRecord = Math.max(c.largestClientRecord, m.content.length)
      c.write(c.seal(ContentType.application_data, m.content))
    }
  }
}

// Listener ----------------------------------------------------------------------------------------

/** Starts a hostile server on 127.0.0.1 (ephemeral port). Close it with `close()`. */
export async function startHostileServer(options: HostileServerOptions = {}): Promise<HostileServer> {
  return listenScripted(
    (socket) => new Conn(socket),
    (conn) => serve(conn, options),
  )
}
