/**
 * Reads into the buffer shared by every connection: the bytes reach each TLS socket intact when many
 * connections read at once, when records straddle reads, under backpressure, and a socket without a
 * sink (a proxy handshake) is a plain readable stream of copies.
 */
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import type { Server as TlsServer, TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from '../../src/tls/index.js'
import { connectSharedReads, kTransientSink, readsIntoShared } from '../../src/tls/shared-read.js'
import { startTls, testPki, type Started } from '../helpers/servers.js'

const pki = testPki()
const BODY = randomBytes(3 * 1024 * 1024 + 777)
const DIGEST = createHash('sha256').update(BODY).digest('hex')
let srv: Started<TlsServer>

/** Sends BODY after the client's first byte, in writes of uneven sizes so records and reads never line up. */
function sendBody(socket: TLSSocket): void {
  socket.once('data', () => {
    let at = 0
    let size = 1
    while (at < BODY.length) {
      const n = Math.min(size, BODY.length - at)
      socket.write(BODY.subarray(at, at + n))
      at += n
      size = (size * 7 + 1013) % 40_000
    }
    socket.end()
  })
  socket.on('error', () => {})
}

beforeAll(async () => {
  srv = await startTls({}, sendBody, pki)
})
afterAll(() => srv.close())

async function fetchBody(pauseEveryBytes?: number): Promise<string> {
  const socket = await connect({ host: 'tiles.test', ip: '127.0.0.1', port: srv.port, ca: pki.ca.certPem })
  expect(readsIntoShared(socket.transport)).toBe(true)
  const hash = createHash('sha256')
  let sincePause = 0
  socket.on('data', (chunk: Buffer) => {
    hash.update(chunk)
    sincePause += chunk.length
    if (pauseEveryBytes !== undefined && sincePause >= pauseEveryBytes) {
      sincePause = 0
      socket.pause()
      setTimeout(() => socket.resume(), 5)
    }
  })
  socket.write('go')
  await once(socket, 'end')
  socket.destroy()
  return hash.digest('hex')
}

describe('shared read buffer', () => {
  it('delivers every byte intact to 6 connections reading at once', async () => {
    const digests = await Promise.all(Array.from({ length: 6 }, () => fetchBody()))
    expect(digests).toEqual(Array(6).fill(DIGEST))
  }, 30_000)

  it('delivers every byte intact when the reader pauses (the transport stops reading, then goes on)', async () => {
    const digests = await Promise.all([fetchBody(200_000), fetchBody(64 * 1024 + 3), fetchBody()])
    expect(digests).toEqual([DIGEST, DIGEST, DIGEST])
  }, 30_000)

  describe('a socket with no sink', () => {
    let echo: Server
    const peers = new Set<Socket>()
    beforeAll(async () => {
      echo = createServer((s) => {
        peers.add(s)
        s.on('data', (d) => s.write(d))
        s.on('close', () => peers.delete(s))
      })
      echo.listen(0, '127.0.0.1')
      await once(echo, 'listening')
    })
    afterAll(async () => {
      for (const s of peers) s.destroy()
      echo.close()
      await once(echo, 'close')
    })

    it('emits copies: a chunk kept from an earlier read is not overwritten by later reads', async () => {
      const socket = connectSharedReads({ host: '127.0.0.1', port: (echo.address() as AddressInfo).port })
      await once(socket, 'connect')
      const kept: Buffer[] = []
      const sent: Buffer[] = []
      for (let i = 0; i < 5; i++) {
        const msg = Buffer.alloc(1000 + i, 65 + i)
        sent.push(msg)
        const got = once(socket, 'data')
        socket.write(msg)
        kept.push(((await got) as [Buffer])[0])
      }
      expect(Buffer.concat(kept)).toEqual(Buffer.concat(sent))
      socket.destroy()
    })

    it('hands reads to a sink once one is set, and keeps the stream order while copies wait', async () => {
      const socket = connectSharedReads({ host: '127.0.0.1', port: (echo.address() as AddressInfo).port })
      await once(socket, 'connect')
      socket.write('first')
      // No reader yet: the echo waits in the stream (a copy). Then a sink is set.
      for (let i = 0; i < 200 && socket.readableLength === 0; i++) await new Promise((r) => setTimeout(r, 5))
      expect(socket.readableLength).toBe(5)
      const sunk: string[] = []
      socket[kTransientSink] = (chunk) => sunk.push(chunk.toString())
      const data: string[] = []
      socket.on('data', (d: Buffer) => data.push(d.toString()))
      for (let i = 0; i < 200 && data.length === 0; i++) await new Promise((r) => setTimeout(r, 5))
      socket.write('second')
      for (let i = 0; i < 200 && sunk.length === 0; i++) await new Promise((r) => setTimeout(r, 5))
      expect(data).toEqual(['first'])
      expect(sunk.join('')).toBe('second')
      socket.destroy()
    })
  })
})
