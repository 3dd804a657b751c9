import * as crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  knownSignatureSchemes,
  mldsaSupported,
  schemeMatchesKey,
  signatureSchemeInfo,
  verifySignature,
} from '../../../src/tls/cert/signature.js'
import { createCA, issueLeaf } from '../../../src/testing/pki.js'

const data = Buffer.from('TLS 1.3, server CertificateVerify test payload')

const keys = {
  rsa: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }),
  'rsa-pss': crypto.generateKeyPairSync('rsa-pss', { modulusLength: 2048 }),
  p256: crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  p384: crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  p521: crypto.generateKeyPairSync('ec', { namedCurve: 'P-521' }),
  ed25519: crypto.generateKeyPairSync('ed25519'),
  ed448: crypto.generateKeyPairSync('ed448'),
}

type Case = [scheme: number, key: keyof typeof keys, hash: string | null, pss?: number]
const cases: Case[] = [
  [0x0401, 'rsa', 'sha256'],
  [0x0501, 'rsa', 'sha384'],
  [0x0601, 'rsa', 'sha512'],
  [0x0201, 'rsa', 'sha1'],
  [0x0403, 'p256', 'sha256'],
  [0x0503, 'p384', 'sha384'],
  [0x0603, 'p521', 'sha512'],
  [0x0203, 'p256', 'sha1'],
  [0x0804, 'rsa', 'sha256', 32],
  [0x0805, 'rsa', 'sha384', 48],
  [0x0806, 'rsa', 'sha512', 64],
  [0x0809, 'rsa-pss', 'sha256', 32],
  [0x080a, 'rsa-pss', 'sha384', 48],
  [0x080b, 'rsa-pss', 'sha512', 64],
  [0x0807, 'ed25519', null],
  [0x0808, 'ed448', null],
]

function sign([, key, hash, salt]: Case): Buffer {
  const privateKey = keys[key].privateKey
  return salt === undefined
    ? crypto.sign(hash, data, privateKey)
    : crypto.sign(hash, data, { key: privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: salt })
}

describe('verifySignature (RFC 8446 §4.2.3)', () => {
  for (const c of cases) {
    const name = signatureSchemeInfo(c[0])!.name
    it(`${name} (0x${c[0].toString(16).padStart(4, '0')}): verifies, and a flipped bit fails`, () => {
      const sig = sign(c)
      expect(verifySignature(c[0], keys[c[1]].publicKey, data, sig)).toBe(true)
      const badSig = Buffer.from(sig)
      badSig[badSig.length >> 1]! ^= 0x10
      expect(verifySignature(c[0], keys[c[1]].publicKey, data, badSig)).toBe(false)
      const badData = Buffer.from(data)
      badData[0]! ^= 0x01
      expect(verifySignature(c[0], keys[c[1]].publicKey, badData, sig)).toBe(false)
    })
  }

  it('PSS with the wrong salt length fails (salt must equal the hash length)', () => {
    const sig = crypto.sign('sha256', data, {
      key: keys.rsa.privateKey,
      padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 20,
    })
    expect(verifySignature(0x0804, keys.rsa.publicKey, data, sig)).toBe(false)
  })

  it('PKCS#1 v1.5 signature does not pass as PSS and vice versa', () => {
    const pkcs1 = crypto.sign('sha256', data, keys.rsa.privateKey)
    expect(verifySignature(0x0804, keys.rsa.publicKey, data, pkcs1)).toBe(false)
    const pss = sign([0x0804, 'rsa', 'sha256', 32])
    expect(verifySignature(0x0401, keys.rsa.publicKey, data, pss)).toBe(false)
  })

  it('accepts a certificate as the key source', () => {
    const ca = createCA()
    const leaf = issueLeaf(ca, { hosts: ['sig.test'], keyType: 'ed25519' })
    const sig = crypto.sign(null, data, leaf.privateKey)
    expect(verifySignature(0x0807, leaf.x509, data, sig)).toBe(true)
    expect(verifySignature(0x0807, leaf.x509, data, Buffer.alloc(64))).toBe(false)
  })

  it('garbage ECDSA DER is a failed verification, not an exception', () => {
    expect(verifySignature(0x0403, keys.p256.publicKey, data, Buffer.from([0x30, 0x02, 0x01]))).toBe(false)
  })

  it('unknown codepoints throw ERR_TLS_UNSUPPORTED', () => {
    expect(() => verifySignature(0x1234, keys.p256.publicKey, data, Buffer.alloc(8))).toThrow(
      expect.objectContaining({ code: 'ERR_TLS_UNSUPPORTED' }),
    )
  })

  it('ML-DSA: verifies where Node supports it, else throws ERR_TLS_UNSUPPORTED naming the Node version', () => {
    if (mldsaSupported()) {
      for (const [scheme, type] of [
        [0x0904, 'ml-dsa-44'],
        [0x0905, 'ml-dsa-65'],
        [0x0906, 'ml-dsa-87'],
      ] as const) {
        const kp = crypto.generateKeyPairSync(type as 'ed25519')
        const sig = crypto.sign(null, data, kp.privateKey)
        expect(verifySignature(scheme, kp.publicKey, data, sig)).toBe(true)
        sig[0]! ^= 1
        expect(verifySignature(scheme, kp.publicKey, data, sig)).toBe(false)
      }
    } else {
      for (const scheme of [0x0904, 0x0905, 0x0906]) {
        expect(() => verifySignature(scheme, keys.ed25519.publicKey, data, Buffer.alloc(8))).toThrow(
          expect.objectContaining({ code: 'ERR_TLS_UNSUPPORTED', message: expect.stringContaining('24.7') }),
        )
      }
    }
  })
})

