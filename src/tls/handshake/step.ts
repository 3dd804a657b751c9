/** What every state handler of both versions shares: its return type, the message-type guard, the CCS pseudo-message. */
import { AlertDescription } from '../constants.js'
import { TlsProtocolError } from '../errors.js'
import type { HandshakeMessage } from './handshake-reader.js'

/** A handler's next state; a promise only while certificate verification runs. */
export type Step<S> = S | Promise<S>

/**
 * The server's ChangeCipherSpec record (RFC 5246 §7.1), handed to the TLS 1.2 states as a message of
 * its own so that its place in the flight is checked like any other's. Its type is outside the
 * 8-bit HandshakeType range; it never enters the transcript.
 */
export const CHANGE_CIPHER_SPEC_MESSAGE: HandshakeMessage = Object.freeze({
  type: 0x100,
  body: Buffer.alloc(0),
  raw: Buffer.alloc(0),
})

/** `next(value)` now, or once `value` resolves: keeps a synchronous handshake step synchronous. */
export function andThen<T, U>(value: T | Promise<T>, next: (v: T) => U): U | Promise<U> {
  return value instanceof Promise ? value.then(next) : next(value)
}

/**
 * The guard each handler starts with (rustls' `require_handshake_msg`).
 * @throws TlsProtocolError (unexpected_message) when `msg` is not of `type`.
 */
export function expectType(msg: HandshakeMessage, type: number, state: string, rfc: string): void {
  if (msg.type !== type) {
    throw new TlsProtocolError(
      'unexpected_message_order',
      `expected handshake message ${type} in state ${state}, got ${msg.type} (${rfc} message order)`,
      AlertDescription.unexpected_message,
    )
  }
}
