/**
 * New pooled connections resume the TLS session of earlier ones (tls.session_resumption, on by
 * default), as a browser does; with it off, or with verification off, every handshake is full.
 * Against a TLS 1.2-only node:https server with and without extended master secret (OpenSSL's
 * SSL_OP_NO_EXTENDED_MASTER_SECRET, 0x1): with EMS later connections resume with the ticket,
 * without EMS every connection completes with a full handshake (RFC 7627 §5.3).
 */
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { HotConnPool } from '../../src/pool/index.js'
import type { Resolver } from '../../src/pool/options.js'
import { SessionTicketStore, type TlsSocket } from '../../src/tls/index.js'
import { startHttps, testPki } from '../helpers/servers.js'
import { get, loopbackIps, startTestOrigin, testPool, waitFor, type TestOrigin } from './helpers/fixtures.js'

let t: TestOrigin
beforeAll(async () => {
  t = await startTestOrigin({ ips: loopbackIps(1) })
})
afterAll(() => t.close())

/** Opens `n` connections one after another (each after the previous one got its tickets) and reports which resumed. */
async function resumedFlags(pool: HotConnPool, n: number): Promise<boolean[]> {
  const flags: boolean[] = []
  for (let i = 0; i < n; i++) {
    const conn = await pool.getConnection(t.origin.url())
    flags.push((conn.socket as TlsSocket).info?.resumed ?? false)
    // One request, so the server's NewSessionTicket has arrived before the next connection is opened.
    conn.socket.write(`GET / HTTP/1.1\r\nHost: ${t.origin.hostname}\r\n\r\n`)
    await new Promise<void>((resolve) => conn.socket.once('data', () => resolve()))
    // Destroyed, so the next getConnection has to open a new connection.
    conn.socket.destroy()
    pool.putConnection(conn)
  }
  return flags
}

describe('session resumption across pooled connections', () => {
  it('resumes new connections with tickets from earlier ones (default)', async () => {
    const pool = testPool(t, { pool: { warmConnsPerIp: 0, maxConnsPerHost: 4 } })
    try {
      const flags = await resumedFlags(pool, 4)
      expect(flags[0]).toBe(false)
      expect(flags.slice(1).filter(Boolean).length).toBeGreaterThanOrEqual(2)
      expect((await get(pool, t.origin.url('/tiles/1/0/0.png'))).status).toBe(200)
    } finally {
      await pool.close()
    }
  })

  it('never resumes with tls.session_resumption = false', async () => {
    const pool = testPool(t, { pool: { warmConnsPerIp: 0, maxConnsPerHost: 4 }, tls: { sessionResumption: false } })
    try {
      expect(await resumedFlags(pool, 3)).toEqual([false, false, false])
    } finally {
      await pool.close()
    }
  })

  it('keeps tickets per (host, profile)', () => {
    expect(SessionTicketStore.key('Tiles.Test', 'chrome')).toBe(SessionTicketStore.key('tiles.test', 'chrome'))
    expect(SessionTicketStore.key('tiles.test', 'chrome')).not.toBe(SessionTicketStore.key('tiles.test', 'firefox'))
  })
})

describe('TLS 1.2 sessions across pooled connections', () => {
  const loopback: Resolver = {
    resolve: async () => ({ addresses: [{ address: '127.0.0.1', family: 4, ttlMs: 60_000 }], minTtlMs: 60_000 }),
  }
  for (const [ems, secureOptions] of [
    ['with', 0],
    ['without', 0x1],
  ] as const) {
    it(`${ems} extended master secret: 4 connections one after another ${ems === 'with' ? 'resume after the first' : 'all complete, none resumed'}`, async () => {
      const pki = testPki()
      const https = await startHttps({ maxVersion: 'TLSv1.2', secureOptions }, pki)
      const reused: boolean[] = []
      https.server.on('secureConnection', (s: TLSSocket) => reused.push(s.isSessionReused()))
      const pool = new HotConnPool({
        ca: pki.ca.certPem,
        resolver: loopback,
        tls: { profile: 'chrome-156-windows' },
        pool: { warmConnsPerIp: 0, maxIdleConns: 0 },
      })
      try {
        for (let i = 0; i < 4; i++) {
          const res = await request(`https://tiles.test:${https.port}/`, { dispatcher: pool, reset: true })
          expect(await res.body.text()).toMatch(/TLSv1\.2$/)
          await waitFor(() => pool.stats().connections === 0, 'the connection to close')
        }
        expect(reused).toEqual(ems === 'with' ? [false, true, true, true] : [false, false, false, false])
      } finally {
        await pool.close()
        await https.close()
      }
    })
  }
})
