/**
 * Hostile peers: every way a server can break TLS 1.3 ends in a typed error with the right code,
 * the right alert on the wire (where RFC 8446 §6.2 names one) and a closed TCP connection.
 * Certificate failures run against node:https (OpenSSL); protocol violations against the
 * scripted hostile server (test/helpers/hostile-server.ts).
 */
import type { Server } from 'node:https'
import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { HotConnError } from '../../src/errors.js'
import { createCA, createIntermediate, issueLeaf, type TestCA } from '../../src/testing/pki.js'
import { SUPPORTED_CERT_COMPRESSION } from '../../src/tls/messages/certificate.js'
import { AlertDescription, NamedGroup } from '../../src/tls/constants.js'
import {
  connect,
  type ConnectOptions,
  type TlsCertificateError,
  type TlsError,
  type TlsSocket,
} from '../../src/tls/index.js'
import {
  startHostileServer,
  type HostileConnection,
  type HostileServer,
  type HostileServerOptions,
} from '../helpers/hostile-server.js'
import { httpGet, startHttps, testPki, type Started, type TestPki } from '../helpers/servers.js'

const HOST = 'tiles.test'
const DAY = 24 * 3600_000
/** Every test must settle well within this (ms). */
const BOUND = { timeout: 3000 }
const pki = testPki()

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

/** Resolves with the connection's error; fails the test when it connects instead. */
async function rejection(promise: Promise<TlsSocket>): Promise<TlsError> {
  const result = await promise.then(
    (socket) => {
      socket.destroy()
      return undefined
    },
    (err: unknown) => err as TlsError,
  )
  if (!result) throw new Error('the handshake succeeded against a server that breaks the protocol')
  return result
}

/** The first error a connected socket emits (it must not end cleanly first). */
function socketError(socket: TlsSocket): Promise<TlsError> {
  return new Promise((resolve, reject) => {
    socket.on('error', (err) => resolve(err as TlsError))
    socket.on('close', () => setImmediate(() => reject(new Error('socket closed without an error'))))
    socket.resume()
  })
}

// Certificate failures against node:https ------------------------------------------------------

interface ObservedHttps extends Started<Server> {
  /** The server's first tlsClientError (OpenSSL names the alert the client sent). */
  clientError: Promise<Error>
  /** Resolves when the first accepted TCP connection closes. */
  closed: Promise<void>
}

async function startObservedHttps(serverPki: TestPki): Promise<ObservedHttps> {
  const srv = await startHttps({}, serverPki)
  cleanups.push(() => srv.close())
  const clientError = new Promise<Error>((resolve) => srv.server.once('tlsClientError', (err: Error) => resolve(err)))
  const closed = new Promise<void>((resolve) =>
    srv.server.once('connection', (s: Socket) => s.once('close', () => resolve())),
  )
  return { ...srv, clientError, closed }
}

/** The AlertDescription OpenSSL reports receiving ("SSL alert number N"). */
async function alertReceivedBy(srv: ObservedHttps): Promise<number> {
  const err = await srv.clientError
  const m = /alert number (\d+)/.exec(err.message)
  if (!m) throw new Error(`server error does not name a received alert: ${err.message}`)
  return Number(m[1])
}

function leafFrom(ca: TestCA, options: { hosts?: string[]; notBefore?: Date; notAfter?: Date } = {}): TestPki {
  return { ca, leaf: issueLeaf(ca, { hosts: options.hosts ?? [HOST, '127.0.0.1'], ...options }) }
}

