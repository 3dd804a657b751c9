/**
 * The client side of one TLS 1.3 or 1.2 connection without I/O: the record layer (RFC 8446 §5,
 * RFC 5246 §6) with its two directions of protection, the handshake driver, and post-handshake
 * messages (RFC 8446 §4.6; in TLS 1.2 a HelloRequest, which is refused, RFC 5746 §4.2).
 * `TlsSocket` wires it to a transport; tests can drive it directly.
 */
import {
  AlertDescription,
  AlertLevel,
  ContentType,
  HandshakeType,
  MAX_CIPHERTEXT_TLS12,
  MAX_PLAINTEXT,
} from './constants.js'
import type { CipherSuite13 } from './crypto/cipher-suites.js'
import { nextTrafficSecret } from './crypto/key-schedule.js'
import { TlsProtocolError, TlsRecordOverflowError, alertFor, asTlsError } from './errors.js'
import { ClientHandshake } from './handshake/client.js'
import type {
  Aligned,
  ClientHandshakeOptions,
  HandshakeIo,
  HandshakeOutcome,
  HandshakeResult,
} from './handshake/context.js'
import { HandshakeReader, type HandshakeMessage } from './handshake/handshake-reader.js'
import { CHANGE_CIPHER_SPEC_MESSAGE } from './handshake/step.js'
import { decodeKeyUpdate, decodeNewSessionTicket, encodeKeyUpdate, type NewSessionTicket } from './messages/simple.js'
import { plaintextRecord, plaintextRecords, readAlert } from './record/plaintext.js'
import { direction13, type Direction } from './record/direction.js'
import type { RecordProtector } from './record/record-protector.js'
import { RecordReader, type RawRecord } from './record/record-reader.js'
import { outgoingRecords } from './record/fragment.js'

export interface ConnectionEvents {
  /** Bytes to put on the transport; returns false when the transport wants the writer to wait for 'drain'. */
  transmit(bytes: Buffer): boolean
  handshakeDone(result: HandshakeOutcome): void
  data(plaintext: Buffer): void
  /** The peer sent close_notify (RFC 8446 §6.1). */
  peerClosed(): void
  /** A fatal error; the connection already sent its alert (if any) and is dead. */
  error(err: Error): void
  /** A TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1); TLS 1.2 tickets arrive in the handshake result. */
  ticket?(ticket: NewSessionTicket, handshake: HandshakeResult): void
  /** NSS key log line, without the trailing newline. */
  keylog?(line: string): void
}

/** Records in a row that carry no progress (empty, CCS, warning alerts) before we give up (Go: maxUselessRecords). */
const MAX_USELESS_RECORDS = 32

export class TlsClientConnection {
  private readonly records = new RecordReader()
  private readonly handshakeReader = new HandshakeReader()
  /**
   * Dropped at a TLS 1.3 Done, after which nothing reads it (an idle connection keeps none of it);
   * TLS 1.2 keeps it to refuse renegotiation (RFC 5746 §4.2).
   */
  private handshake: ClientHandshake | undefined
  /** The version the ServerHello selected, once the handshake is done. */
  private version: 'TLSv1.3' | 'TLSv1.2' | undefined
  private readDir: Direction | undefined
  private writeDir: Direction | undefined
  private result: HandshakeOutcome | undefined
  private paused = false
  private dead: Error | undefined
  private closeNotifySent = false
  private peerClosedFlag = false
  private uselessRecords = 0
  private maxSendFragment = MAX_PLAINTEXT
  /** Application data opened from one `receive()`, handed on as one buffer (one push, not one per record) before the peer's close or an error. */
  private readonly opened: Buffer[] = []
  private readonly offeredRecordSizeLimit: number | undefined

  constructor(
    options: ClientHandshakeOptions,
    private readonly events: ConnectionEvents,
  ) {
    this.offeredRecordSizeLimit = options.plan.offered.recordSizeLimit
    this.handshake = new ClientHandshake(this.io(), options)
  }

  get handshakeResult(): HandshakeOutcome | undefined {
    return this.result
  }

  get error(): Error | undefined {
    return this.dead
  }

  get isPeerClosed(): boolean {
    return this.peerClosedFlag
  }

  /** True once the ServerHello selected TLS 1.2. */
  private get tls12(): boolean {
    return (this.version ?? this.handshake?.version) === 'TLSv1.2'
  }

