/**
 * TCP sockets that read into one buffer shared by every connection (node:net's `onread`), instead of
 * a new 64 KiB buffer per read that is then shrunk and collected. The bytes of a read are valid only
 * during the call that hands them over: a consumer that takes them that way (a TLS connection after
 * its handshake, which decrypts them at once and copies what it keeps) sets a transient sink on the
 * socket; until then, and while the socket still holds data read the usual way, each read is copied
 * and pushed, so the socket is a plain readable stream to everyone else (the TLS handshake). hotconn
 * opens its direct TCP connections this way; a socket to a proxy reads as usual.
 */
import { connect as netConnect, type NetConnectOpts, type Socket } from 'node:net'

/** The socket's transient sink: called with the bytes of one read, valid only during the call. */
export const kTransientSink = Symbol('hotconn.transientSink')

/** A socket that reads into the shared buffer, with its sink once a consumer set one. */
export type SharedReadSocket = Socket & { [kTransientSink]?: ((chunk: Buffer) => void) | undefined }

/** Bytes per read (node:net's own read size). */
const READ_SIZE = 64 * 1024

let shared: Buffer | undefined

/** Whether `socket` was opened by `connectSharedReads` (so a consumer may set a transient sink on it). */
export function readsIntoShared(socket: unknown): socket is SharedReadSocket {
  return typeof socket === 'object' && socket !== null && kTransientSink in socket
}

/**
 * `net.connect(options)` with reads into the shared buffer. The socket emits `'data'` (copies) as
 * usual until a sink is set with `socket[kTransientSink] = fn`.
 */
export function connectSharedReads(options: NetConnectOpts): SharedReadSocket {
  shared ??= Buffer.allocUnsafe(READ_SIZE)
  const socket: SharedReadSocket = netConnect({
    ...options,
    onread: { buffer: shared, callback: (n: number, buf: Uint8Array) => deliver(socket, buf, n) },
  } as NetConnectOpts)
  socket[kTransientSink] = undefined
  return socket
}

/** One read: to the sink when set and nothing read earlier waits in the stream, else a copy pushed. */
function deliver(socket: SharedReadSocket, buf: Uint8Array, n: number): boolean {
  const sink = socket[kTransientSink]
  if (sink !== undefined && socket.readableLength === 0) {
    sink(Buffer.from(buf.buffer, buf.byteOffset, n))
    return true
  }
  return socket.push(Buffer.from(buf.subarray(0, n)))
}