describe('certificate failures against node:https', BOUND, () => {
  const cases: Array<{
    name: string
    server: () => TestPki
    ca: () => string | undefined
    reason: TlsCertificateError['reason']
    alert: number
  }> = [
    {
      name: 'expired leaf',
      server: () =>
        leafFrom(pki.ca, { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) }),
      ca: () => pki.ca.certPem,
      reason: 'expired',
      alert: AlertDescription.certificate_expired,
    },
    {
      name: 'leaf not yet valid',
      server: () =>
        leafFrom(pki.ca, { notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 30 * DAY) }),
      ca: () => pki.ca.certPem,
      reason: 'not_yet_valid',
      alert: AlertDescription.certificate_expired,
    },
    {
      name: 'wrong host',
      server: () => leafFrom(pki.ca, { hosts: ['other.test', '127.0.0.2'] }),
      ca: () => pki.ca.certPem,
      reason: 'hostname_mismatch',
      alert: AlertDescription.certificate_unknown,
    },
    {
      name: 'untrusted root (ca is another CA)',
      server: () => pki,
      ca: () => createCA({ name: 'Unrelated Root' }).certPem,
      reason: 'untrusted',
      alert: AlertDescription.unknown_ca,
    },
    {
      name: 'intermediate without CA:TRUE',
      server: () => leafFrom(createIntermediate(pki.ca, { name: 'Not A CA', isCA: false })),
      ca: () => pki.ca.certPem,
      reason: 'not_a_ca',
      alert: AlertDescription.bad_certificate,
    },
    {
      name: 'no ca given: system roots do not know the test root',
      server: () => pki,
      ca: () => undefined,
      reason: 'untrusted',
      alert: AlertDescription.unknown_ca,
    },
  ]

  for (const c of cases) {
    it(`${c.name} -> ERR_TLS_BAD_CERTIFICATE (${c.reason}), alert ${c.alert}, connection closed`, async () => {
      const srv = await startObservedHttps(c.server())
      const ca = c.ca()
      const err = (await rejection(
        connect({ host: HOST, ip: '127.0.0.1', port: srv.port, timeout: 2000, ...(ca ? { ca } : {}) }),
      )) as unknown as TlsCertificateError
      expect(err.code).toBe('ERR_TLS_BAD_CERTIFICATE')
      expect(err.reason).toBe(c.reason)
      expect(await alertReceivedBy(srv)).toBe(c.alert)
      await srv.closed
    })
  }

  it('insecure: true connects to the expired-cert server and warns HOTCONN_INSECURE', async () => {
    const srv = await startObservedHttps(
      leafFrom(pki.ca, { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) }),
    )
    const warnings: Error[] = []
    const onWarning = (w: Error): void => void warnings.push(w)
    process.on('warning', onWarning)
    cleanups.push(async () => void process.off('warning', onWarning))
    const socket = await connect({
      host: HOST,
      ip: '127.0.0.1',
      port: srv.port,
      insecure: true,
      alpn: ['http/1.1'],
      timeout: 2000,
    })
    expect(socket.info?.verified).toBe(false)
    expect(socket.authorized).toBe(false)
    const res = await httpGet(socket, HOST)
    expect(res.status).toBe(200)
    await new Promise((resolve) => setImmediate(resolve))
    expect(warnings.map((w) => (w as NodeJS.ErrnoException).code)).toContain('HOTCONN_INSECURE')
  })
})

// Protocol violations against the hostile server --------------------------------------------------

async function startHostile(options: HostileServerOptions): Promise<HostileServer> {
  const srv = await startHostileServer({ pki, ...options })
  cleanups.push(() => srv.close())
  return srv
}

function dial(srv: HostileServer, extra: Partial<ConnectOptions> = {}): Promise<TlsSocket> {
  return connect({ host: HOST, ip: '127.0.0.1', port: srv.port, ca: pki.ca.certPem, timeout: 2000, ...extra })
}

/** Connects to a server with `options.fault`; returns the client's error and what the server saw once TCP closed. */
async function failedHandshake(
  options: HostileServerOptions,
  extra: Partial<ConnectOptions> = {},
): Promise<{ err: TlsError; conn: HostileConnection }> {
  const srv = await startHostile(options)
  const err = await rejection(dial(srv, extra))
  const conn = await srv.nextConnection()
  await conn.closed
  expect(conn.scriptError).toBeUndefined()
  expect(conn.clientFinished).toBe(false)
  return { err, conn }
}

/** Connects, then waits for the error the fault causes after the handshake. */
async function failedTraffic(
  options: HostileServerOptions,
  extra: Partial<ConnectOptions> = {},
): Promise<{ err: TlsError; conn: HostileConnection; socket: TlsSocket }> {
  const srv = await startHostile(options)
  const socket = await dial(srv, extra)
  const err = await socketError(socket)
  const conn = await srv.nextConnection()
  await conn.closed
  expect(conn.scriptError).toBeUndefined()
  expect(conn.clientFinished).toBe(true)
  expect(socket.destroyed).toBe(true)
  return { err, conn, socket }
}

