/**
 * A scripted TLS 1.2 server for negative tests, over a real loopback TCP listener. It performs a
 * real full handshake (RFC 5246 §7.3) with TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 over x25519,
 * an ECDSA P-256 leaf, renegotiation_info and extended_master_secret, using the engine's own PRF
 * and record protection, then echoes application data. A `fault` makes it break exactly one rule.
 *
 * It observes what the client does: the alerts it sends (plaintext, or decrypted after the
 * client's ChangeCipherSpec) and when the TCP connection closes.
 */
import { createHash, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import type { Socket } from 'node:net'
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
import { TLS12_CIPHER_SUITES } from '../../src/tls/crypto/cipher-suites12.js'
import { extendedMasterSecret, finishedVerifyData12, keyBlock, masterSecret } from '../../src/tls/crypto/prf.js'
import { HandshakeReader } from '../../src/tls/handshake/handshake-reader.js'
import { DOWNGRADE_TLS12 } from '../../src/tls/messages/server-hello.js'
import { handshakeMessage } from '../../src/tls/messages/simple.js'
import { createProtection12 } from '../../src/tls/record/protection12.js'
import type { RecordProtector } from '../../src/tls/record/record-protector.js'
import { RecordReader, type RawRecord } from '../../src/tls/record/record-reader.js'
import { ClientGone, listenScripted } from './scripted-listener.js'
import { testPki, type TestPki } from './servers.js'

/** The one rule the server breaks. */
export type Tls12Fault =
  /** Server Finished verify_data has one byte flipped. */
  | { readonly kind: 'bad-finished' }
  /** ServerHello without extended_master_secret (the master secret is then the RFC 5246 §8.1 one). */
  | { readonly kind: 'no-extended-master-secret' }
  /** ServerHello without renegotiation_info. */
  | { readonly kind: 'no-renegotiation-info' }
  /** ServerHello.random ends with the TLS 1.3 downgrade sentinel DOWNGRD\x01. */
  | { readonly kind: 'downgrade-sentinel' }
  /** ServerKeyExchange signed with a key other than the leaf's. */
  | { readonly kind: 'bad-key-exchange-signature' }
  /** ServerHello selects this cipher suite instead of 0xc02b (the handshake stops there). */
  | { readonly kind: 'cipher-suite'; readonly suite: number }
  /** After the handshake, a HelloRequest, then the echo goes on. */
  | { readonly kind: 'hello-request' }
  /** After the handshake, a second (encrypted) ServerHello: a renegotiation the client did not ask for. */
  | { readonly kind: 'second-server-hello' }

export interface Tls12ServerOptions {
  readonly fault?: Tls12Fault
  /** Certificates (ECDSA P-256 leaf); default `testPki()`. */
  readonly pki?: TestPki
}

export interface Tls12Connection {
  readonly hello: ParsedClientHello | undefined
  /** [level, description] of each alert the client sent, in order. */
  readonly alerts: Array<readonly [number, number]>
  clientFinished: boolean
  readonly closed: Promise<void>
  /** An error of the server script itself (not of the client): a broken test fixture. */
  scriptError: unknown
}

export interface Tls12Server {
  readonly port: number
  nextConnection(): Promise<Tls12Connection>
  close(): Promise<void>
}

const SUITE = TLS12_CIPHER_SUITES.get(0xc02b)!
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex')

interface Inbound {
  readonly type: number
  readonly content: Buffer
}

class Conn implements Tls12Connection {
  hello: ParsedClientHello | undefined
  readonly alerts: Array<readonly [number, number]> = []
  clientFinished = false
  scriptError: unknown
  readonly closed: Promise<void>
  private readKeys: RecordProtector | undefined
  /** The client's keys, once the script derived them; installed at the client's ChangeCipherSpec. */
  private pendingReadKeys: RecordProtector | undefined
  private ccsSeen = false
  /** Records after the client's ChangeCipherSpec that arrived before the script derived the keys. */
  private held: RawRecord[] = []
  writeKeys: RecordProtector | undefined
  private readonly records = new RecordReader()
  private readonly handshake = new HandshakeReader()
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

  /** Called by the script once it derived the client's write keys. */
  setClientKeys(keys: RecordProtector): void {
    this.pendingReadKeys = keys
    if (!this.ccsSeen) return
    this.readKeys = keys
    const held = this.held
    this.held = []
    this.guard(() => held.forEach((r) => this.route(r)))
  }

  private receive(chunk: Buffer): void {
    this.guard(() => {
      this.records.push(chunk)
      for (let r = this.records.next(); r; r = this.records.next()) {
        if (this.ccsSeen && !this.readKeys) this.held.push(r)
        else this.route(r)
      }
    })
  }

  private guard(fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.scriptError ??= err
      this.socket.destroy()
    }
  }

  private route(r: RawRecord): void {
    if (r.type === ContentType.change_cipher_spec) {
      this.ccsSeen = true
      this.readKeys = this.pendingReadKeys
      this.push({ type: r.type, content: r.fragment })
      return
    }
    const m = this.readKeys ? this.readKeys.open(r.header, r.fragment) : { type: r.type, content: r.fragment }
    if (m.type === ContentType.alert) {
      this.alerts.push([m.content[0]!, m.content[1]!])
      if (m.content[1] === AlertDescription.close_notify) {
        this.write(this.seal(ContentType.alert, Buffer.of(AlertLevel.warning, AlertDescription.close_notify)))
        this.socket.end()
      }
      return
    }
    if (m.type === ContentType.handshake) {
      this.handshake.push(m.content)
      for (let h = this.handshake.next(); h; h = this.handshake.next()) this.push({ type: m.type, content: h.raw })
      return
    }
    this.push(m)
  }

  private push(m: Inbound): void {
    if (this.waiter) {
      const w = this.waiter
      this.waiter = undefined
      w(m)
    } else this.queue.push(m)
  }

  next(): Promise<Inbound | undefined> {
    const queued = this.queue.shift()
    if (queued || this.ended) return Promise.resolve(queued)
    return new Promise((resolve) => (this.waiter = resolve))
  }

  async expect(type: number): Promise<Buffer> {
    const m = await this.next()
    if (!m) throw new ClientGone()
    if (m.type !== type) throw new Error(`TLS 1.2 script: expected record type ${type}, got ${m.type}`)
    return m.content
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes)
  }

  seal(type: number, content: Buffer): Buffer {
    if (this.writeKeys) return this.writeKeys.seal(type, content)
    return new ByteWriter(content.length + 5).u8(type).u16(0x0303).vecBytes(2, content).finish()
  }
}

