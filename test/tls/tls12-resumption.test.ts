/** TLS 1.2 session resumption with RFC 5077 tickets against node:https (OpenSSL, tickets on by default). */
import type { Server } from 'node:https'
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ProfileName } from '../../src/config/index.js'
import { CaptureServer } from '../../src/fingerprint/capture-server.js'
import type { ParsedClientHello } from '../../src/fingerprint/parse.js'
import {
  SessionTicketStore,
  TlsBadRecordMacError,
  TlsProtocolError,
  connect,
  type TlsSocket,
} from '../../src/tls/index.js'
import { httpGet, startHttps, testPki, type Started, type TestPki } from '../helpers/servers.js'

const rsaPki = testPki('rsa')
const ecdsaPki = testPki()

/** [OpenSSL name, IANA name, certificate]: a GCM, a CBC and a ChaCha20 suite every shipped profile offers. */
const SUITES = [
  ['ECDHE-ECDSA-AES128-GCM-SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', ecdsaPki],
  ['ECDHE-RSA-AES128-SHA', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', rsaPki],
  ['ECDHE-ECDSA-CHACHA20-POLY1305', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', ecdsaPki],
] as const

/** A TLS 1.2-only node:https server that records `isSessionReused()` of each connection, in order. */
async function startServer12(ciphers: string, pki: TestPki): Promise<Started<Server> & { reused: boolean[] }> {
  const srv = await startHttps({ ciphers, maxVersion: 'TLSv1.2' }, pki)
  const reused: boolean[] = []
  srv.server.on('secureConnection', (s: TLSSocket) => reused.push(s.isSessionReused()))
  return Object.assign(srv, { reused })
}

function options(port: number, pki: TestPki, profile: ProfileName, sessionStore?: SessionTicketStore) {
  return {
    host: 'tiles.test',
    ip: '127.0.0.1',
    port,
    profile,
    ca: pki.ca.certPem,
    alpn: ['http/1.1'],
    timeout: 5000,
    ...(sessionStore ? { sessionStore } : {}),
  }
}

describe('TLS 1.2 ticket resumption (RFC 5077) against node:https', () => {
  for (const profile of ['chrome', 'firefox'] as const) {
    for (const [opensslName, iana, pki] of SUITES) {
      describe(`${profile} ${opensslName}`, () => {
        let srv: Awaited<ReturnType<typeof startServer12>>
        beforeAll(async () => {
          srv = await startServer12(opensslName, pki)
        })
        afterAll(() => srv.close())

        it('resumes with the stored ticket: abbreviated handshake, no certificate, GET works', async () => {
          const store = new SessionTicketStore()
          const key = SessionTicketStore.key('tiles.test', profile)
          const first = await connect(options(srv.port, pki, profile, store))
          expect(first.info).toMatchObject({ version: 'TLSv1.2', cipherSuite: iana, resumed: false, verified: true })
          expect((await httpGet(first, 'tiles.test')).status).toBe(200)
          expect(store.count12(key)).toBe(1)
          expect(store.count(key)).toBe(0)

          const second = await connect(options(srv.port, pki, profile, store))
          expect(second.info).toMatchObject({ version: 'TLSv1.2', cipherSuite: iana, resumed: true, alpn: 'http/1.1' })
          expect(second.getPeerCertificate()).toBeUndefined()
          const res = await httpGet(second, 'tiles.test')
          expect(res.status).toBe(200)
          expect(res.body.toString()).toBe(`hello ${opensslName} TLSv1.2`)
          expect(srv.reused.slice(-2)).toEqual([false, true])
          // OpenSSL issues no new ticket on resumption. Chromium reuses the ticket, so the third connection
          // resumes too; Firefox uses it once, so the third is a full handshake (captures/tls12-tickets).
          const reuse = profile === 'chrome'
          expect(store.count12(key)).toBe(reuse ? 1 : 0)
          const third = await connect(options(srv.port, pki, profile, store))
          expect(third.info?.resumed).toBe(reuse)
          expect(srv.reused.at(-1)).toBe(reuse)
          third.destroy()
        })
      })
    }
  }
})

describe('TLS 1.2 ticket resumption: fallbacks and checks', () => {
  let srv: Awaited<ReturnType<typeof startServer12>>
  beforeAll(async () => {
    srv = await startServer12('ECDHE-ECDSA-AES128-GCM-SHA256', ecdsaPki)
  })
  afterAll(() => srv.close())
  const key = SessionTicketStore.key('tiles.test', 'chrome')

  async function ticketFrom(port: number): Promise<NonNullable<TlsSocket['tls12SessionTicket']>> {
    const socket = await connect(options(port, ecdsaPki, 'chrome'))
    const ticket = socket.tls12SessionTicket
    socket.destroy()
    expect(ticket).toBeDefined()
    return ticket!
  }

  it('sends the ticket in session_ticket with a fresh 32-byte session id, still offering TLS 1.3 and no PSK (RFC 5077 §3.4)', async () => {
    const capture = await CaptureServer.listen({ host: '127.0.0.1', port: 0, timeout: 5_000 })
    try {
      const hellos: ParsedClientHello[] = []
      for (const profile of ['chrome', 'firefox'] as const) {
        const store = new SessionTicketStore()
        const k = SessionTicketStore.key('tiles.test', profile)
        for (let i = 0; i < 2; i++) {
          // chrome keeps the ticket in the store after offering it (get12); firefox takes it out.
          const first = await connect(options(srv.port, ecdsaPki, profile, store))
          first.destroy()
          const ticket = profile === 'chrome' ? store.get12(k)?.ticket : first.tls12SessionTicket?.ticket
          expect(ticket).toBeDefined()
          const captured = capture.nextCapture()
          await connect(options(capture.port, ecdsaPki, profile, store)).then(
            (x) => x.destroy(),
            () => undefined,
          )
          const hello = (await captured)!.hello
          expect(hello.extensions.find((e) => e.type === 0x0023)?.body).toEqual(ticket)
          expect(hello.extensions.some((e) => e.type === 0x0029)).toBe(false)
          expect(hello.supportedVersions).toContain(0x0304)
          expect(hello.sessionId.length).toBe(32)
          // The capture server fails the handshake: a reused ticket is dropped, a single-use one is spent.
          expect(store.count12(k)).toBe(0)
          hellos.push(hello)
        }
      }
      expect(new Set(hellos.map((h) => h.sessionId.toString('hex'))).size).toBe(hellos.length)
    } finally {
      await capture.close()
    }
  })

  it('falls back to a full, verified handshake when the server does not know the ticket', async () => {
    const store = new SessionTicketStore()
    await connect(options(srv.port, ecdsaPki, 'chrome', store)).then((s) => s.destroy())
    expect(store.count12(key)).toBe(1)
    const other = await startServer12('ECDHE-ECDSA-AES128-GCM-SHA256', ecdsaPki)
    try {
      const socket = await connect(options(other.port, ecdsaPki, 'chrome', store))
      expect(socket.info).toMatchObject({ version: 'TLSv1.2', resumed: false, verified: true })
      expect(socket.getPeerCertificate()).toBeDefined()
      expect((await httpGet(socket, 'tiles.test')).status).toBe(200)
      expect(other.reused).toEqual([false])
      // The new server's ticket replaces the one that was spent.
      expect(store.count12(key)).toBe(1)
    } finally {
      await other.close()
    }
  })

  it('prefers a TLS 1.3 ticket and keeps the TLS 1.2 one; a TLS 1.3 server leaves a TLS 1.2 ticket unused', async () => {
    const store = new SessionTicketStore()
    const srv13 = await startHttps({}, ecdsaPki)
    try {
      const s13 = await connect(options(srv13.port, ecdsaPki, 'chrome', store))
      await httpGet(s13, 'tiles.test') // TLS 1.3 tickets arrive after the handshake
      expect(store.count(key)).toBeGreaterThan(0)
      store.add12(key, await ticketFrom(srv.port))
      const resumed13 = await connect(options(srv13.port, ecdsaPki, 'chrome', store))
      expect(resumed13.info).toMatchObject({ version: 'TLSv1.3', resumed: true })
      resumed13.destroy()
      expect(store.count12(key)).toBe(1)

      while (store.take(key)) {
        // drop the TLS 1.3 tickets
      }
      const full13 = await connect(options(srv13.port, ecdsaPki, 'chrome', store))
      expect(full13.info).toMatchObject({ version: 'TLSv1.3', resumed: false, verified: true })
      expect(store.count12(key)).toBe(0)
      full13.destroy()
    } finally {
      await srv13.close()
    }
  })

  it('does not use or store tickets on insecure connections', async () => {
    const store = new SessionTicketStore()
    store.add12(key, await ticketFrom(srv.port))
    const socket = await connect({ ...options(srv.port, ecdsaPki, 'chrome', store), insecure: true })
    expect(socket.info?.resumed).toBe(false)
    socket.destroy()
    expect(store.count12(key)).toBe(1)
  })

  it('never offers a session without extended master secret (RFC 7627 §5.3): empty session_ticket, full handshake', async () => {
    const store = new SessionTicketStore()
    store.add12(key, { ...(await ticketFrom(srv.port)), extendedMasterSecret: false })
    const capture = await CaptureServer.listen({ host: '127.0.0.1', port: 0, timeout: 5_000 })
    try {
      const captured = capture.nextCapture()
      await connect(options(capture.port, ecdsaPki, 'chrome', store)).then(
        (x) => x.destroy(),
        () => undefined,
      )
      expect((await captured)!.hello.extensions.find((e) => e.type === 0x0023)?.body.length).toBe(0)
    } finally {
      await capture.close()
    }
    const socket = await connect(options(srv.port, ecdsaPki, 'chrome', store))
    expect(socket.info).toMatchObject({ resumed: false, verified: true })
    socket.destroy()
  })

  it("aborts when the server resumes with another cipher suite than the session's (RFC 5246 §7.4.1.3)", async () => {
    const store = new SessionTicketStore()
    const ticket = await ticketFrom(srv.port)
    const other = await startServer12('ECDHE-ECDSA-AES256-GCM-SHA384', ecdsaPki)
    try {
      const aes256 = await connect(options(other.port, ecdsaPki, 'chrome'))
      const otherSuite = aes256.tls12SessionTicket!.cipherSuite
      aes256.destroy()
      store.add12(key, { ...ticket, cipherSuite: otherSuite })
      const err = await connect(options(srv.port, ecdsaPki, 'chrome', store)).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TlsProtocolError)
      expect((err as TlsProtocolError).rule).toBe('resumed_with_other_cipher_suite')
    } finally {
      await other.close()
    }
  })

  it('fails the abbreviated handshake when the stored master secret is wrong', async () => {
    const store = new SessionTicketStore()
    const ticket = await ticketFrom(srv.port)
    store.add12(key, { ...ticket, masterSecret: Buffer.alloc(48, 7) })
    const err = await connect(options(srv.port, ecdsaPki, 'chrome', store)).catch((e: unknown) => e)
    // The server's Finished record does not even decrypt under keys from the wrong master secret.
    expect(err).toBeInstanceOf(TlsBadRecordMacError)
  })
})

describe('SessionTicketStore: TLS 1.2 tickets', () => {
  const suite = { id: 0xc02b, name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' } as NonNullable<
    TlsSocket['tls12SessionTicket']
  >['cipherSuite']
  const ticket = (n: number, lifetimeHint: number) => ({
    ticket: Buffer.of(n),
    lifetimeHint,
    masterSecret: Buffer.alloc(48, n),
    cipherSuite: suite,
    extendedMasterSecret: true,
    receivedAt: 0,
  })
  const key = SessionTicketStore.key('Tiles.Test', 'chrome')

  it('honours the lifetime hint, uses the default for a 0 hint, and hands each ticket out once, newest first', () => {
    let now = 1_000_000
    const store = new SessionTicketStore({ now: () => now, tls12DefaultLifetimeMs: 60_000 })
    store.add12(key, ticket(1, 10)) // 10 s
    store.add12(key, ticket(2, 0)) // unspecified: 60 s
    store.add12(key, ticket(3, 30))
    store.add12(key, { ...ticket(4, 30), ticket: Buffer.alloc(0) }) // empty: not stored
    expect(store.count12(key)).toBe(3)
    expect(store.count(key)).toBe(0)
    now += 20_000
    expect(store.count12(SessionTicketStore.key('tiles.test', 'chrome'))).toBe(2)
    expect(store.take12(key)?.ticket).toEqual(Buffer.of(3))
    now += 20_000 // 40 s: ticket 2 (60 s) still valid, ticket 1 (10 s) expired
    expect(store.take12(key)?.ticket).toEqual(Buffer.of(2))
    expect(store.take12(key)).toBeUndefined()
  })

  it('caps a lifetime hint at 7 days and validates its options', () => {
    let now = 0
    const store = new SessionTicketStore({ now: () => now })
    store.add12(key, ticket(1, 2 ** 32 - 1))
    now = 7 * 24 * 3600 * 1000
    expect(store.count12(key)).toBe(0)
    expect(() => new SessionTicketStore({ tls12DefaultLifetimeMs: 0 })).toThrow(
      /tls12DefaultLifetimeMs must be a positive number/,
    )
  })
})