  /** Largest plaintext we accept: 2^14, or our record_size_limit (RFC 8449 §4: in TLS 1.3 it counts the inner content type). */
  private get maxReceivePlaintext(): number {
    const limit = this.offeredRecordSizeLimit
    if (!limit) return MAX_PLAINTEXT
    return Math.min(MAX_PLAINTEXT, this.tls12 ? limit : limit - 1)
  }

  /** Sends ClientHello. */
  start(): void {
    this.guard(() => this.handshake!.start())
  }

  /** Feeds bytes from the transport (`transient`: their memory is reused after the call, so leftovers are copied). Never throws: errors go to `events.error`. Ignored after close_notify. */
  receive(chunk: Buffer, transient = false): void {
    if (this.dead || this.peerClosedFlag) return
    this.records.push(chunk)
    this.pump()
    if (transient) this.records.detach(chunk)
  }

  private pump(): void {
    while (!this.paused && !this.dead) {
      let record: RawRecord | undefined
      let pending: void | Promise<void>
      try {
        record = this.records.next()
        if (!record) break
        pending = this.processRecord(record)
      } catch (err) {
        this.deliverOpened()
        this.fail(asTlsError(err))
        return
      }
      if (pending) {
        this.paused = true
        this.deliverOpened()
        pending.then(
          () => {
            this.paused = false
            this.pump()
          },
          (err: unknown) => this.fail(asTlsError(err)),
        )
        return
      }
    }
    this.deliverOpened()
  }

  /** Hands the application data opened so far to `events.data`: one buffer, the records' plaintexts in order. */
  private deliverOpened(): void {
    const opened = this.opened
    if (opened.length === 0) return
    const data = opened.length === 1 ? opened[0]! : Buffer.concat(opened)
    opened.length = 0
    if (!this.dead) this.events.data(data)
  }

  private processRecord(record: RawRecord): void | Promise<void> {
    if (record.type === ContentType.change_cipher_spec) return this.processChangeCipherSpec(record)
    let type = record.type
    let content = record.fragment
    if (this.readDir) {
      // TLS 1.3 hides the type inside (RFC 8446 §5.2); TLS 1.2 protects every type as is (RFC 5246 §6.2.3).
      if (!this.tls12 && type !== ContentType.application_data) {
        throw new TlsProtocolError(
          'plaintext_record_after_key_change',
          `plaintext record of type ${type} after keys were established (RFC 8446 §5.2)`,
          AlertDescription.unexpected_message,
        )
      }
      const opened = this.readDir.protection.open(record.header, record.fragment)
      type = opened.type
      content = opened.content
      if (content.length > this.maxReceivePlaintext) {
        throw new TlsRecordOverflowError(
          `decrypted record of ${content.length} bytes exceeds ${this.maxReceivePlaintext} (RFC 8446 §5.2 / RFC 8449)`,
        )
      }
    } else if (content.length > MAX_PLAINTEXT) {
      throw new TlsRecordOverflowError(`plaintext record of ${content.length} bytes exceeds 2^14 (RFC 8446 §5.1)`)
    }
    if (this.handshakeReader.hasPartial && type !== ContentType.handshake) {
      throw new TlsProtocolError(
        'handshake_interleaved_with_other_records',
        'handshake message interleaved with another record type (RFC 8446 §5.1)',
        AlertDescription.unexpected_message,
      )
    }
    switch (type) {
      case ContentType.handshake:
        this.uselessRecords = 0
        return this.processHandshakeRecord(content)
      case ContentType.alert:
        return this.processAlert(content)
      case ContentType.application_data:
        return this.processApplicationData(content)
      default:
        throw new TlsProtocolError(
          'unexpected_inner_content_type',
          `record of content type ${type} inside an encrypted record (RFC 8446 §5.4)`,
          AlertDescription.unexpected_message,
        )
    }
  }

  private processChangeCipherSpec(record: RawRecord): void | Promise<void> {
    if (this.tls12) {
      if (record.fragment.length !== 1 || record.fragment[0] !== 1) {
        throw new TlsProtocolError(
          'bad_change_cipher_spec',
          'ChangeCipherSpec is not the single byte 1 (RFC 5246 §7.1)',
          AlertDescription.decode_error,
        )
      }
      // RFC 5246 §7.1: the server's ChangeCipherSpec switches its records to the negotiated protection.
      return this.handshake!.handle(CHANGE_CIPHER_SPEC_MESSAGE)
    }
    // RFC 8446 §5: a single-byte 0x01 CCS during the handshake is dropped; anything else is fatal.
    if (this.result || record.fragment.length !== 1 || record.fragment[0] !== 1) {
      throw new TlsProtocolError(
        'unexpected_change_cipher_spec',
        'unexpected change_cipher_spec record (RFC 8446 §5)',
        AlertDescription.unexpected_message,
      )
    }
    this.countUseless()
  }

