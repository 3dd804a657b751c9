/**
 * TLS 1.2 rules the client enforces, against a scripted TLS 1.2 server (one broken rule each) and,
 * for tampered records, node:https behind a byte-flipping TCP proxy.
 */
import type { Server } from 'node:https'
import { connect as netConnect, createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { AlertDescription, AlertLevel } from '../../src/tls/constants.js'
import { TlsBadRecordMacError, TlsIncompatibleError, TlsProtocolError, connect } from '../../src/tls/index.js'
import { httpGet, startHttps, testPki, type Started } from '../helpers/servers.js'
import { startTls12Server, type Tls12Server, type Tls12ServerOptions } from '../helpers/tls12-server.js'

const pki = testPki()
let scripted: Tls12Server | undefined
afterEach(async () => {
  await scripted?.close()
  scripted = undefined
})

async function start(options: Tls12ServerOptions = {}): Promise<Tls12Server> {
  scripted = await startTls12Server({ pki, ...options })
  return scripted
}

const base = (port: number) => ({ host: 'tiles.test', ip: '127.0.0.1', port, ca: pki.ca.certPem, timeout: 3000 })

function echo(socket: Duplex, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('data', (c: Buffer) => resolve(c.toString()))
    socket.once('error', reject)
    socket.write(text)
  })
}