function serverHello(random: Buffer, suite: number, fault: Tls12Fault | undefined): Buffer {
  const ext: Array<readonly [number, Buffer]> = []
  if (fault?.kind !== 'no-renegotiation-info') ext.push([ExtensionType.renegotiation_info, Buffer.of(0)])
  if (fault?.kind !== 'no-extended-master-secret') ext.push([ExtensionType.extended_master_secret, Buffer.alloc(0)])
  ext.push([ExtensionType.ec_point_formats, Buffer.of(1, 0)])
  const w = new ByteWriter(128).u16(0x0303).bytes(random).vecBytes(1, randomBytes(32)).u16(suite).u8(0)
  w.vec(2, (l) => {
    for (const [type, body] of ext) l.u16(type).vecBytes(2, body)
  })
  return handshakeMessage(HandshakeType.server_hello, w.finish())
}

function certificate(chain: readonly Buffer[]): Buffer {
  const w = new ByteWriter(4096).vec(3, (l) => {
    for (const der of chain) l.vecBytes(3, der)
  })
  return handshakeMessage(HandshakeType.certificate, w.finish())
}

async function serve(c: Conn, options: Tls12ServerOptions): Promise<void> {
  const fault = options.fault
  const pki = options.pki ?? testPki()
  const transcript: Buffer[] = []
  const digest = (): Buffer => createHash(SUITE.prfHash).update(Buffer.concat(transcript)).digest()
  const send = (message: Buffer): void => {
    transcript.push(message)
    c.write(c.seal(ContentType.handshake, message))
  }

  const helloMessage = await c.expect(ContentType.handshake)
  const hello = parseClientHello(helloMessage)
  c.hello = hello
  transcript.push(helloMessage)

  const serverRandom = randomBytes(32)
  if (fault?.kind === 'downgrade-sentinel') DOWNGRADE_TLS12.copy(serverRandom, 24)
  send(serverHello(serverRandom, fault?.kind === 'cipher-suite' ? fault.suite : SUITE.id, fault))
  if (fault?.kind === 'cipher-suite') return
  send(certificate(pki.leaf.chainDer))

  const { privateKey, publicKey } = generateKeyPairSync('x25519')
  const spki = publicKey.export({ format: 'der', type: 'spki' })
  const params = new ByteWriter(40)
    .u8(3)
    .u16(NamedGroup.x25519)
    .vecBytes(1, spki.subarray(spki.length - 32))
    .finish()
  const signer =
    fault?.kind === 'bad-key-exchange-signature'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
      : pki.leaf.privateKey
  const signature = sign('sha256', Buffer.concat([hello.random, serverRandom, params]), signer)
  send(
    handshakeMessage(
      HandshakeType.server_key_exchange,
      new ByteWriter(128).bytes(params).u16(SignatureScheme.ecdsa_secp256r1_sha256).vecBytes(2, signature).finish(),
    ),
  )
  send(handshakeMessage(HandshakeType.server_hello_done, Buffer.alloc(0)))

  const cke = await c.expect(ContentType.handshake)
  if (cke[0] !== HandshakeType.client_key_exchange)
    throw new Error(`TLS 1.2 script: expected ClientKeyExchange, got ${cke[0]}`)
  transcript.push(cke)
  const clientPublic = cke.subarray(5, 5 + cke[4]!)
  const peer = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, clientPublic]), format: 'der', type: 'spki' })
  const preMaster = diffieHellman({ privateKey, publicKey: peer })
  const master =
    fault?.kind === 'no-extended-master-secret'
      ? masterSecret(SUITE.prfHash, preMaster, hello.random, serverRandom)
      : extendedMasterSecret(SUITE.prfHash, preMaster, digest())
  const keys = keyBlock(SUITE.prfHash, master, hello.random, serverRandom, SUITE)
  c.setClientKeys(createProtection12(SUITE, keys.client))

  await c.expect(ContentType.change_cipher_spec)
  const clientFinished = await c.expect(ContentType.handshake)
  const expected = handshakeMessage(
    HandshakeType.finished,
    finishedVerifyData12(SUITE.prfHash, master, 'client', digest()),
  )
  c.clientFinished = clientFinished.equals(expected)
  if (!c.clientFinished) throw new Error('TLS 1.2 script: the client Finished did not verify')
  transcript.push(clientFinished)

  c.write(c.seal(ContentType.change_cipher_spec, Buffer.of(1)))
  c.writeKeys = createProtection12(SUITE, keys.server)
  const verifyData = finishedVerifyData12(SUITE.prfHash, master, 'server', digest())
  if (fault?.kind === 'bad-finished') verifyData[0]! ^= 0x01
  send(handshakeMessage(HandshakeType.finished, verifyData))

  if (fault?.kind === 'hello-request')
    c.write(c.seal(ContentType.handshake, handshakeMessage(HandshakeType.hello_request, Buffer.alloc(0))))
  if (fault?.kind === 'second-server-hello')
    c.write(c.seal(ContentType.handshake, serverHello(randomBytes(32), SUITE.id, undefined)))
  for (let m = await c.next(); m; m = await c.next()) {
    if (m.type === ContentType.application_data) c.write(c.seal(ContentType.application_data, m.content))
  }
}

/** Starts the scripted TLS 1.2 server on 127.0.0.1 (ephemeral port). Close it with `close()`. */
export async function startTls12Server(options: Tls12ServerOptions = {}): Promise<Tls12Server> {
  return listenScripted(
    (socket) => new Conn(socket),
    (conn) => serve(conn, options),
  )
}