  private countUseless(): void {
    if (++this.uselessRecords > MAX_USELESS_RECORDS) {
      throw new TlsProtocolError(
        'too_many_useless_records',
        `${MAX_USELESS_RECORDS} records in a row without progress; the peer is stalling the connection`,
        AlertDescription.unexpected_message,
      )
    }
  }

  private processHandshakeRecord(fragment: Buffer): void | Promise<void> {
    this.handshakeReader.push(fragment)
    return this.drainHandshake()
  }

  private drainHandshake(): void | Promise<void> {
    for (;;) {
      const msg = this.handshakeReader.next()
      if (!msg) return
      const pending =
        this.result?.version === 'TLSv1.3'
          ? this.processPostHandshake(this.result, msg)
          : this.processHandshakeMessage(msg)
      if (pending) return pending.then(() => this.drainHandshake())
    }
  }

  private processHandshakeMessage(msg: HandshakeMessage): void | Promise<void> {
    const pending = this.handshake!.handle(msg)
    if (pending) return pending.then(() => this.afterHandshakeStep())
    this.afterHandshakeStep()
  }

  private afterHandshakeStep(): void {
    const done = this.handshake?.done
    if (!done || this.result) return
    this.result = done
    this.version = done.version
    if (done.version === 'TLSv1.3') this.handshake = undefined
    // RFC 8449 §4: in TLS 1.3 the limit counts the inner content type; in TLS 1.2 it is the plaintext.
    if (done.recordSizeLimit)
      this.maxSendFragment = Math.min(MAX_PLAINTEXT, done.recordSizeLimit - (done.version === 'TLSv1.3' ? 1 : 0))
    this.events.handshakeDone(done)
  }

  /** TLS 1.3 after the handshake (RFC 8446 §4.6); TLS 1.2 messages go on to the handshake, which refuses renegotiation. */
  private processPostHandshake(result: HandshakeResult, msg: HandshakeMessage): void {
    switch (msg.type) {
      case HandshakeType.new_session_ticket:
        this.events.ticket?.(decodeNewSessionTicket(msg.body), result)
        return
      case HandshakeType.key_update:
        return this.processKeyUpdate(msg)
      default:
        throw new TlsProtocolError(
          'unexpected_post_handshake_message',
          `handshake message ${msg.type} after the handshake (RFC 8446 §4.6)`,
          AlertDescription.unexpected_message,
        )
    }
  }

  private processKeyUpdate(msg: HandshakeMessage): void {
    const requested = decodeKeyUpdate(msg.body)
    const aligned = this.handshakeReader.aligned('KeyUpdate not at a record boundary (RFC 8446 §5.1)')
    const read = this.readDir?.tls13
    if (!read)
      throw new TlsProtocolError(
        'key_update_without_keys',
        'KeyUpdate without TLS 1.3 read keys',
        AlertDescription.unexpected_message,
      )
    this.installRead(read.suite, nextTrafficSecret(read.suite.hash, read.secret), aligned)
    if (requested && !this.closeNotifySent) this.updateWriteKeys(false)
  }

  /** Sends KeyUpdate and switches our write keys (RFC 8446 §4.6.3); `requestPeer` asks the peer to do the same. */
  updateWriteKeys(requestPeer: boolean): void {
    const write = this.writeDir?.tls13
    if (!write || !this.result) {
      throw new TlsProtocolError(
        'key_update_unavailable',
        this.result
          ? 'KeyUpdate is a TLS 1.3 message; this connection uses TLS 1.2 (RFC 8446 §4.6.3)'
          : 'KeyUpdate before the handshake completed',
        AlertDescription.internal_error,
      )
    }
    this.sendRecord(ContentType.handshake, encodeKeyUpdate(requestPeer))
    this.installWrite(write.suite, nextTrafficSecret(write.suite.hash, write.secret))
  }

  private processAlert(content: Buffer): void {
    if (readAlert(content, this.tls12) === 'ignore') {
      this.countUseless()
      return
    }
    this.peerClosedFlag = true
    this.paused = true
    this.deliverOpened()
    this.events.peerClosed()
  }

