/**
 * The client handshake (RFC 8446 §2, §4; RFC 5246 §7.3): sends the ClientHello, reads the
 * ServerHello and hands over to the TLS 1.3 or TLS 1.2 state set it selects. It owns the
 * transcript, which it feeds with each message before the state's handler runs, except where the
 * state verifies the message against the transcript first (ServerHello, CertificateVerify,
 * Finished); a HelloRequest and the ChangeCipherSpec pseudo-message never enter it.
 */
import { randomBytes } from 'node:crypto'
import { HandshakeType } from '../constants.js'
import { decodeServerHello } from '../messages/server-hello.js'
import { keySharesFor, sendClientHello, type HelloOffer } from './client-hello.js'
import type { ClientHandshakeOptions, HandshakeContext, HandshakeIo, HandshakeOutcome } from './context.js'
import type { HandshakeMessage } from './handshake-reader.js'
import { CHANGE_CIPHER_SPEC_MESSAGE, expectType, type Step } from './step.js'
import { Transcript } from './transcript.js'
import { afterHandshake12, refuseHelloRequest, serverHello12, step12, type Tls12State } from './tls12/machine.js'
import { afterHandshake13, serverHello13, step13, type Tls13State } from './tls13/machine.js'

/** Before the ServerHello selected a version. */
type HelloState =
  | { readonly version: undefined; readonly name: 'Start' }
  | { readonly version: undefined; readonly name: 'ExpectServerHello'; readonly offer: HelloOffer }

export type HandshakeState = HelloState | Tls13State | Tls12State

/** States whose handler checks the message against the transcript before adding it itself. */
const VERIFY_FIRST: ReadonlySet<HandshakeState['name']> = new Set([
  'ExpectServerHello',
  'ExpectCertificateVerify',
  'ExpectFinished',
  'Done',
])

export class ClientHandshake {
  private state: HandshakeState = { version: undefined, name: 'Start' }
  /**
   * What the handshake needs until Done: the options (the ClientHello plan, resumption ticket), the
   * transcript. Dropped at Done so that an idle connection does not keep them (and the buffers
   * they point into) alive; post-handshake messages need only the I/O.
   */
  private cx: HandshakeContext | undefined
  private readonly io: HandshakeIo
  private readonly random: Buffer
  private readonly firstRecordVersion: number

  constructor(io: HandshakeIo, options: ClientHandshakeOptions) {
    const transcript = new Transcript()
    this.io = io
    this.random = randomBytes(32)
    this.firstRecordVersion = options.plan.spec.recordVersion
    this.cx = {
      io,
      options,
      transcript,
      clientRandom: this.random,
      sessionId: randomBytes(options.plan.spec.sessionIdLength),
      send: (message) => {
        transcript.add(message)
        io.sendHandshake(message)
      },
    }
  }

  get clientRandom(): Buffer {
    return this.random
  }

  /** Record-layer version for the first ClientHello record (the profile's, usually 0x0301). */
  get recordVersion(): number {
    return this.firstRecordVersion
  }

  get stateName(): HandshakeState['name'] {
    return this.state.name
  }

  /** The version the ServerHello selected; undefined before it. */
  get version(): 'TLSv1.3' | 'TLSv1.2' | undefined {
    return this.state.version
  }

  get done(): HandshakeOutcome | undefined {
    return this.state.name === 'Done' ? this.state.result : undefined
  }

  /** Builds and sends ClientHello1 (RFC 8446 §4.1.2). */
  start(): void {
    const cx = this.cx
    if (this.state.name !== 'Start' || cx === undefined) throw new Error('ClientHandshake.start: already started')
    const offer = sendClientHello(cx, keySharesFor(cx.options))
    this.state = { version: undefined, name: 'ExpectServerHello', offer }
  }

  /**
   * Handles one handshake message, or the server's ChangeCipherSpec as `CHANGE_CIPHER_SPEC_MESSAGE`
   * (TLS 1.2); returns a promise only while certificate verification runs.
   * @throws TlsError subclasses for every rule the server broke.
   */
  handle(msg: HandshakeMessage): void | Promise<void> {
    const state = this.state
    if (state.version === 'TLSv1.2' && msg.type === HandshakeType.hello_request) {
      return refuseHelloRequest(state, msg, this.io)
    }
    if (state.name === 'Done') return state.version === 'TLSv1.3' ? afterHandshake13(msg) : afterHandshake12(state, msg)
    const cx = this.cx
    if (cx === undefined) throw new Error('ClientHandshake.handle: no context before Done')
    if (msg !== CHANGE_CIPHER_SPEC_MESSAGE && !VERIFY_FIRST.has(state.name)) cx.transcript.add(msg.raw)
    const next = this.step(state, msg, cx)
    if (next instanceof Promise) {
      return next.then((s) => this.enter(s))
    }
    this.enter(next)
  }

  private enter(next: HandshakeState): void {
    this.state = next
    if (next.name === 'Done') this.cx = undefined
  }

  private step(state: HandshakeState, msg: HandshakeMessage, cx: HandshakeContext): Step<HandshakeState> {
    switch (state.version) {
      case 'TLSv1.3':
        return step13(state, msg, cx)
      case 'TLSv1.2':
        return step12(state, msg, cx)
      default:
        if (state.name === 'Start') throw new Error('ClientHandshake.handle before start()')
        return this.serverHello(state.offer, msg, cx)
    }
  }

  /** No supported_versions: the server negotiated TLS 1.2 or older (RFC 8446 §4.1.3, §4.2.1). */
  private serverHello(offer: HelloOffer, msg: HandshakeMessage, cx: HandshakeContext): HandshakeState {
    expectType(msg, HandshakeType.server_hello, 'ExpectServerHello', 'RFC 8446 §4')
    const sh = decodeServerHello(msg.body)
    if (sh.selectedVersion === undefined) return serverHello12(sh, msg, cx)
    return serverHello13(sh, msg, cx, offer)
  }
}
