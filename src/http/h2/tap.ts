/**
 * A Duplex in front of a socket: what is written to it goes to the socket; what it reads is
 * pushed by its owner (who watches the socket's bytes on the way in). Lets a node:http2 server
 * session run on a socket whose incoming frames are also inspected.
 */
import { Duplex } from 'node:stream'

export function writeThrough(socket: Duplex): Duplex {
  return new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, cb) {
      socket.write(chunk, cb)
    },
    final(cb) {
      socket.end()
      cb()
    },
    destroy(err, cb) {
      socket.destroy()
      cb(err)
    },
  })
}
