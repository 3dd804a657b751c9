/** Post-handshake traffic against node:https (OpenSSL): tickets, KeyUpdate, key log, close_notify, large bodies. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Server } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SessionTicketStore, connect } from '../../src/tls/index.js'
import { httpGet, startHttps, testPki, type Started } from '../helpers/servers.js'

const pki = testPki()
let srv: Started<Server>
const serverKeylog: string[] = []
beforeAll(async () => {
  srv = await startHttps()
  srv.server.on('keylog', (line: Buffer) => serverKeylog.push(line.toString('latin1').trim()))
})
afterAll(() => srv.close())

const base = () => ({ host: 'tiles.test', ip: '127.0.0.1', port: srv.port, ca: pki.ca.certPem, alpn: ['http/1.1'] })

describe('post-handshake', () => {
  it('stores the NewSessionTickets the server sends, keyed by host and profile', async () => {
    const store = new SessionTicketStore()
    const socket = await connect({ ...base(), profile: 'firefox', sessionStore: store })
    await httpGet(socket, 'tiles.test')
    const key = SessionTicketStore.key('tiles.test', 'firefox')
    expect(store.count(key)).toBeGreaterThanOrEqual(1)
    const t = store.take(key)!
    expect(t.lifetimeMs).toBeGreaterThan(0)
    expect(t.psk.length).toBe(t.cipherSuite.hashLength)
  })

  it('sends KeyUpdate(update_requested), follows the server KeyUpdate, and keeps working', async () => {
    const socket = await connect({ ...base(), profile: 'chrome' })
    socket.keyUpdate(true)
    const res = await httpGet(socket, 'tiles.test', '/size/100000')
    expect(res.status).toBe(200)
    expect(res.body.length).toBe(100000)
    expect(res.body.every((b) => b === 0x61)).toBe(true)
  })

  it('writes NSS key log lines that match what the server logged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hotconn-keylog-'))
    try {
      const file = join(dir, 'keys.log')
      const socket = await connect({ ...base(), profile: 'chrome', keyLogFile: file })
      await httpGet(socket, 'tiles.test')
      const lines = readFileSync(file, 'utf8').trim().split('\n')
      const labels = lines.map((l) => l.split(' ')[0])
      expect(labels).toEqual(
        expect.arrayContaining([
          'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
          'SERVER_HANDSHAKE_TRAFFIC_SECRET',
          'CLIENT_TRAFFIC_SECRET_0',
          'SERVER_TRAFFIC_SECRET_0',
          'EXPORTER_SECRET',
        ]),
      )
      for (const line of lines) expect(serverKeylog).toContain(line)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('ends with close_notify: end() closes cleanly and the server sees a TLS close', async () => {
    const socket = await connect({ ...base(), profile: 'chrome' })
    const closed = new Promise<boolean>((resolve) => socket.on('close', () => resolve(true)))
    socket.resume()
    socket.end()
    expect(await closed).toBe(true)
    expect(socket.destroyed).toBe(true)
  })

  it('carries a 1 MiB body across many records intact', async () => {
    const socket = await connect({ ...base(), profile: 'firefox' })
    const res = await httpGet(socket, 'tiles.test', `/size/${1 << 20}`)
    expect(res.body.length).toBe(1 << 20)
  })
})

describe('resumption (RFC 8446 §2.2, psk_dhe_ke)', () => {
  for (const profile of ['chrome', 'firefox'] as const) {
    it(`${profile}: resumes with a stored ticket, skips the certificate, and says so`, async () => {
      const store = new SessionTicketStore()
      const first = await connect({ ...base(), profile, sessionStore: store })
      await httpGet(first, 'tiles.test')
      expect(first.info?.resumed).toBe(false)
      const second = await connect({ ...base(), profile, sessionStore: store })
      expect(second.info).toMatchObject({ resumed: true })
      expect(second.getPeerCertificate()).toBeUndefined()
      const res = await httpGet(second, 'tiles.test')
      expect(res.status).toBe(200)
      // The resumed session hands out fresh tickets too.
      expect(store.count(SessionTicketStore.key('tiles.test', profile))).toBeGreaterThan(0)
    })
  }

  it('falls back to a full handshake when the server does not know the ticket', async () => {
    const store = new SessionTicketStore()
    const first = await connect({ ...base(), profile: 'chrome', sessionStore: store })
    await httpGet(first, 'tiles.test')
    const other = await startHttps()
    try {
      const second = await connect({ ...base(), port: other.port, profile: 'chrome', sessionStore: store })
      expect(second.info?.resumed).toBe(false)
      expect(second.info?.verified).toBe(true)
      second.destroy()
    } finally {
      await other.close()
    }
  })
})
