/** When a destroyed transport has closed: the turn in which a TlsSocket's destroy completes. */
import type { Duplex } from 'node:stream'

/**
 * Calls `done` once the destroyed `transport` has closed: at its 'close', or a turn later when it
 * already closed or never emits 'close' (a Duplex built with `emitClose: false`), never in the
 * turn of the destroy (node:net's order: a reader that destroys the socket while reading gets
 * 'error' and 'close' after the listeners its caller adds in that turn).
 */
export function afterTransportClose(transport: Duplex, done: () => void): void {
  const state = transport as unknown as { _readableState?: { emitClose?: boolean } }
  if (transport.closed || state._readableState?.emitClose === false) setImmediate(done)
  else transport.once('close', done)
}
