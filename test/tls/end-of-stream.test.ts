/**
 * The end of a TLS connection reaches the reader after the data (issue 16, items 3-6): whatever
 * ends the connection (close_notify, a FIN, a TCP reset, a transport destroyed under the socket, a
 * fatal record error), every byte already received is read first, and the end comes in a later
 * turn of the event loop than those bytes, only when the reader asks for more. After the
 * handshake, a reset without close_notify is a truncation (ERR_TLS_TRUNCATED), like a FIN.
 * Peers: node:tls (OpenSSL) servers and the scripted hostile server, on loopback.
 */
import { connect as netConnect, type Socket } from 'node:net'
import { Duplex } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import { connect, type TlsError, type TlsSocket } from '../../src/tls/index.js'
import { startHostileServer, type HostileServerOptions } from '../helpers/hostile-server.js'
import { startTls, testPki } from '../helpers/servers.js'

const HOST = 'tiles.test'
const pki = testPki()
const BOUND = { timeout: 10_000 }

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Bytes 0..n-1 of a pattern derived from `seed`, so every byte can be checked. */
function pattern(seed: number, n: number): Buffer {
  const out = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff
  return out
}

/** The raw TCP socket under a node:tls server socket. */
function tcpOf(tls: TLSSocket): Socket {
  return (tls as TLSSocket & { _parent?: Socket })._parent ?? tls
}

/** A node:tls server that runs `script` once the client's first byte of application data arrives. */
async function serve(script: (s: TLSSocket) => void): Promise<number> {
  const started = await startTls({}, (s) => {
    s.on('error', () => {})
    s.once('data', () => script(s))
  })
  cleanups.push(() => started.close())
  return started.port
}

async function dial(port: number, transport?: Duplex): Promise<TlsSocket> {
  const socket = await connect({
    host: HOST,
    ip: '127.0.0.1',
    port,
    ca: pki.ca.certPem,
    timeout: 5000,
    ...(transport ? { socket: transport } : {}),
  })
  cleanups.push(() => void socket.destroy())
  socket.on('error', () => {})
  socket.write('go')
  return socket
}

type Outcome = { kind: 'end' } | { kind: 'error'; err: TlsError }

/** How the socket ends: 'end', or its 'error' (a 'close' without either fails). */
function ending(socket: TlsSocket): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    socket.once('end', () => resolve({ kind: 'end' }))
    socket.once('error', (err) => resolve({ kind: 'error', err: err as TlsError }))
    socket.once('close', () => setImmediate(() => reject(new Error('closed without end or error'))))
  })
}

/**
 * A 'readable' reader like undici's HTTP/1.1 parser: it reads while it can take data, marks the
 * turn of each read (a flag cleared only after the nextTick and microtask queues of that turn ran),
 * and can be held (`take = false`), as back-pressure holds the parser.
 */
