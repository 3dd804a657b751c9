/** TLS 1.2 against node:https (OpenSSL): every TLS 1.2 suite each profile offers, by key exchange group. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getProfile } from '../../src/fingerprint/profiles/index.js'
import { connect } from '../../src/tls/index.js'
import { httpGet, startHttps, testPki, type Started } from '../helpers/servers.js'

/** IANA id -> [OpenSSL name, IANA name]. */
const SUITES: ReadonlyArray<readonly [number, string, string]> = [
  [0xc02b, 'ECDHE-ECDSA-AES128-GCM-SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  [0xc02f, 'ECDHE-RSA-AES128-GCM-SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
  [0xc02c, 'ECDHE-ECDSA-AES256-GCM-SHA384', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
  [0xc030, 'ECDHE-RSA-AES256-GCM-SHA384', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
  [0xcca9, 'ECDHE-ECDSA-CHACHA20-POLY1305', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0xcca8, 'ECDHE-RSA-CHACHA20-POLY1305', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0xc00a, 'ECDHE-ECDSA-AES256-SHA', 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA'],
  [0xc013, 'ECDHE-RSA-AES128-SHA', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'],
  [0xc014, 'ECDHE-RSA-AES256-SHA', 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA'],
  [0x009c, 'AES128-GCM-SHA256', 'TLS_RSA_WITH_AES_128_GCM_SHA256'],
  [0x009d, 'AES256-GCM-SHA384', 'TLS_RSA_WITH_AES_256_GCM_SHA384'],
  [0x002f, 'AES128-SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA'],
  [0x0035, 'AES256-SHA', 'TLS_RSA_WITH_AES_256_CBC_SHA'],
]

const CURVES = [
  ['X25519', 'x25519'],
  ['P-256', 'secp256r1'],
  ['P-384', 'secp384r1'],
] as const

const rsaPki = testPki('rsa')
const ecdsaPki = testPki()

describe('TLS 1.2 against node:https (OpenSSL)', () => {
  for (const profile of ['chrome', 'firefox'] as const) {
    const offered = getProfile(profile).cipherSuites
    for (const [id, opensslName, iana] of SUITES) {
      if (!offered.includes(id)) continue
      const ecdhe = opensslName.startsWith('ECDHE')
      const pki = opensslName.includes('ECDSA') ? ecdsaPki : rsaPki
      for (const [ecdhCurve, group] of ecdhe ? CURVES : ([['X25519', 'none']] as const)) {
        describe(`${profile} ${opensslName}${ecdhe ? ` ${ecdhCurve}` : ''}`, () => {
          let srv: Started<Server>
          beforeAll(async () => {
            srv = await startHttps({ ciphers: opensslName, ecdhCurve, maxVersion: 'TLSv1.2' }, pki)
          })
          afterAll(() => srv.close())
          const options = () => ({
            host: 'tiles.test',
            ip: '127.0.0.1',
            port: srv.port,
            profile,
            ca: pki.ca.certPem,
            alpn: ['http/1.1'],
            timeout: 5000,
          })

          it('completes the handshake and a GET', async () => {
            const socket = await connect(options())
            expect(socket.info).toMatchObject({
              version: 'TLSv1.2',
              cipherSuite: iana,
              profile,
              verified: true,
              group,
              alpn: 'http/1.1',
            })
            expect(socket.getProtocol()).toBe('TLSv1.2')
            const res = await httpGet(socket, 'tiles.test')
            expect(res.status).toBe(200)
            expect(res.body.toString()).toBe(`hello ${opensslName} TLSv1.2`)
          })

          if (ecdhCurve === 'X25519') {
            it('carries a 1 MiB body intact', async () => {
              const socket = await connect(options())
              const res = await httpGet(socket, 'tiles.test', `/size/${1 << 20}`)
              expect(res.status).toBe(200)
              expect(res.body.length).toBe(1 << 20)
              expect(res.body.every((b) => b === 0x61)).toBe(true)
            })
          }
        })
      }
    }
  }
})

describe('TLS 1.2 session details against node:https', () => {
  let srv: Started<Server>
  const serverKeylog: string[] = []
  beforeAll(async () => {
    srv = await startHttps({ ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' }, ecdsaPki)
    srv.server.on('keylog', (line: Buffer) => serverKeylog.push(line.toString('latin1').trim()))
  })
  afterAll(() => srv.close())
  const options = () => ({
    host: 'tiles.test',
    ip: '127.0.0.1',
    port: srv.port,
    ca: ecdsaPki.ca.certPem,
    alpn: ['http/1.1'],
    timeout: 5000,
  })

  it("writes a CLIENT_RANDOM key log line equal to the server's (extended master secret)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hotconn-keylog12-'))
    try {
      const file = join(dir, 'keys.log')
      const socket = await connect({ ...options(), profile: 'chrome', keyLogFile: file })
      await httpGet(socket, 'tiles.test')
      const lines = readFileSync(file, 'utf8').trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/)
      expect(serverKeylog).toContain(lines[0])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('receives the NewSessionTicket the server issues (RFC 5077) and reports it with the master secret', async () => {
    const socket = await connect({ ...options(), profile: 'firefox' })
    const ticket = socket.tls12SessionTicket
    expect(ticket).toBeDefined()
    expect(ticket!.ticket.length).toBeGreaterThan(0)
    expect(ticket!.masterSecret.length).toBe(48)
    expect(ticket!.extendedMasterSecret).toBe(true)
    expect(ticket!.cipherSuite.name).toBe('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256')
    socket.destroy()
  })

  it('refuses a KeyUpdate request on a TLS 1.2 connection', async () => {
    const socket = await connect({ ...options(), profile: 'chrome' })
    expect(() => socket.keyUpdate()).toThrow(/TLS 1\.3 message/)
    const res = await httpGet(socket, 'tiles.test')
    expect(res.status).toBe(200)
  })
})

describe('TLS 1.2 optional server messages from node:https', () => {
  it('answers a CertificateRequest with an empty Certificate (RFC 5246 §7.4.6)', async () => {
    const srv = await startHttps(
      { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2', requestCert: true, rejectUnauthorized: false },
      rsaPki,
    )
    try {
      const socket = await connect({
        host: 'tiles.test',
        ip: '127.0.0.1',
        port: srv.port,
        ca: rsaPki.ca.certPem,
        alpn: ['http/1.1'],
        timeout: 5000,
      })
      const res = await httpGet(socket, 'tiles.test')
      expect(res.body.toString()).toBe('hello ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2')
    } finally {
      await srv.close()
    }
  })

  it('accepts a stapled OCSP response in CertificateStatus (RFC 6066 §8)', async () => {
    const srv = await startHttps({ ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384', maxVersion: 'TLSv1.2' }, ecdsaPki)
    let stapled = 0
    srv.server.on(
      'OCSPRequest',
      (_cert: Buffer, _issuer: Buffer, callback: (err: Error | null, response?: Buffer) => void) => {
        stapled++
        callback(null, Buffer.from('30030a0100', 'hex')) // OCSPResponse { responseStatus successful }, no body
      },
    )
    try {
      const socket = await connect({
        host: 'tiles.test',
        ip: '127.0.0.1',
        port: srv.port,
        ca: ecdsaPki.ca.certPem,
        alpn: ['http/1.1'],
        timeout: 5000,
        profile: 'firefox',
      })
      expect(stapled).toBe(1)
      const res = await httpGet(socket, 'tiles.test')
      expect(res.status).toBe(200)
    } finally {
      await srv.close()
    }
  })
})