describe('scripted TLS 1.2 server', () => {
  for (const profile of ['chrome', 'firefox'] as const) {
    it(`${profile}: baseline handshake and echo`, async () => {
      const srv = await start()
      const socket = await connect({ ...base(srv.port), profile })
      const conn = await srv.nextConnection()
      expect(socket.info).toMatchObject({
        version: 'TLSv1.2',
        cipherSuite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
        group: 'x25519',
        signatureScheme: 'ecdsa_secp256r1_sha256',
      })
      expect(await echo(socket, 'ping')).toBe('ping')
      expect(conn.clientFinished).toBe(true)
      socket.end()
      await conn.closed
      expect(conn.alerts).toEqual([[AlertLevel.warning, AlertDescription.close_notify]])
      expect(conn.scriptError).toBeUndefined()
    })
  }

  const handshakeFailures = [
    {
      fault: { kind: 'bad-finished' },
      error: TlsProtocolError,
      alert: AlertDescription.decrypt_error,
      rule: 'bad_finished',
    },
    {
      fault: { kind: 'no-renegotiation-info' },
      error: TlsIncompatibleError,
      alert: AlertDescription.handshake_failure,
      rule: 'no_secure_renegotiation',
    },
    {
      fault: { kind: 'downgrade-sentinel' },
      error: TlsProtocolError,
      alert: AlertDescription.illegal_parameter,
      rule: 'downgrade_sentinel',
    },
    {
      fault: { kind: 'bad-key-exchange-signature' },
      error: TlsProtocolError,
      alert: AlertDescription.decrypt_error,
      rule: 'bad_server_key_exchange_signature',
    },
    {
      fault: { kind: 'cipher-suite', suite: 0xc024 },
      error: TlsProtocolError,
      alert: AlertDescription.illegal_parameter,
      rule: 'selected_unoffered_cipher_suite',
    },
  ] as const
  for (const { fault, error, alert, rule } of handshakeFailures) {
    it(`${fault.kind}: ${error.name} with alert ${alert}, socket closed`, async () => {
      const srv = await start({ fault })
      const err = await connect({ ...base(srv.port), profile: 'chrome' }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(error)
      expect((err as TlsProtocolError).rule).toBe(rule)
      const conn = await srv.nextConnection()
      await conn.closed
      expect(conn.alerts).toEqual([[AlertLevel.fatal, alert]])
      expect(conn.scriptError).toBeUndefined()
    })
  }

  it('no extended_master_secret: completes with the standard master secret (RFC 7627 §5.4), keeps no ticket', async () => {
    const srv = await start({ fault: { kind: 'no-extended-master-secret' } })
    const socket = await connect({ ...base(srv.port), profile: 'chrome' })
    const conn = await srv.nextConnection()
    expect(socket.info).toMatchObject({ version: 'TLSv1.2', resumed: false, verified: true })
    expect(await echo(socket, 'no ems')).toBe('no ems')
    expect(socket.tls12SessionTicket).toBeUndefined()
    socket.end()
    await conn.closed
    expect(conn.scriptError).toBeUndefined()
  })

  it('HelloRequest after the handshake: answered with a no_renegotiation warning, the connection goes on', async () => {
    const srv = await start({ fault: { kind: 'hello-request' } })
    const socket = await connect({ ...base(srv.port), profile: 'firefox' })
    const conn = await srv.nextConnection()
    expect(await echo(socket, 'still here')).toBe('still here')
    expect(conn.alerts).toEqual([[AlertLevel.warning, AlertDescription.no_renegotiation]])
    socket.end()
    await conn.closed
  })

  it('a second ServerHello after the handshake (renegotiation) is fatal: unexpected_message, socket closed', async () => {
    const srv = await start({ fault: { kind: 'second-server-hello' } })
    // The ServerHello may arrive with the Finished: then connect() itself rejects with the error;
    // otherwise the socket it returned emits it.
    const outcome = await connect({ ...base(srv.port), profile: 'chrome' }).then(
      (socket) => ({ socket, err: undefined as Error | undefined }),
      (err: Error) => ({ socket: undefined, err }),
    )
    const conn = await srv.nextConnection()
    const err =
      outcome.err ??
      outcome.socket!.errored ??
      (await new Promise<Error>((resolve) => outcome.socket!.once('error', resolve)))
    expect(err).toBeInstanceOf(TlsProtocolError)
    expect((err as TlsProtocolError).rule).toBe('renegotiation_refused')
    await conn.closed
    expect(conn.alerts).toEqual([[AlertLevel.fatal, AlertDescription.unexpected_message]])
    if (outcome.socket) expect(outcome.socket.destroyed).toBe(true)
  })
})

/** A TCP proxy that flips one byte of the first application_data record the server sends. */
async function startFlipProxy(
  target: number,
  flipAt: (fragmentLength: number) => number,
): Promise<{ port: number; flipped: () => boolean; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  let flipped = false
  const server: NetServer = createServer((client) => {
    const upstream = netConnect(target, '127.0.0.1')
    sockets.add(client).add(upstream)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
    client.pipe(upstream)
    let buf = Buffer.alloc(0)
    upstream.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      while (buf.length >= 5) {
        const length = buf.readUInt16BE(3)
        if (buf.length < 5 + length) break
        const record = Buffer.from(buf.subarray(0, 5 + length))
        buf = buf.subarray(5 + length)
        if (!flipped && record[0] === 23) {
          flipped = true
          record[5 + flipAt(length)]! ^= 0x01
        }
        client.write(record)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    flipped: () => flipped,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

describe('tampered TLS 1.2 records from node:https', () => {
  const rsaPki = testPki('rsa')
  let srv: Started<Server> | undefined
  let proxy: Awaited<ReturnType<typeof startFlipProxy>> | undefined
  afterEach(async () => {
    await proxy?.close()
    await srv?.close()
    proxy = srv = undefined
  })

  const cases = [
    { ciphers: 'ECDHE-RSA-AES128-SHA', what: 'CBC, byte in the explicit IV (padding intact, MAC fails)', at: () => 0 },
    { ciphers: 'ECDHE-RSA-AES128-SHA', what: 'CBC, byte in the last block (padding broken)', at: (n: number) => n - 1 },
    { ciphers: 'AES256-SHA', what: 'CBC with RSA key transport, byte in the middle', at: (n: number) => n >> 1 },
    { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', what: 'GCM, byte in the ciphertext', at: () => 10 },
    { ciphers: 'ECDHE-RSA-CHACHA20-POLY1305', what: 'ChaCha20-Poly1305, byte in the tag', at: (n: number) => n - 1 },
  ]
  for (const { ciphers, what, at } of cases) {
    it(`${ciphers}: ${what} -> TlsBadRecordMacError, bad_record_mac, socket closed`, async () => {
      srv = await startHttps({ ciphers, maxVersion: 'TLSv1.2' }, rsaPki)
      proxy = await startFlipProxy(srv.port, at)
      const socket = await connect({
        host: 'tiles.test',
        ip: '127.0.0.1',
        port: proxy.port,
        ca: rsaPki.ca.certPem,
        alpn: ['http/1.1'],
        timeout: 3000,
      })
      expect(socket.info?.version).toBe('TLSv1.2')
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
      const err = await httpGet(socket, 'tiles.test').then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(proxy.flipped()).toBe(true)
      expect(err).toBeInstanceOf(TlsBadRecordMacError)
      expect((err as TlsBadRecordMacError).alert).toBe(AlertDescription.bad_record_mac)
      await closed
      expect(socket.destroyed).toBe(true)
    })
  }
})
