/**
 * The faulty origin of the end-of-stream tests and the soak (test/helpers/faulty-h2-origin.ts)
 * misbehaves only as its fault says: the bytes a `garbage` response sends after itself, 5 ms
 * later on the kept-alive connection, come before the next response on that connection, never
 * inside it (inside a chunked body they read as a malformed chunk: a parser error that would be
 * the origin's). Checked with node:tls as the client, requests pipelined so that the next one
 * waits on the server.
 */
import { connect } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFaultyOrigin, type FaultyOrigin } from '../helpers/faulty-h2-origin.js'
import { loopbackIps } from '../pool/helpers/fixtures.js'

const GARBAGE = 'HTTP/1.1 2OO garbage'

let origin: FaultyOrigin
beforeAll(async () => {
  origin = await startFaultyOrigin(loopbackIps(1)[0] as string)
})
afterAll(async () => {
  await origin.close()
})

/** Everything the origin's HTTP/1.1 server sends on one connection for `paths` (pipelined), until it ends. */
function exchange(paths: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect({ host: origin.ip, port: origin.h1Port, servername: origin.hostname, ca: origin.caPem })
    socket.once('secureConnect', () =>
      socket.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nhost: ${origin.hostname}\r\n\r\n`).join('')),
    )
    socket.on('data', (c: Buffer) => chunks.push(c))
    // The chunked faults end the connection without close_notify (a FIN or a reset): what came is the answer.
    const done = (): void => resolve(Buffer.concat(chunks).toString('latin1'))
    socket.once('close', done)
    socket.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? done() : reject(err)))
  })
}

describe('faulty origin: garbage after a response', { timeout: 10_000 }, () => {
  for (const next of ['chunked-fin', 'chunked-reset', 'cut-fin']) {
    it(`comes before the next response on the connection (${next}), not inside it`, async () => {
      const text = await exchange([`/garbage/1000/g-${next}`, `/${next}/1000/n-${next}`])
      const second = text.indexOf('HTTP/1.1 200 OK', text.indexOf('HTTP/1.1 200 OK') + 1)
      const garbage = text.indexOf(GARBAGE)
      expect(garbage, 'the garbage was sent').toBeGreaterThan(0)
      expect(second, 'the next request was answered').toBeGreaterThan(0)
      expect(garbage).toBeLessThan(second)
    })
  }
})
