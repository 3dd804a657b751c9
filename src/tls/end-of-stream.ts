/**
 * EndOfStream: delivers the end of a TLS connection to the reader of its Duplex after the data, as
 * node:net does. The end (close_notify: EOF; anything else: the error) reaches the reader only
 * once it has read every byte already pushed, and never in the tick that pushed or read them:
 * a reader that pauses mid-response (undici's HTTP/1.1 parser under body back-pressure) sees the
 * end when it asks for more, and a consumer that registers its listeners a tick after the
 * response head (undici's fetch) still sees the error.
 */
import type { Duplex } from 'node:stream'

export class EndOfStream {
  /** How the connection ended: undefined while it has not, null for close_notify, else the error. */
  #ending: Error | null | undefined
  #scheduled = false
  #probing = false
  #eofPushed = false

  constructor(private readonly stream: Duplex) {}

  /** Whether the connection's end is known (it may not have reached the reader yet). */
  get ended(): boolean {
    return this.#ending !== undefined
  }

  /** Records the end (`null` for close_notify, else the error); the first one wins. */
  end(ending: Error | null): void {
    if (this.#ending !== undefined) return
    this.#ending = ending
    this.#schedule()
  }

  /** Called after each read() of the stream, with what it returned. */
  afterRead(chunk: unknown): void {
    if (this.#ending === undefined || this.#eofPushed) return
    if (this.#probing && chunk === null && this.stream.readableLength === 0) this.#pushEof()
    else this.#schedule()
  }

  /** Once the reader has taken every byte pushed, delivers the end in a later turn of the event loop. */
  #schedule(): void {
    if (this.#scheduled || this.#eofPushed || this.stream.readableLength > 0) return
    this.#scheduled = true
    // One function for every stream, given this one as its argument: no closure per connection.
    setImmediate(EndOfStream.#deliver, this)
  }

  static #deliver(eos: EndOfStream): void {
    eos.#scheduled = false
    const stream = eos.stream
    const ending = eos.#ending
    // The reader gave bytes back (undici's parser unshifts what it could not take): wait for them.
    if (stream.destroyed || ending === undefined || eos.#eofPushed || stream.readableLength > 0) return
    if (ending !== null) {
      stream.destroy(ending)
      return
    }
    if (stream.readableFlowing !== true && stream.listenerCount('readable') > 0) {
      // A 'readable' reader (undici's HTTP/1.1 parser) reads only while it can take data, and
      // undici 7 asserts it can when the end arrives: the end is offered, and pushed from inside
      // the read() it makes now; a reader held by back-pressure gets it at its next read.
      eos.#probing = true
      try {
        stream.emit('readable')
      } finally {
        eos.#probing = false
      }
      return
    }
    eos.#pushEof()
  }

  #pushEof(): void {
    this.#eofPushed = true
    this.stream.push(null)
  }
}