  private processApplicationData(content: Buffer): void {
    if (!this.result) {
      throw new TlsProtocolError(
        'application_data_before_handshake',
        'application data before the handshake completed (RFC 8446 §2)',
        AlertDescription.unexpected_message,
      )
    }
    if (content.length === 0) {
      this.countUseless()
      return
    }
    this.uselessRecords = 0
    this.opened.push(content)
  }

  /** Encrypts and transmits application data; returns the transport's backpressure signal. */
  writeApplicationData(data: Buffer): boolean {
    if (this.dead) throw this.dead
    if (!this.result)
      throw new TlsProtocolError(
        'write_before_handshake',
        'write before the handshake completed',
        AlertDescription.internal_error,
      )
    if (this.closeNotifySent)
      throw new TlsProtocolError(
        'write_after_close_notify',
        'write after close_notify (RFC 8446 §6.1)',
        AlertDescription.internal_error,
      )
    const sent = this.sendRecord(ContentType.application_data, data)
    // Sent: the next records' ciphers are made while the peer answers, not when the answer comes.
    this.writeDir?.protection.makeAhead?.('seal')
    this.readDir?.protection.makeAhead?.('open')
    return sent
  }

  private sendRecord(type: number, data: Buffer): boolean {
    return this.events.transmit(outgoingRecords(this.writeDir?.protection, type, data, this.maxSendFragment))
  }

  /** Sends close_notify (RFC 8446 §6.1). Idempotent. */
  sendCloseNotify(): void {
    if (this.closeNotifySent || this.dead) return
    this.closeNotifySent = true
    try {
      this.sendRecord(ContentType.alert, Buffer.of(AlertLevel.warning, AlertDescription.close_notify))
    } catch {
      // transport already gone
    }
  }

  /**
   * Marks the connection dead with `err` and sends the alert `alertFor(err)` decides, unless
   * close_notify went out already. Errors raised while processing the peer's bytes arrive here
   * through `asTlsError` (the tls boundary); `TlsSocket._destroy` passes the caller's error as is.
   */
  fail(err: Error): void {
    if (this.dead) return
    this.dead = err
    const description = alertFor(err)
    if (description !== undefined && !this.closeNotifySent) {
      this.closeNotifySent = true
      try {
        this.sendRecord(ContentType.alert, Buffer.of(AlertLevel.fatal, description))
      } catch {
        // best effort
      }
    }
    this.events.error(err)
  }

  private guard(fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.fail(asTlsError(err))
    }
  }

  private installRead(suite: CipherSuite13, secret: Buffer, _aligned: Aligned): void {
    this.readDir = direction13(suite, secret)
  }

  private installWrite(suite: CipherSuite13, secret: Buffer): void {
    this.writeDir = direction13(suite, secret)
  }

  private firstRecordVersion = true

  private io(): HandshakeIo {
    return {
      sendHandshake: (message) => {
        if (this.writeDir) {
          this.sendRecord(ContentType.handshake, message)
          return
        }
        // RFC 8446 §5.1: the first ClientHello record may carry 0x0301 for compatibility.
        const version = this.firstRecordVersion ? this.handshake!.recordVersion : 0x0303
        this.firstRecordVersion = false
        this.events.transmit(plaintextRecords(ContentType.handshake, message, version))
      },
      sendChangeCipherSpec: () => {
        this.events.transmit(plaintextRecord(ContentType.change_cipher_spec, Buffer.of(1), 0x0303))
      },
      refuseRenegotiation: () => {
        this.countUseless()
        if (!this.closeNotifySent)
          this.sendRecord(ContentType.alert, Buffer.of(AlertLevel.warning, AlertDescription.no_renegotiation))
      },
      aligned: (what) => this.handshakeReader.aligned(what),
      setReadKeys: (suite, secret, aligned) => this.installRead(suite, secret, aligned),
      setWriteKeys: (suite, secret) => this.installWrite(suite, secret),
      setReadProtection: (protection) => {
        this.readDir = { protection }
        // RFC 5246 §6.2.3: TLS 1.2 ciphertexts may expand by up to 2048 bytes (CBC padding).
        this.records.maxFragmentLength = MAX_CIPHERTEXT_TLS12
        this.uselessRecords = 0
      },
      setWriteProtection: (protection) => {
        this.writeDir = { protection }
      },
      logSecret: (label, secret) => {
        this.events.keylog?.(`${label} ${this.handshake!.clientRandom.toString('hex')} ${secret.toString('hex')}`)
      },
    }
  }
}