describe('schemeMatchesKey (RFC 8446 §4.4.3)', () => {
  it('each scheme needs its key type', () => {
    expect(schemeMatchesKey(0x0804, keys.rsa.publicKey)).toBe(true)
    expect(schemeMatchesKey(0x0804, keys['rsa-pss'].publicKey)).toBe(false)
    expect(schemeMatchesKey(0x0809, keys['rsa-pss'].publicKey)).toBe(true)
    expect(schemeMatchesKey(0x0809, keys.rsa.publicKey)).toBe(false)
    expect(schemeMatchesKey(0x0807, keys.p256.publicKey)).toBe(false)
    expect(schemeMatchesKey(0x0403, keys.rsa.publicKey)).toBe(false)
    expect(schemeMatchesKey(0x9999, keys.rsa.publicKey)).toBe(false)
  })
  it('ECDSA curve is bound in TLS 1.3, free in TLS 1.2 (anyCurve)', () => {
    expect(schemeMatchesKey(0x0403, keys.p384.publicKey)).toBe(false)
    expect(schemeMatchesKey(0x0403, keys.p384.publicKey, { anyCurve: true })).toBe(true)
    const sig = crypto.sign('sha256', data, keys.p384.privateKey)
    expect(verifySignature(0x0403, keys.p384.publicKey, data, sig)).toBe(false)
    expect(verifySignature(0x0403, keys.p384.publicKey, data, sig, { anyCurve: true })).toBe(true)
  })
  it('a mismatched key makes verifySignature return false', () => {
    const sig = crypto.sign('sha256', data, keys.p256.privateKey)
    expect(verifySignature(0x0403, keys.rsa.publicKey, data, sig)).toBe(false)
  })
  it('knows all RFC 8446 §4.2.3 codepoints and ML-DSA', () => {
    expect(knownSignatureSchemes().sort()).toEqual(
      [
        0x0401, 0x0501, 0x0601, 0x0201, 0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b,
        0x0807, 0x0808, 0x0904, 0x0905, 0x0906,
      ].sort(),
    )
  })
})
