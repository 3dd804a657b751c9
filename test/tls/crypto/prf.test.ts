import { describe, expect, it } from 'vitest'
import { TLS12_CIPHER_SUITES } from '../../../src/tls/crypto/cipher-suites12.js'
import { extendedMasterSecret, finishedVerifyData12, keyBlock, masterSecret, prf } from '../../../src/tls/crypto/prf.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex')

describe('TLS 1.2 PRF (RFC 5246 §5)', () => {
  // Expected outputs from OpenSSL: `openssl kdf -keylen N -kdfopt digest:SHA256 -kdfopt hexsecret:… -kdfopt hexseed:<label‖seed> TLS1-PRF`.
  it('P_SHA256 matches OpenSSL TLS1-PRF', () => {
    const out = prf(
      'sha256',
      hex('9bbe436ba940f017b17652849a71db35'),
      'test label',
      hex('a0ba9f936cda311827a6f796ffd5198c'),
      100,
    )
    expect(out).toEqual(
      hex(
        'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab' +
          '4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
      ),
    )
  })

  it('P_SHA384 matches OpenSSL TLS1-PRF', () => {
    const out = prf(
      'sha384',
      hex('b80b733d6ceefcdc71566ea48e5567df'),
      'test label',
      hex('cd665cf6a8447dd6ff8b27555edb7465'),
      148,
    )
    expect(out).toEqual(
      hex(
        '7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd' +
          '8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6' +
          '91c8f3a26854308d5eaa3be85e0990703d73e56f',
      ),
    )
  })

  it('master secret, extended master secret and verify_data have the RFC lengths and differ by label', () => {
    const pms = Buffer.alloc(48, 7)
    const cr = Buffer.alloc(32, 1)
    const sr = Buffer.alloc(32, 2)
    const ms = masterSecret('sha256', pms, cr, sr)
    const ems = extendedMasterSecret('sha256', pms, Buffer.alloc(32, 3))
    expect(ms.length).toBe(48)
    expect(ems.length).toBe(48)
    expect(ms.equals(ems)).toBe(false)
    expect(ms).toEqual(prf('sha256', pms, 'master secret', Buffer.concat([cr, sr]), 48))
    const client = finishedVerifyData12('sha256', ms, 'client', Buffer.alloc(32))
    const server = finishedVerifyData12('sha256', ms, 'server', Buffer.alloc(32))
    expect(client.length).toBe(12)
    expect(client.equals(server)).toBe(false)
  })

  it('key block is split client MAC, server MAC, client key, server key, client IV, server IV (RFC 5246 §6.3)', () => {
    const ms = Buffer.alloc(48, 9)
    const cr = Buffer.alloc(32, 1)
    const sr = Buffer.alloc(32, 2)
    for (const suite of TLS12_CIPHER_SUITES.values()) {
      const { macKeyLength: m, keyLength: k, fixedIvLength: v } = suite
      const block = prf(suite.prfHash, ms, 'key expansion', Buffer.concat([sr, cr]), 2 * (m + k + v))
      const keys = keyBlock(suite.prfHash, ms, cr, sr, suite)
      expect(
        Buffer.concat([
          keys.client.macKey,
          keys.server.macKey,
          keys.client.key,
          keys.server.key,
          keys.client.iv,
          keys.server.iv,
        ]),
      ).toEqual(block)
      expect(keys.client.key.length).toBe(k)
      expect(keys.server.iv.length).toBe(v)
    }
  })
})