function reader(socket: TlsSocket, options: { holdAfterFirst?: boolean; holdAt?: number } = {}) {
  const { holdAfterFirst = false, holdAt = Infinity } = options
  const state = { bytes: [] as Buffer[], length: 0, take: true, dataTurn: false, readsWhileHeld: 0 }
  const markTurn = (): void => {
    state.dataTurn = true
    process.nextTick(() => queueMicrotask(() => void Promise.resolve().then(() => (state.dataTurn = false))))
  }
  const pull = (): void => {
    while (state.take) {
      const chunk = (holdAfterFirst && state.bytes.length === 0 ? socket.read(1000) : socket.read()) as Buffer | null
      if (chunk === null) return
      state.bytes.push(chunk)
      state.length += chunk.length
      markTurn()
      if ((holdAfterFirst && state.bytes.length === 1) || state.length === holdAt) state.take = false
    }
  }
  socket.on('readable', () => {
    if (state.take) pull()
    else state.readsWhileHeld++
  })
  return {
    state,
    get data() {
      return Buffer.concat(state.bytes)
    },
    hold: () => void (state.take = false),
    release: () => {
      state.take = true
      pull()
    },
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe('end of stream after the data', BOUND, () => {
  it('close_notify in the same read as 40,000 bytes: every byte, then end in a later turn', async () => {
    const body = pattern(1, 40_000)
    const port = await serve((s) => {
      s.cork()
      s.write(body)
      s.end()
      s.uncork()
    })
    const socket = await dial(port)
    const r = reader(socket)
    let dataTurnAtEnd: boolean | undefined
    const done = ending(socket)
    socket.once('end', () => (dataTurnAtEnd = r.state.dataTurn))
    expect((await done).kind).toBe('end')
    expect(r.data.equals(body)).toBe(true)
    expect(dataTurnAtEnd).toBe(false)
  })

  it('a held reader gets no end until it takes more, however long it waits', async () => {
    const body = pattern(2, 64 * 1024)
    const port = await serve((s) => s.end(body))
    const socket = await dial(port)
    // The reader holds after its first 1,000 bytes: the rest stays buffered, the end waits.
    const r = reader(socket, { holdAfterFirst: true })
    const done = ending(socket)
    let settled = false
    void done.then(() => (settled = true))
    await sleep(300)
    expect(r.state.bytes.length).toBe(1)
    expect(settled).toBe(false)
    expect(socket.destroyed).toBe(false)
    r.release()
    expect((await done).kind).toBe('end')
    expect(r.data.equals(body)).toBe(true)
  })

  it('a reader held after the last byte (undici under back-pressure) is offered the end, gets it only when it takes it', async () => {
    const body = pattern(3, 20_000)
    const port = await serve((s) => s.end(body))
    const socket = await dial(port)
    // The reader holds in the turn it reads the last byte, as undici's parser pauses on a full body.
    const r = reader(socket, { holdAt: body.length })
    const done = ending(socket)
    let settled = false
    void done.then(() => (settled = true))
    while (r.state.length < body.length) await sleep(5)
    await sleep(200)
    expect(settled).toBe(false)
    // It was offered the end ('readable') and did not read: nothing was forced on it.
    expect(r.state.readsWhileHeld).toBeGreaterThan(0)
    r.release()
    expect((await done).kind).toBe('end')
    expect(r.data.equals(body)).toBe(true)
  })

  it('TCP reset after the data, without close_notify: ERR_TLS_TRUNCATED (cause ECONNRESET) after every byte', async () => {
    const body = pattern(4, 30_000)
    const port = await serve((s) => s.write(body, () => setTimeout(() => tcpOf(s).resetAndDestroy(), 20)))
    const socket = await dial(port)
    const r = reader(socket)
    const out = await ending(socket)
    expect(out.kind).toBe('error')
    const err = (out as { err: TlsError }).err
    expect(err.code).toBe('ERR_TLS_TRUNCATED')
    expect((err.cause as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNRESET')
    expect(r.data.equals(body)).toBe(true)
  })

  it('a reset while the reader holds unread data: the error waits for the reader, writes meanwhile complete', async () => {
    const body = pattern(5, 50_000)
    const port = await serve((s) => s.write(body, () => setTimeout(() => tcpOf(s).resetAndDestroy(), 20)))
    const socket = await dial(port)
    const r = reader(socket)
    r.hold()
    let settled = false
    const done = ending(socket)
    void done.then(() => (settled = true))
    await sleep(300)
    expect(settled).toBe(false)
    expect(socket.readableLength).toBeGreaterThan(0)
    // The transport is gone; a write neither hangs nor fails: the failure is the reader's.
    const written = await new Promise<Error | null | undefined>((resolve) => socket.write('more', resolve))
    expect(written ?? null).toBeNull()
    r.release()
    const out = await done
    expect(out.kind === 'error' && out.err.code).toBe('ERR_TLS_TRUNCATED')
    expect(r.data.equals(body)).toBe(true)
  })

  it('close_notify, then a reset: a clean end (the peer said the data was complete)', async () => {
    const body = pattern(6, 10_000)
    const port = await serve((s) => s.end(body, () => setTimeout(() => tcpOf(s).resetAndDestroy(), 20)))
    const socket = await dial(port)
    const r = reader(socket)
    r.hold()
    await sleep(200)
    const done = ending(socket)
    r.release()
    expect((await done).kind).toBe('end')
    expect(r.data.equals(body)).toBe(true)
  })

  it('a reader that destroys the socket in the turn of a read (undici on a parser error): error and close after the transport closed, in a later turn', async () => {
    const port = await serve((s) => s.write(pattern(8, 5_000)))
    const socket = await dial(port)
    const r = reader(socket)
    const broken = new Error('the reader gave up')
    socket.once('readable', () => socket.destroy(broken))
    const seen: { err?: Error; dataTurn?: boolean; transportClosed?: boolean } = {}
    socket.once('error', (err) => Object.assign(seen, { err, dataTurn: r.state.dataTurn }))
    await new Promise<void>((resolve) =>
      socket.once('close', () => {
        seen.transportClosed = socket.transport.closed
        resolve()
      }),
    )
    expect(seen.err).toBe(broken)
    expect(seen.dataTurn).toBe(false)
    expect(seen.transportClosed).toBe(true)
  })

  it('a transport (any Duplex) destroyed under the socket without FIN: ERR_TLS_TRUNCATED after the data', async () => {
    const body = pattern(7, 8_000)
    const port = await serve((s) => s.write(body))
    const tcp = netConnect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => tcp.once('connect', resolve).once('error', reject))
    const tunnel = new Tunnel(tcp)
    const socket = await dial(port, tunnel)
    const r = reader(socket)
    while (r.data.length < body.length) await sleep(5)
    const done = ending(socket)
    tunnel.destroy()
    const out = await done
    expect(out.kind === 'error' && out.err.code).toBe('ERR_TLS_TRUNCATED')
    expect(r.data.equals(body)).toBe(true)
  })

  it('a transport that never emits close (emitClose: false): destroy() still ends the socket with close', async () => {
    const port = await serve((s) => s.write(pattern(9, 1_000)))
    const tcp = netConnect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => tcp.once('connect', resolve).once('error', reject))
    const tunnel = new Tunnel(tcp, { emitClose: false })
    const socket = await dial(port, tunnel)
    let tunnelClosed = false
    tunnel.once('close', () => (tunnelClosed = true))
    const closed = new Promise<void>((resolve) => socket.once('close', resolve))
    socket.destroy()
    await closed
    expect(socket.destroyed).toBe(true)
    expect(tunnelClosed).toBe(false)
  })
})

describe('end of stream after the data: scripted peer', BOUND, () => {
  async function hostile(fault: HostileServerOptions['fault']): Promise<TlsSocket> {
    const srv = await startHostileServer({ pki, fault })
    cleanups.push(() => srv.close())
    const socket = await connect({ host: HOST, ip: '127.0.0.1', port: srv.port, ca: pki.ca.certPem, timeout: 5000 })
    cleanups.push(() => void socket.destroy())
    return socket
  }

  it('a good record and a tampered one in one read: the data, then ERR_TLS_BAD_RECORD_MAC in a later turn', async () => {
    const socket = await hostile({ kind: 'data-then-flip' })
    const r = reader(socket)
    let dataTurnAtError: boolean | undefined
    const done = ending(socket)
    socket.once('error', () => (dataTurnAtError = r.state.dataTurn))
    const out = await done
    expect(out.kind === 'error' && out.err.code).toBe('ERR_TLS_BAD_RECORD_MAC')
    expect(r.data.toString()).toBe('partial ')
    expect(dataTurnAtError).toBe(false)
  })

  it('records after close_notify are ignored: the data before it, then a clean end', async () => {
    const socket = await hostile({ kind: 'data-after-close-notify' })
    const r = reader(socket)
    expect((await ending(socket)).kind).toBe('end')
    expect(r.data.toString()).toBe('complete')
  })
})

/** A proxy-tunnel-like Duplex over a TCP socket: destroying it closes without a FIN reaching TLS. */
class Tunnel extends Duplex {
  constructor(
    private readonly tcp: Socket,
    options: { emitClose?: boolean } = {},
  ) {
    super(options)
    tcp.on('data', (d: Buffer) => {
      if (!this.push(d)) tcp.pause()
    })
    tcp.on('end', () => this.push(null))
    tcp.on('error', (err) => this.destroy(err))
  }
  override _read(): void {
    this.tcp.resume()
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.tcp.write(chunk, cb)
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // As a tunnel over another layer: destroyed a turn after it was asked to.
    this.tcp.destroy()
    setImmediate(cb, err)
  }
}
