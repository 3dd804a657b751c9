/**
 * TLS 1.2 tickets reused as the browsers reuse them, and servers without extended master secret,
 * checked against the loopback captures in test/fixtures/captures/tls12-tickets/: the same
 * full/resumed pattern over seven sequential connections, and on every connection a ClientHello
 * that is the browser's (JA4, extension list, a fresh session id, the ticket where the browser sends one).
 */
import { readFileSync } from 'node:fs'
import type { Server } from 'node:https'
import { connect as netConnect, createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fingerprintClientHello } from '../../src/fingerprint/ja.js'
import { parseClientHello, readClientHelloRecords, type ParsedClientHello } from '../../src/fingerprint/parse.js'
import { SessionTicketStore, connect } from '../../src/tls/index.js'
import { httpGet, startHttps, testPki, type Started } from '../helpers/servers.js'

const SESSION_TICKET = 0x0023
const isGrease = (v: number): boolean => (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff)

interface CapturedConnection {
  readonly n: number
  readonly sessionTicket: string | null
  readonly ja4: string
  readonly resumed: boolean
  readonly clientHello: string
}
function capture(name: string): CapturedConnection[] {
  const url = new URL(`../fixtures/captures/tls12-tickets/${name}.json`, import.meta.url)
  return (JSON.parse(readFileSync(url, 'utf8')) as { connections: CapturedConnection[] }).connections
}

/** Extension types without GREASE, sorted for Chromium (it shuffles per connection), in wire order for Firefox. */
function extensionTypes(hello: ParsedClientHello, shuffled: boolean): number[] {
  const types = hello.extensions.map((e) => e.type).filter((t) => !isGrease(t))
  return shuffled ? types.sort((a, b) => a - b) : types
}

/** A TLS 1.2-only node:https server (tickets on) behind a proxy that records each ClientHello. */
async function startObserved(
  secureOptions: number,
): Promise<{ port: number; ca: string; hellos: ParsedClientHello[]; reused: boolean[]; close(): Promise<void> }> {
  const pki = testPki()
  const https: Started<Server> = await startHttps({ maxVersion: 'TLSv1.2', secureOptions }, pki)
  const reused: boolean[] = []
  https.server.on('secureConnection', (s: TLSSocket) => reused.push(s.isSessionReused()))
  const hellos: ParsedClientHello[] = []
  const open = new Set<Socket>()
  const proxy: NetServer = createServer((client) => {
    let buffered = Buffer.alloc(0)
    const upstream = netConnect(https.port, '127.0.0.1')
    for (const s of [client, upstream]) {
      open.add(s)
      s.once('close', () => open.delete(s))
    }
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk])
      const records = readClientHelloRecords(buffered)
      if (!records) return
      client.off('data', onData)
      hellos.push(parseClientHello(records.message))
      upstream.write(buffered)
      client.pipe(upstream).pipe(client)
    }
    client.on('data', onData)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    client.on('close', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  return {
    port: (proxy.address() as AddressInfo).port,
    ca: pki.ca.certPem,
    hellos,
    reused,
    close: async () => {
      for (const s of open) s.destroy()
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
      await https.close()
    },
  }
}

const CONNECTIONS = 7

for (const [profile, browser] of [
  ['chrome', 'chromium'],
  ['firefox', 'firefox'],
] as const) {
  for (const ems of ['ems', 'no-ems'] as const) {
    describe(`${profile} against a TLS 1.2 server ${ems === 'ems' ? 'with' : 'without'} extended master secret`, () => {
      let srv: Awaited<ReturnType<typeof startObserved>>
      beforeAll(async () => {
        srv = await startObserved(ems === 'ems' ? 0 : 0x1)
      })
      afterAll(() => srv.close())

      it(`${CONNECTIONS} sequential connections: ${ems === 'ems' ? 'the browser’s full/resumed pattern' : 'all complete, none resumed (RFC 7627 §5.3)'}, the browser’s ClientHello on each`, async () => {
        const browserRun = capture(`${browser}-${ems}`)
        const store = new SessionTicketStore()
        const tickets: Array<Buffer | undefined> = []
        for (let i = 0; i < CONNECTIONS; i++) {
          const socket = await connect({
            host: 'tiles.test',
            ip: '127.0.0.1',
            port: srv.port,
            profile,
            ca: srv.ca,
            timeout: 5000,
            sessionStore: store,
          })
          expect(socket.info).toMatchObject({ version: 'TLSv1.2', verified: true })
          expect((await httpGet(socket, 'tiles.test')).status).toBe(200)
          tickets.push(socket.tls12SessionTicket?.ticket)
          socket.destroy()
        }
        const expectedResumed =
          ems === 'ems'
            ? browserRun.slice(0, CONNECTIONS).map((c) => c.resumed)
            : Array<boolean>(CONNECTIONS).fill(false)
        expect(srv.reused).toEqual(expectedResumed)
        if (ems === 'no-ems') expect(tickets.every((t) => t === undefined)).toBe(true)

        const reference = parseClientHello(Buffer.from(browserRun[0]!.clientHello, 'hex'))
        const shuffled = profile === 'chrome'
        let lastTicket: Buffer | undefined
        srv.hellos.forEach((hello, i) => {
          const sent = hello.extensions.find((e) => e.type === SESSION_TICKET)?.body ?? Buffer.alloc(0)
          // The browser sends a ticket on the same connections (never after a session without EMS).
          const browserSends = ems === 'ems' && Boolean(browserRun[i]!.sessionTicket)
          expect(sent.length > 0, `connection ${i + 1}`).toBe(browserSends)
          if (browserSends) expect(sent).toEqual(profile === 'chrome' ? tickets[0] : lastTicket)
          lastTicket = tickets[i]
          expect(fingerprintClientHello(hello).ja4).toBe(browserRun[i]!.ja4)
          expect(extensionTypes(hello, shuffled)).toEqual(extensionTypes(reference, shuffled))
          expect(hello.cipherSuites.filter((c) => !isGrease(c))).toEqual(
            reference.cipherSuites.filter((c) => !isGrease(c)),
          )
          expect(hello.sessionId.length).toBe(32)
        })
        expect(new Set(srv.hellos.map((h) => h.sessionId.toString('hex'))).size).toBe(CONNECTIONS)
      })
    })
  }
}