describe('hostile server: baseline without a fault', BOUND, () => {
  for (const profile of ['chrome', 'firefox'] as const) {
    for (const group of ['x25519', 'secp256r1'] as const) {
      it(`${profile} ${group}: handshake, echo, close_notify both ways`, async () => {
        const srv = await startHostile({ group })
        const socket = await dial(srv, { profile })
        const conn = await srv.nextConnection()
        const echoed = new Promise<string>((resolve) => socket.once('data', (c: Buffer) => resolve(c.toString())))
        socket.write('ping')
        expect(await echoed).toBe('ping')
        expect(socket.info?.helloRetry).toBe(profile === 'chrome' && group === 'secp256r1')
        socket.end()
        socket.resume()
        await conn.closed
        expect(conn.clientFinished).toBe(true)
        expect(conn.alerts).toEqual([AlertDescription.close_notify])
        expect(conn.scriptError).toBeUndefined()
      })
    }
  }
  it('chrome: echoes the HelloRetryRequest cookie in its second ClientHello (RFC 8446 §4.2.2)', async () => {
    const cookie = Buffer.from('opaque-server-state-0123456789')
    const srv = await startHostile({ group: 'secp256r1', hrrCookie: cookie })
    const socket = await dial(srv, { profile: 'chrome' })
    const conn = await srv.nextConnection()
    expect(socket.info?.helloRetry).toBe(true)
    expect(conn.hellos).toHaveLength(2)
    const echoed = conn.hellos[1]!.extensions.find((e) => e.type === 0x002c)
    expect(echoed?.body.subarray(2).equals(cookie)).toBe(true)
    expect(conn.hellos[0]!.extensions.some((e) => e.type === 0x002c)).toBe(false)
    socket.destroy()
  })
})

describe('hostile server: CompressedCertificate (RFC 8879)', BOUND, () => {
  const zstd = SUPPORTED_CERT_COMPRESSION.has(3)
  const cases = [
    { profile: 'firefox', algorithm: 1, name: 'zlib' },
    { profile: 'firefox', algorithm: 2, name: 'brotli' },
    { profile: 'chrome', algorithm: 2, name: 'brotli' },
    ...(zstd ? [{ profile: 'firefox', algorithm: 3, name: 'zstd' } as const] : []),
  ] as const
  if (!zstd)
    console.warn(
      'zstd certificate decompression needs a Node.js with zlib.zstdDecompressSync (>= 22.15); zstd case skipped',
    )
  for (const c of cases) {
    it(`${c.profile}: decompresses a ${c.name} certificate and verifies it`, async () => {
      const srv = await startHostile({ certCompression: { algorithm: c.algorithm } })
      const socket = await dial(srv, { profile: c.profile })
      expect(socket.getPeerCertificate()?.subjectAltName).toContain('tiles.test')
      socket.destroy()
    })
  }
  it('chrome: refuses zlib, which it did not offer -> illegal_parameter', async () => {
    const { err, conn } = await failedHandshake({ certCompression: { algorithm: 1 } }, { profile: 'chrome' })
    expect(err).toMatchObject({ code: 'ERR_TLS_PROTOCOL' })
    expect(conn.alerts).toEqual([AlertDescription.illegal_parameter])
  })
  it('firefox: a wrong uncompressed_length -> bad_certificate', async () => {
    const { err, conn } = await failedHandshake(
      { certCompression: { algorithm: 2, lieAboutLength: true } },
      { profile: 'firefox' },
    )
    expect(err).toMatchObject({ code: 'ERR_TLS_PROTOCOL' })
    expect(conn.alerts).toEqual([AlertDescription.bad_certificate])
  })
})

