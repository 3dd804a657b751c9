/**
 * New pooled connections resume the TLS session of earlier ones (tls.session_resumption, on by
 * default), as a browser does; with it off, or with verification off, every handshake is full.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HotConnPool } from '../../src/pool/index.js'
import { SessionTicketStore, type TlsSocket } from '../../src/tls/index.js'
import { get, loopbackIps, startTestOrigin, testPool, type TestOrigin } from './helpers/fixtures.js'

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
