/**
 * CertificateVerify with each signature scheme a profile offers that a server can use (RFC 8446
 * §4.4.3), against node:https (OpenSSL) with matching leaf keys; the server's choice is forced
 * with its `sigalgs` option.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Server } from 'node:https'
import { connect } from '../../src/tls/index.js'
import { chrome, firefox } from '../../src/fingerprint/profiles/index.js'
import type { ClientHelloSpec } from '../../src/fingerprint/spec.js'
import type { TestKeyType } from '../../src/testing/pki.js'
import { httpGet, startHttps, testPki, type Started } from '../helpers/servers.js'

const CASES: Array<{ scheme: number; sigalgs: string; key: TestKeyType }> = [
  { scheme: 0x0403, sigalgs: 'ecdsa_secp256r1_sha256', key: 'ecdsa-p256' },
  { scheme: 0x0503, sigalgs: 'ecdsa_secp384r1_sha384', key: 'ecdsa-p384' },
  { scheme: 0x0804, sigalgs: 'rsa_pss_rsae_sha256', key: 'rsa' },
  { scheme: 0x0805, sigalgs: 'rsa_pss_rsae_sha384', key: 'rsa' },
  { scheme: 0x0806, sigalgs: 'rsa_pss_rsae_sha512', key: 'rsa' },
  { scheme: 0x0807, sigalgs: 'ed25519', key: 'ed25519' },
]

function offers(spec: ClientHelloSpec, scheme: number): boolean {
  return spec.extensions.some((e) => e.kind === 'signature_algorithms' && e.schemes.includes(scheme))
}

let srv: Started<Server> | undefined
afterEach(async () => {
  await srv?.close()
  srv = undefined
})

describe('CertificateVerify schemes', () => {
  for (const spec of [chrome, firefox]) {
    for (const c of CASES) {
      const offered = offers(spec, c.scheme)
      it(`${spec.name}: ${c.sigalgs} ${offered ? 'verifies' : 'is not offered, so the server cannot pick it'}`, async () => {
        const pki = testPki(c.key, ['tiles.test'])
        srv = await startHttps({ sigalgs: c.sigalgs, minVersion: 'TLSv1.3' }, pki)
        const attempt = connect({ host: 'tiles.test', ip: '127.0.0.1', port: srv.port, profile: spec, ca: pki.ca.certPem, alpn: ['http/1.1'], timeout: 5_000 })
        if (!offered) {
          // OpenSSL finds no common scheme and aborts with handshake_failure.
          await expect(attempt).rejects.toMatchObject({ code: 'ERR_TLS_ALERT' })
          return
        }
        const socket = await attempt
        expect(socket.info?.signatureScheme).toBe(c.sigalgs)
        const res = await httpGet(socket, 'tiles.test')
        expect(res.status).toBe(200)
      })
    }
  }
})