describe('hostile server: ALPS (draft-vvv-tls-alps)', BOUND, () => {
  it('chrome answers negotiated ALPS with its h2 SETTINGS and an empty ACCEPT_CH in its EncryptedExtensions', async () => {
    const srv = await startHostile({ alps: Buffer.from('000000048000000000', 'hex') })
    const socket = await dial(srv, { profile: 'chrome' })
    const conn = await srv.nextConnection()
    expect(socket.alpnProtocol).toBe('h2')
    for (let i = 0; i < 200 && !conn.clientFinished; i++) await new Promise((r) => setTimeout(r, 5))
    // SETTINGS frame (24 bytes: 1:65536, 2:0, 4:6291456, 6:262144), then ACCEPT_CH (type 0x89), both empty-flagged on stream 0.
    expect(conn.clientAlps?.toString('hex')).toBe(
      '000018040000000000' + '000100010000' + '000200000000' + '000400600000' + '000600040000' + '000000890000000000',
    )
    expect(conn.clientFinished).toBe(true)
    socket.destroy()
  })
  it('firefox, which offers no ALPS, refuses a server that sends it (unsupported_extension)', async () => {
    const { err, conn } = await failedHandshake({ alps: Buffer.alloc(0) }, { profile: 'firefox' })
    expect(err).toMatchObject({ code: 'ERR_TLS_PROTOCOL' })
    expect(conn.alerts).toEqual([AlertDescription.unsupported_extension])
  })
  it('chrome refuses ALPS for a protocol it did not list for ALPS (ALPN http/1.1 only)', async () => {
    const { err, conn } = await failedHandshake(
      { alps: Buffer.alloc(0), alpsProtocol: 'http/1.1' },
      { profile: 'chrome', alpn: ['http/1.1'] },
    )
    expect(err).toMatchObject({ code: 'ERR_TLS_PROTOCOL' })
    expect(conn.alerts).toEqual([AlertDescription.unsupported_extension])
  })
})

describe('hostile server: record_size_limit (RFC 8449)', BOUND, () => {
  it('firefox: keeps every record within the limit the server announced', async () => {
    const srv = await startHostile({ recordSizeLimit: 512 })
    const socket = await dial(srv, { profile: 'firefox' })
    const conn = await srv.nextConnection()
    const payload = Buffer.alloc(5000, 0x62)
    let echoed = 0
    const done = new Promise<void>((resolve) =>
      socket.on('data', (c: Buffer) => {
        echoed += c.length
        if (echoed >= payload.length) resolve()
      }),
    )
    socket.write(payload)
    await done
    // TLS 1.3: the limit counts the inner content type, so at most 511 bytes of data per record.
    expect(conn.largestClientRecord).toBe(511)
    socket.destroy()
  })
  it('chrome: a server announcing record_size_limit, which chrome does not offer, is refused (unsupported_extension)', async () => {
    const { err, conn } = await failedHandshake({ recordSizeLimit: 512 }, { profile: 'chrome' })
    expect(err).toMatchObject({ code: 'ERR_TLS_PROTOCOL' })
    expect(conn.alerts).toEqual([AlertDescription.unsupported_extension])
  })
})

