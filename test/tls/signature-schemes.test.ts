/**
 * CertificateVerify (RFC 8446 §4.4.3) and TLS 1.2 ServerKeyExchange signatures with each scheme a
 * profile offers that a server can use, against node:https (OpenSSL) with matching leaf keys; the
 * server's choice is forced with its `sigalgs` option. A scheme the profile does not offer must not
 * be usable.
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

/** Schemes that only appear in TLS 1.2 ServerKeyExchange (rsa_pkcs1_*) or need a P-521 key, forced with `sigalgs` and the version. */
const TLS12_AND_P521_CASES: Array<{
  scheme: number
  name: string
  sigalgs: string
  key: TestKeyType
  version: 'TLSv1.2' | 'TLSv1.3'
  ciphers?: string
}> = [
  {
    scheme: 0x0401,
    name: 'rsa_pkcs1_sha256',
    sigalgs: 'RSA+SHA256',
    key: 'rsa',
    version: 'TLSv1.2',
    ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
  },
  {
    scheme: 0x0501,
    name: 'rsa_pkcs1_sha384',
    sigalgs: 'RSA+SHA384',
    key: 'rsa',
    version: 'TLSv1.2',
    ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
  },
  {
    scheme: 0x0601,
    name: 'rsa_pkcs1_sha512',
    sigalgs: 'RSA+SHA512',
    key: 'rsa',
    version: 'TLSv1.2',
    ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
  },
  { scheme: 0x0603, name: 'ecdsa_secp521r1_sha512', sigalgs: 'ECDSA+SHA512', key: 'ecdsa-p521', version: 'TLSv1.3' },
  {
    scheme: 0x0603,
    name: 'ecdsa_secp521r1_sha512',
    sigalgs: 'ECDSA+SHA512',
    key: 'ecdsa-p521',
    version: 'TLSv1.2',
    ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  },
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
        const attempt = connect({
          host: 'tiles.test',
          ip: '127.0.0.1',
          port: srv.port,
          profile: spec,
          ca: pki.ca.certPem,
          alpn: ['http/1.1'],
          timeout: 5_000,
        })
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

describe('TLS 1.2 / P-521 signature schemes', () => {
  for (const spec of [chrome, firefox]) {
    for (const c of TLS12_AND_P521_CASES) {
      const offered = offers(spec, c.scheme)
      it(`${spec.name}: ${c.name} in ${c.version} ${offered ? 'verifies' : 'is not offered, so the server cannot use it'}`, async () => {
        const pki = testPki(c.key, ['tiles.test'])
        srv = await startHttps(
          {
            sigalgs: c.sigalgs,
            minVersion: c.version,
            maxVersion: c.version,
            ...(c.ciphers ? { ciphers: c.ciphers } : {}),
          },
          pki,
        )
        const attempt = connect({
          host: 'tiles.test',
          ip: '127.0.0.1',
          port: srv.port,
          profile: spec,
          ca: pki.ca.certPem,
          alpn: ['http/1.1'],
          timeout: 5_000,
        })
        if (!offered) {
          await expect(attempt).rejects.toMatchObject({ code: 'ERR_TLS_ALERT' })
          return
        }
        const socket = await attempt
        expect(socket.info).toMatchObject({ version: c.version, signatureScheme: c.name })
        expect((await httpGet(socket, 'tiles.test')).status).toBe(200)
      })
    }
  }
})
