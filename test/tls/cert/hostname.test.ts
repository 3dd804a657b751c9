import { describe, expect, it } from 'vitest'
import { matchesHostname, matchesPattern } from '../../../src/tls/cert/hostname.js'
import { createCA, issueLeaf } from '../../../src/testing/pki.js'
import { verifyServerCertificateChain } from '../../../src/tls/cert/verify.js'
import { TlsCertificateError } from '../../../src/tls/cert/errors.js'

const dns = (...dnsNames: string[]) => ({ dnsNames, ipAddresses: [] })

describe('matchesPattern (RFC 6125 §6.4.3)', () => {
  it('*.a.com matches b.a.com but not a.com or c.b.a.com', () => {
    expect(matchesPattern('b.a.com', '*.a.com')).toBe(true)
    expect(matchesPattern('a.com', '*.a.com')).toBe(false)
    expect(matchesPattern('c.b.a.com', '*.a.com')).toBe(false)
    expect(matchesPattern('.a.com', '*.a.com')).toBe(false)
  })
  it('rejects partial, non-left-most and too-broad wildcards', () => {
    expect(matchesPattern('foo.a.com', 'f*.a.com')).toBe(false)
    expect(matchesPattern('b.a.com', 'b.*.com')).toBe(false)
    expect(matchesPattern('a.com', '*.com')).toBe(false)
    expect(matchesPattern('x.y.a.com', '*.*.a.com')).toBe(false)
  })
  it('exact names, case-insensitive, trailing dot ignored on either side', () => {
    expect(matchesPattern('www.example.com', 'WWW.Example.COM')).toBe(true)
    expect(matchesPattern('www.example.com', 'www.example.com.')).toBe(true)
    expect(matchesPattern('www.example.com', 'example.com')).toBe(false)
  })
})

describe('matchesHostname', () => {
  it('uppercase and trailing-dot hosts match', () => {
    expect(matchesHostname('B.A.COM', dns('*.a.com'))).toBe(true)
    expect(matchesHostname('www.example.com.', dns('www.example.com'))).toBe(true)
  })
  it('IDN hosts are compared as A-labels', () => {
    expect(matchesHostname('bücher.example', dns('xn--bcher-kva.example'))).toBe(true)
    expect(matchesHostname('BÜCHER.example', dns('xn--bcher-kva.example'))).toBe(true)
    expect(matchesHostname('bucher.example', dns('xn--bcher-kva.example'))).toBe(false)
  })
  it('IP literals match iPAddress entries only, never dNSName', () => {
    const ids = { dnsNames: ['127.0.0.1'], ipAddresses: [Buffer.from([127, 0, 0, 2])] }
    expect(matchesHostname('127.0.0.2', ids)).toBe(true)
    expect(matchesHostname('127.0.0.1', ids)).toBe(false)
  })
  it('IPv6 in any spelling, with or without brackets', () => {
    const v6 = Buffer.alloc(16)
    v6[15] = 1
    const mapped = Buffer.from('00000000000000000000ffff7f000001', 'hex')
    const ids = { dnsNames: [], ipAddresses: [v6, mapped] }
    expect(matchesHostname('::1', ids)).toBe(true)
    expect(matchesHostname('[::1]', ids)).toBe(true)
    expect(matchesHostname('0:0:0:0:0:0:0:1', ids)).toBe(true)
    expect(matchesHostname('::ffff:127.0.0.1', ids)).toBe(true)
    expect(matchesHostname('::2', ids)).toBe(false)
  })
})

describe('hostname check through verifyServerCertificateChain with generated certificates', () => {
  const root = createCA()
  const ca = root.certPem
  const leaf = issueLeaf(root, { hosts: ['*.a.test', 'exact.test', '127.0.0.5', '::1'] })
  const ok = (host: string) => {
    try {
      verifyServerCertificateChain(leaf.chainDer, { host, ca })
      return true
    } catch (err) {
      if (err instanceof TlsCertificateError && err.reason === 'hostname_mismatch') return false
      throw err
    }
  }
  it('wildcards, exact names, IPs', () => {
    expect(ok('b.a.test')).toBe(true)
    expect(ok('B.A.TEST.')).toBe(true)
    expect(ok('a.test')).toBe(false)
    expect(ok('c.b.a.test')).toBe(false)
    expect(ok('exact.test')).toBe(true)
    expect(ok('127.0.0.5')).toBe(true)
    expect(ok('127.0.0.6')).toBe(false)
    expect(ok('[::1]')).toBe(true)
  })
  it('never falls back to the subject CN (RFC 9525 §6.3): not with SANs, not without', () => {
    const withSan = issueLeaf(root, { hosts: ['san.test'], commonName: 'cn.test' })
    expect(() => verifyServerCertificateChain(withSan.chainDer, { host: 'cn.test', ca })).toThrow(
      /not valid for "cn.test"/,
    )
    const noSan = issueLeaf(root, { hosts: [], commonName: 'cn.test', san: false })
    let err: unknown
    try {
      verifyServerCertificateChain(noSan.chainDer, { host: 'cn.test', ca })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(TlsCertificateError)
    expect((err as TlsCertificateError).reason).toBe('hostname_mismatch')
    expect((err as TlsCertificateError).message).toMatch(/no subjectAltName.*commonName is not used/)
  })
})