describe('hostile server: handshake violations', BOUND, () => {
  it('CertificateVerify signed with another key -> ERR_TLS_PROTOCOL, decrypt_error', async () => {
    const { err, conn } = await failedHandshake({ fault: { kind: 'bad-signature' } })
    expect(err.code).toBe('ERR_TLS_PROTOCOL')
    expect(err.rule).toBe('bad_certificate_verify_signature')
    expect(conn.alerts).toEqual([AlertDescription.decrypt_error])
  })

  it('wrong Finished verify_data -> ERR_TLS_PROTOCOL, decrypt_error', async () => {
    const { err, conn } = await failedHandshake({ fault: { kind: 'bad-finished' } })
    expect(err.code).toBe('ERR_TLS_PROTOCOL')
    expect(err.rule).toBe('bad_finished')
    expect(conn.alerts).toEqual([AlertDescription.decrypt_error])
  })

  it('tampered handshake ciphertext -> ERR_TLS_BAD_RECORD_MAC, bad_record_mac', async () => {
    const { err, conn } = await failedHandshake({ fault: { kind: 'flip-ciphertext', at: 'handshake' } })
    expect(err.code).toBe('ERR_TLS_BAD_RECORD_MAC')
    expect(err.rule).toBe('bad_record_mac')
    expect(conn.alerts).toEqual([AlertDescription.bad_record_mac])
  })

  it('cipher suite the client did not offer (TLS_AES_128_CCM_SHA256) -> ERR_TLS_PROTOCOL, illegal_parameter', async () => {
    const { err, conn } = await failedHandshake({ fault: { kind: 'cipher-suite', suite: 0x1304 } })
    expect(err.code).toBe('ERR_TLS_PROTOCOL')
    expect(err.rule).toBe('selected_unoffered_cipher_suite')
    expect(conn.alerts).toEqual([AlertDescription.illegal_parameter])
  })

  it('TLS 1.2 cipher suite in a TLS 1.3 ServerHello -> ERR_TLS_PROTOCOL, illegal_parameter', async () => {
    const { err, conn } = await failedHandshake({ fault: { kind: 'cipher-suite', suite: 0xc02b } })
    expect(err.code).toBe('ERR_TLS_PROTOCOL')
    expect(err.rule).toBe('selected_cipher_suite_of_other_version')
    expect(conn.alerts).toEqual([AlertDescription.illegal_parameter])
  })

  it('group offered but without a share (secp384r1) -> ERR_TLS_PROTOCOL, illegal_parameter', async () => {
    const { err, conn } = await failedHandshake({ fault: { kind: 'group', group: NamedGroup.secp384r1 } })
    expect(err.code).toBe('ERR_TLS_PROTOCOL')
    expect(err.rule).toBe('key_share_for_unsent_group')
    expect(conn.alerts).toEqual([AlertDescription.illegal_parameter])
  })

  it('group never offered (x448) -> ERR_TLS_PROTOCOL, illegal_parameter', async () => {
    const { err, conn } = await failedHandshake({ fault: { kind: 'group', group: NamedGroup.x448 } })
    expect(err.code).toBe('ERR_TLS_PROTOCOL')
    expect(err.rule).toBe('key_share_for_unsent_group')
    expect(conn.alerts).toEqual([AlertDescription.illegal_parameter])
  })

  it('wrong legacy_session_id_echo -> ERR_TLS_PROTOCOL, illegal_parameter', async () => {
    const { err, conn } = await failedHandshake({ fault: { kind: 'session-id-echo' } })
    expect(err.code).toBe('ERR_TLS_PROTOCOL')
    expect(err.rule).toBe('session_id_not_echoed')
    expect(conn.alerts).toEqual([AlertDescription.illegal_parameter])
  })

  it('unsolicited extension in EncryptedExtensions -> ERR_TLS_PROTOCOL, unsupported_extension', async () => {
    const { err, conn } = await failedHandshake({ fault: { kind: 'unsolicited-extension', type: 15 } })
    expect(err.code).toBe('ERR_TLS_PROTOCOL')
    expect(err.rule).toBe('unoffered_extension')
    expect(conn.alerts).toEqual([AlertDescription.unsupported_extension])
  })

  it('second HelloRetryRequest -> ERR_TLS_PROTOCOL, unexpected_message', async () => {
    const { err, conn } = await failedHandshake({ fault: { kind: 'second-hrr' }, group: 'secp256r1' })
    expect(err.code).toBe('ERR_TLS_PROTOCOL')
    expect(err.rule).toBe('second_hello_retry_request')
    expect(conn.hellos).toHaveLength(2)
    expect(conn.alerts).toEqual([AlertDescription.unexpected_message])
  })

  it('record longer than 2^14 + 256 -> ERR_TLS_RECORD_OVERFLOW, record_overflow', async () => {
    const { err, conn } = await failedHandshake({ fault: { kind: 'oversized-record' } })
    expect(err.code).toBe('ERR_TLS_RECORD_OVERFLOW')
    expect(err.rule).toBe('record_overflow')
    expect(conn.alerts).toEqual([AlertDescription.record_overflow])
  })

  it('handshake message header announcing 16 MiB -> ERR_TLS_PROTOCOL before buffering it', async () => {
    const { err, conn } = await failedHandshake({ fault: { kind: 'giant-handshake-header' } })
    expect(err.code).toBe('ERR_TLS_PROTOCOL')
    expect(err.rule).toBe('handshake_message_too_large')
    expect(err.alert).toBeDefined()
    expect(conn.alerts).toEqual([err.alert])
  })

  it('fatal alert from the server -> ERR_TLS_ALERT with alertName, no alert back', async () => {
    const { err, conn } = await failedHandshake({
      fault: { kind: 'alert', description: AlertDescription.handshake_failure },
    })
    expect(err.code).toBe('ERR_TLS_ALERT')
    expect(err.rule).toBe('peer_alert')
    expect(err).toMatchObject({ alertName: 'handshake_failure', description: AlertDescription.handshake_failure })
    expect(conn.alerts).toEqual([])
  })

  it('plain text instead of TLS -> ERR_TLS_PROTOCOL, unexpected_message', async () => {
    const bytes = Buffer.from('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n')
    const { err, conn } = await failedHandshake({ fault: { kind: 'garbage', bytes } })
    expect(err.code).toBe('ERR_TLS_PROTOCOL')
    expect(err.rule).toBe('unknown_content_type')
    expect(conn.alerts).toEqual([AlertDescription.unexpected_message])
  })

  it('a ServerHello that does not decode -> ERR_TLS_DECODE, decode_error', async () => {
    // handshake record: server_hello of 4 bytes (legacy_version and then nothing where the random belongs).
    const bytes = Buffer.from('1603030008' + '02000004' + '03030000', 'hex')
    const { err, conn } = await failedHandshake({ fault: { kind: 'garbage', bytes } })
    expect(err.code).toBe('ERR_TLS_DECODE')
    expect(err.rule).toBe('malformed_message')
    expect(err.cause).toBeInstanceOf(Error)
    expect(conn.alerts).toEqual([AlertDescription.decode_error])
  })
})

