import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from '../../src/tls/index.js'
import { httpGet, startHttps, testPki, type Started } from '../helpers/servers.js'
import type { Server } from 'node:https'

const SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const
const GROUPS = [
  ['x25519', 'x25519'],
  ['P-256', 'secp256r1'],
  ['P-384', 'secp384r1'],
] as const

describe('TLS 1.3 handshake against node:https (OpenSSL)', () => {
  const pki = testPki()
  for (const profile of ['chrome', 'firefox'] as const) {
    for (const suite of SUITES) {
      for (const [ecdhCurve, groupName] of GROUPS) {
        describe(`${profile} ${suite} ${ecdhCurve}`, () => {
          let srv: Started<Server>
          beforeAll(async () => {
            srv = await startHttps({ ciphers: suite, ecdhCurve, minVersion: 'TLSv1.3' } as never)
          })
          afterAll(() => srv.close())

          it('completes the handshake and a GET', async () => {
            const socket = await connect({
              host: 'tiles.test',
              ip: '127.0.0.1',
              port: srv.port,
              profile,
              ca: pki.ca.certPem,
              alpn: ['http/1.1'],
            })
            expect(socket.info).toMatchObject({ version: 'TLSv1.3', cipherSuite: suite, profile, verified: true })
            // P-384 is not in Chrome's key shares: the server must ask for it with a HelloRetryRequest.
            const expectHrr = groupName === 'secp384r1' || (profile === 'chrome' && groupName === 'secp256r1')
            expect(socket.info?.helloRetry).toBe(expectHrr)
            expect(socket.group).toBe(groupName)
            const res = await httpGet(socket, 'tiles.test')
            expect(res.status).toBe(200)
            expect(res.body.toString()).toBe(`hello ${suite} TLSv1.3`)
          })
        })
      }
    }
  }
})