describe('hostile server: stalls and cancellation', BOUND, () => {
  it('silence after ServerHello -> ERR_TLS_HANDSHAKE_TIMEOUT after `timeout` ms', async () => {
    const { err } = await failedHandshake({ fault: { kind: 'stall-after-server-hello' } }, { timeout: 300 })
    expect(err.code).toBe('ERR_TLS_HANDSHAKE_TIMEOUT')
    expect(err.rule).toBe('handshake_timeout')
    expect(err.message).toContain('300 ms')
  })

  it('AbortSignal during the handshake -> ERR_ABORTED', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const { err } = await failedHandshake(
      { fault: { kind: 'stall-after-server-hello' } },
      { signal: controller.signal },
    )
    expect((err as HotConnError).code).toBe('ERR_ABORTED')
  })

  it('an already aborted signal -> ERR_ABORTED without dialing', async () => {
    const srv = await startHostile({})
    const err = await rejection(dial(srv, { signal: AbortSignal.abort() }))
    expect((err as HotConnError).code).toBe('ERR_ABORTED')
    expect(srv.connections).toHaveLength(0)
  })
})

describe('hostile server: violations after the handshake', BOUND, () => {
  it('tampered application data -> socket error ERR_TLS_BAD_RECORD_MAC, encrypted bad_record_mac alert', async () => {
    const { err, conn } = await failedTraffic({ fault: { kind: 'flip-ciphertext', at: 'application' } })
    expect(err.code).toBe('ERR_TLS_BAD_RECORD_MAC')
    expect(conn.alerts).toEqual([AlertDescription.bad_record_mac])
  })

  for (const profile of ['chrome', 'firefox'] as const) {
    it(`${profile}: decrypted record of 2^14 + 1 bytes -> ERR_TLS_RECORD_OVERFLOW, record_overflow`, async () => {
      const { err, conn } = await failedTraffic(
        { fault: { kind: 'oversized-plaintext', bytes: (1 << 14) + 1 } },
        { profile },
      )
      expect(err.code).toBe('ERR_TLS_RECORD_OVERFLOW')
      expect(conn.alerts).toEqual([AlertDescription.record_overflow])
    })

    it(`${profile}: decrypted record of exactly 2^14 bytes is accepted`, async () => {
      // Firefox offers record_size_limit 16385 (RFC 8449 §4: 2^14 bytes of content plus the type byte).
      const srv = await startHostile({ fault: { kind: 'oversized-plaintext', bytes: 1 << 14 } })
      const socket = await dial(srv, { profile })
      const first = await new Promise<Buffer>((resolve, reject) => {
        socket.once('data', resolve)
        socket.once('error', reject)
      })
      expect(first.length).toBe(1 << 14)
      socket.destroy()
      await (
        await srv.nextConnection()
      ).closed
    })
  }

  it('TCP FIN without close_notify after data -> socket error ERR_TLS_TRUNCATED, data delivered first', async () => {
    const srv = await startHostile({ fault: { kind: 'truncate' } })
    const socket = await dial(srv)
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    const err = await socketError(socket)
    expect(err.code).toBe('ERR_TLS_TRUNCATED')
    expect(Buffer.concat(chunks).toString()).toBe('partial ')
    expect(socket.destroyed).toBe(true)
    const conn = await srv.nextConnection()
    await conn.closed
    expect(conn.alerts).toEqual([])
  })
})
