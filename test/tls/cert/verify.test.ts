import { describe, expect, it } from 'vitest'
import { createCA, createIntermediate, issueLeaf, type TestCA } from '../../../src/testing/pki.js'
import { verifyServerCertificateChain } from '../../../src/tls/cert/verify.js'
import { TlsCertificateError, type CertificateFailureReason } from '../../../src/tls/cert/errors.js'
import { HotConnError, InvalidArgumentError } from '../../../src/errors.js'

const DAY = 86_400_000
const host = 'www.example.test'

function expectReason(fn: () => unknown, reason: CertificateFailureReason, alert: number): TlsCertificateError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(TlsCertificateError)
  const err = caught as TlsCertificateError
  expect(err).toBeInstanceOf(HotConnError)
  expect(err.code).toBe('ERR_TLS_BAD_CERTIFICATE')
  expect(err.reason).toBe(reason)
  expect(err.alert).toBe(alert)
  return err
}

describe('verifyServerCertificateChain: good chains', () => {
  for (const keyType of ['rsa', 'ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-pss'] as const) {
    it(`accepts a ${keyType} root -> intermediate -> leaf chain`, () => {
      const root = createCA({ keyType })
      const int = createIntermediate(root, { keyType })
      const leaf = issueLeaf(int, { hosts: [host], keyType })
      const v = verifyServerCertificateChain(leaf.chainDer, { host, ca: root.certPem })
      expect(v.path.map((c) => c.subject)).toEqual([leaf.x509.subject, int.x509.subject, root.x509.subject])
      expect(v.trustAnchor.fingerprint256).toBe(root.x509.fingerprint256)
      expect(v.leaf.fingerprint256).toBe(leaf.x509.fingerprint256)
      expect(v.host).toBe(host)
    })
  }

  it('accepts a leaf issued directly by the root, ca given as DER, Buffer PEM or a list', () => {
    const other = createCA()
    const root = createCA()
    const leaf = issueLeaf(root, { hosts: [host] })
    expect(verifyServerCertificateChain(leaf.chainDer, { host, ca: root.certDer }).path).toHaveLength(2)
    expect(verifyServerCertificateChain(leaf.chainDer, { host, ca: Buffer.from(root.certPem) }).path).toHaveLength(2)
    expect(verifyServerCertificateChain(leaf.chainDer, { host, ca: [other.certPem, root.certDer] }).path).toHaveLength(
      2,
    )
    expect(verifyServerCertificateChain(leaf.chainDer, { host, ca: other.certPem + root.certPem }).path).toHaveLength(2)
  })

  it('builds the path when intermediates come out of order, with unrelated extras and the root included', () => {
    const root = createCA()
    const i1 = createIntermediate(root)
    const i2 = createIntermediate(i1)
    const leaf = issueLeaf(i2, { hosts: [host] })
    const stranger = createIntermediate(createCA())
    const chain = [leaf.certDer, stranger.certDer, i1.certDer, root.certDer, i2.certDer]
    const v = verifyServerCertificateChain(chain, { host, ca: root.certPem })
    expect(v.path.map((c) => c.subject)).toEqual([
      leaf.x509.subject,
      i2.x509.subject,
      i1.x509.subject,
      root.x509.subject,
    ])
  })

  it('accepts a leaf that is itself in the trust store, and a trusted intermediate as anchor', () => {
    const root = createCA()
    const int = createIntermediate(root)
    const leaf = issueLeaf(int, { hosts: [host] })
    const v1 = verifyServerCertificateChain([leaf.certDer], { host, ca: leaf.certPem })
    expect(v1.path).toHaveLength(1)
    const v2 = verifyServerCertificateChain(leaf.chainDer, { host, ca: int.certPem })
    expect(v2.trustAnchor.subject).toBe(int.x509.subject)
  })

  it('backtracks: an expired cross-signed copy of the issuer is abandoned for a valid one', () => {
    const oldRoot = createCA({ name: 'Old Root' })
    const newRoot = createCA({ name: 'New Root' })
    const expiredCross = createIntermediate(oldRoot, {
      name: 'New Root',
      keyOf: newRoot,
      notBefore: new Date(Date.now() - 20 * DAY),
      notAfter: new Date(Date.now() - DAY),
    })
    const validCross = createIntermediate(oldRoot, { name: 'New Root', keyOf: newRoot })
    const int = createIntermediate(newRoot)
    const leaf = issueLeaf(int, { hosts: [host] })
    const v = verifyServerCertificateChain([leaf.certDer, int.certDer, expiredCross.certDer, validCross.certDer], {
      host,
      ca: oldRoot.certPem,
    })
    expect(v.path.map((c) => c.fingerprint256)).toEqual(
      [leaf.x509, int.x509, validCross.x509, oldRoot.x509].map((c) => c.fingerprint256),
    )
    // With only the expired copy, the failure on the path that reached the anchor is reported.
    expectReason(
      () =>
        verifyServerCertificateChain([leaf.certDer, int.certDer, expiredCross.certDer], { host, ca: oldRoot.certPem }),
      'expired',
      45,
    )
    // Trusting the new root directly short-cuts the cross-signed copies (anchors are tried first).
    expect(
      verifyServerCertificateChain([leaf.certDer, int.certDer, expiredCross.certDer], { host, ca: newRoot.certPem })
        .path,
    ).toHaveLength(3)
  })

  it('checks validity against options.now', () => {
    const root = createCA()
    const leaf = issueLeaf(root, {
      hosts: [host],
      notBefore: new Date('2030-01-01T00:00:00Z'),
      notAfter: new Date('2031-01-01T00:00:00Z'),
    })
    expect(
      verifyServerCertificateChain(leaf.chainDer, { host, ca: root.certPem, now: new Date('2030-06-01T00:00:00Z') })
        .path,
    ).toHaveLength(2)
    expectReason(
      () =>
        verifyServerCertificateChain(leaf.chainDer, { host, ca: root.certPem, now: new Date('2031-06-01T00:00:00Z') }),
      'expired',
      45,
    )
  })
})

describe('verifyServerCertificateChain: every failure reason', () => {
  const root = createCA({ name: 'Failure Root' })
  const ca = root.certPem

  it('expired leaf -> expired / certificate_expired(45), message names the cert and the rule', () => {
    const leaf = issueLeaf(root, {
      hosts: [host],
      notBefore: new Date(Date.now() - 30 * DAY),
      notAfter: new Date(Date.now() - DAY),
    })
    const err = expectReason(() => verifyServerCertificateChain(leaf.chainDer, { host, ca }), 'expired', 45)
    expect(err.message).toContain(host)
    expect(err.message).toContain('RFC 5280 §4.1.2.5')
    expect(err.message).toContain('insecure: true')
    expect(err.subject).toContain(host)
  })

  it('expired intermediate -> expired', () => {
    const int = createIntermediate(root, {
      name: 'Old Intermediate',
      notBefore: new Date(Date.now() - 30 * DAY),
      notAfter: new Date(Date.now() - DAY),
    })
    const leaf = issueLeaf(int, { hosts: [host] })
    const err = expectReason(() => verifyServerCertificateChain(leaf.chainDer, { host, ca }), 'expired', 45)
    expect(err.subject).toContain('Old Intermediate')
  })

  it('not-yet-valid leaf -> not_yet_valid', () => {
    const leaf = issueLeaf(root, {
      hosts: [host],
      notBefore: new Date(Date.now() + DAY),
      notAfter: new Date(Date.now() + 30 * DAY),
    })
    expectReason(() => verifyServerCertificateChain(leaf.chainDer, { host, ca }), 'not_yet_valid', 45)
  })

  it('wrong host -> hostname_mismatch / certificate_unknown(46), listing the names', () => {
    const leaf = issueLeaf(root, { hosts: ['a.example.test', '127.0.0.2'] })
    const err = expectReason(
      () => verifyServerCertificateChain(leaf.chainDer, { host: 'b.example.test', ca }),
      'hostname_mismatch',
      46,
    )
    expect(err.message).toContain('a.example.test')
    expect(err.message).toContain('127.0.0.2')
    expect(err.message).toContain('RFC 9525')
  })

  it('untrusted root -> untrusted / unknown_ca(48), telling to pass ca', () => {
    const leaf = issueLeaf(createIntermediate(createCA({ name: 'Stranger Root' })), { hosts: [host] })
    const err = expectReason(() => verifyServerCertificateChain(leaf.chainDer, { host, ca }), 'untrusted', 48)
    expect(err.message).toContain('ca')
    expect(err.message).toContain('Stranger Root')
  })

  it('system roots do not trust a test CA', () => {
    const leaf = issueLeaf(root, { hosts: [host] })
    const err = expectReason(() => verifyServerCertificateChain(leaf.chainDer, { host }), 'untrusted', 48)
    expect(err.message).toContain('the default roots')
  })

  it('self-signed leaf not in the store -> untrusted', () => {
    const self = createCA({ name: host, isCA: false, keyUsage: ['digitalSignature'] })
    expectReason(() => verifyServerCertificateChain([self.certDer], { host, ca }), 'untrusted', 48)
  })

  it('intermediate without CA:TRUE -> not_a_ca / bad_certificate(42)', () => {
    const int = createIntermediate(root, { name: 'Not A CA', isCA: false })
    const leaf = issueLeaf(int, { hosts: [host] })
    const err = expectReason(() => verifyServerCertificateChain(leaf.chainDer, { host, ca }), 'not_a_ca', 42)
    expect(err.subject).toContain('Not A CA')
    expect(err.message).toContain('basicConstraints')
  })

  it('a leaf used as an issuer (no basicConstraints CA) -> not_a_ca', () => {
    const leafCa = issueLeaf(root, { hosts: ['issuer.example.test'] })
    // Make a pseudo-CA object from the leaf so it can sign.
    const pseudo = asIssuer(leafCa, 'issuer.example.test', root)
    const leaf = issueLeaf(pseudo, { hosts: [host] })
    expectReason(() => verifyServerCertificateChain(leaf.chainDer, { host, ca }), 'not_a_ca', 42)
  })

  it('pathLen violation -> path_length', () => {
    const int1 = createIntermediate(root, { name: 'Path Zero', pathLen: 0 })
    const int2 = createIntermediate(int1, { name: 'Below Path Zero' })
    const leaf = issueLeaf(int2, { hosts: [host] })
    const err = expectReason(() => verifyServerCertificateChain(leaf.chainDer, { host, ca }), 'path_length', 42)
    expect(err.subject).toContain('Path Zero')
    // pathLen 0 directly above the leaf is fine.
    expect(verifyServerCertificateChain(issueLeaf(int1, { hosts: [host] }).chainDer, { host, ca }).path).toHaveLength(3)
  })

  it('pathLen on the root counts every intermediate', () => {
    const strictRoot = createCA({ pathLen: 1 })
    const i1 = createIntermediate(strictRoot)
    const i2 = createIntermediate(i1)
    expect(
      verifyServerCertificateChain(issueLeaf(i1, { hosts: [host] }).chainDer, { host, ca: strictRoot.certPem }).path,
    ).toHaveLength(3)
    expectReason(
      () => verifyServerCertificateChain(issueLeaf(i2, { hosts: [host] }).chainDer, { host, ca: strictRoot.certPem }),
      'path_length',
      42,
    )
  })

  it('intermediate keyUsage without keyCertSign -> key_usage / unsupported_certificate(43)', () => {
    const int = createIntermediate(root, { name: 'No CertSign', keyUsage: ['digitalSignature', 'cRLSign'] })
    const leaf = issueLeaf(int, { hosts: [host] })
    const err = expectReason(() => verifyServerCertificateChain(leaf.chainDer, { host, ca }), 'key_usage', 43)
    expect(err.message).toContain('keyCertSign')
  })

  it('CA without a keyUsage extension is accepted (RFC 5280: checked only when present)', () => {
    const int = createIntermediate(root, { keyUsage: false })
    expect(verifyServerCertificateChain(issueLeaf(int, { hosts: [host] }).chainDer, { host, ca }).path).toHaveLength(3)
  })

  it('leaf keyUsage with only keyCertSign -> key_usage', () => {
    const leaf = issueLeaf(root, { hosts: [host], keyUsage: ['cRLSign'] })
    expectReason(() => verifyServerCertificateChain(leaf.chainDer, { host, ca }), 'key_usage', 43)
  })

  it('leaf EKU clientAuth only -> extended_key_usage; serverAuth+clientAuth or no EKU pass', () => {
    const leaf = issueLeaf(root, { hosts: [host], eku: 'clientAuth' })
    const err = expectReason(() => verifyServerCertificateChain(leaf.chainDer, { host, ca }), 'extended_key_usage', 43)
    expect(err.message).toContain('clientAuth')
    expect(
      verifyServerCertificateChain(issueLeaf(root, { hosts: [host], eku: 'both' }).chainDer, { host, ca }).path,
    ).toHaveLength(2)
    expect(
      verifyServerCertificateChain(issueLeaf(root, { hosts: [host], eku: 'none' }).chainDer, { host, ca }).path,
    ).toHaveLength(2)
  })

  it('intermediate restricted to clientAuth -> extended_key_usage', () => {
    const int = createIntermediate(root, { eku: 'clientAuth' })
    expectReason(
      () => verifyServerCertificateChain(issueLeaf(int, { hosts: [host] }).chainDer, { host, ca }),
      'extended_key_usage',
      43,
    )
  })

  it('issuer name matches but the key does not -> bad_signature', () => {
    const twin = createCA({ name: 'Failure Root' }) // same name as the trusted root, other key
    const leaf = issueLeaf(twin, { hosts: [host] })
    const err = expectReason(() => verifyServerCertificateChain(leaf.chainDer, { host, ca }), 'bad_signature', 42)
    expect(err.message).toContain('signature')
  })

  it('tampered leaf (a flipped bit in the TBS) -> bad_signature or malformed', () => {
    const leaf = issueLeaf(root, { hosts: [host] })
    const der = Buffer.from(leaf.certDer)
    const at = der.indexOf(Buffer.from(host))
    der[at + 1]! ^= 0x01 // changes "www" in the SAN
    const err = expectReason(
      () => verifyServerCertificateChain([der], { host: 'wvw.example.test', ca }),
      'bad_signature',
      42,
    )
    expect(err.subject).toBeDefined()
  })

  it('SHA-1 signed certificate -> bad_signature (weak)', () => {
    const leaf = issueLeaf(root, { hosts: [host], signatureHash: 'sha1' })
    const err = expectReason(() => verifyServerCertificateChain(leaf.chainDer, { host, ca }), 'bad_signature', 42)
    expect(err.message).toContain('SHA1')
  })

  it('garbage bytes -> malformed', () => {
    expectReason(() => verifyServerCertificateChain([Buffer.from('not a certificate')], { host, ca }), 'malformed', 42)
    const leaf = issueLeaf(root, { hosts: [host] })
    expectReason(
      () => verifyServerCertificateChain([leaf.certDer.subarray(0, leaf.certDer.length - 5)], { host, ca }),
      'malformed',
      42,
    )
  })

  it('empty chain -> empty_chain / decode_error(50)', () => {
    expectReason(() => verifyServerCertificateChain([], { host, ca }), 'empty_chain', 50)
  })
})

describe('verifyServerCertificateChain: options', () => {
  it('rejects bad options up front', () => {
    const root = createCA()
    const leaf = issueLeaf(root, { hosts: [host] })
    expect(() => verifyServerCertificateChain(leaf.chainDer, { host: '', ca: root.certPem })).toThrow(
      InvalidArgumentError,
    )
    expect(() => verifyServerCertificateChain(leaf.chainDer, { host, ca: 'no pem here' })).toThrow(
      /ca: no certificate found/,
    )
    expect(() =>
      verifyServerCertificateChain(leaf.chainDer, {
        host,
        ca: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
      }),
    ).toThrow(InvalidArgumentError)
    expect(() =>
      verifyServerCertificateChain(leaf.chainDer, { host, ca: root.certPem, now: new Date('nope') }),
    ).toThrow(/now must be a valid Date/)
  })
})

// --- helpers --------------------------------------------------------------------------------

import * as crypto from 'node:crypto'
import forge from 'node-forge'

/** A TestCA-shaped issuer made from a non-CA certificate (to test that such issuers are refused). */
function asIssuer(cert: ReturnType<typeof issueLeaf>, commonName: string, parent: TestCA): TestCA {
  return {
    ...cert,
    name: commonName,
    intermediates: [cert, ...parent.intermediates],
    root: parent.root,
    subjectAttrs: [
      { shortName: 'O', value: 'hotconn test PKI', valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class },
      { shortName: 'CN', value: commonName, valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class },
    ],
    keyId: crypto.randomBytes(20),
  }
}

describe('verifyServerCertificateChain: nameConstraints (RFC 5280 §4.2.1.10)', () => {
  const root = createCA()
  const ca = root.certPem
  const constrained = createIntermediate(root, {
    name: 'Constrained',
    nameConstraints: { permitted: ['example.test', '127.0.0.0/8'], excluded: ['bad.example.test'] },
  })

  it('names inside the permitted subtrees pass', () => {
    const leaf = issueLeaf(constrained, { hosts: ['www.example.test', 'example.test', '127.0.0.9'] })
    expect(verifyServerCertificateChain(leaf.chainDer, { host: 'www.example.test', ca }).path).toHaveLength(3)
  })

  it('a name outside the permitted subtrees -> name_constraints, even if it is not the host', () => {
    const leaf = issueLeaf(constrained, { hosts: ['www.example.test', 'www.other.test'] })
    const err = expectReason(
      () => verifyServerCertificateChain(leaf.chainDer, { host: 'www.example.test', ca }),
      'name_constraints',
      42,
    )
    expect(err.message).toContain('www.other.test')
    expect(err.message).toContain('Constrained')
  })

  it('excluded subtree and IP outside the permitted range -> name_constraints', () => {
    expectReason(
      () =>
        verifyServerCertificateChain(issueLeaf(constrained, { hosts: ['x.bad.example.test'] }).chainDer, {
          host: 'x.bad.example.test',
          ca,
        }),
      'name_constraints',
      42,
    )
    expectReason(
      () =>
        verifyServerCertificateChain(issueLeaf(constrained, { hosts: ['example.test', '10.0.0.1'] }).chainDer, {
          host: 'example.test',
          ca,
        }),
      'name_constraints',
      42,
    )
    expectReason(
      () =>
        verifyServerCertificateChain(issueLeaf(constrained, { hosts: ['example.test', '::1'] }).chainDer, {
          host: 'example.test',
          ca,
        }),
      'name_constraints',
      42,
    )
  })

  it('constraints on the root apply through intermediates', () => {
    const nroot = createCA({ nameConstraints: { permitted: ['.corp.test'] } })
    const int = createIntermediate(nroot)
    expect(
      verifyServerCertificateChain(issueLeaf(int, { hosts: ['a.corp.test'] }).chainDer, {
        host: 'a.corp.test',
        ca: nroot.certPem,
      }).path,
    ).toHaveLength(3)
    expectReason(
      () =>
        verifyServerCertificateChain(issueLeaf(int, { hosts: ['corp.test'] }).chainDer, {
          host: 'corp.test',
          ca: nroot.certPem,
        }),
      'name_constraints',
      42,
    )
  })
})
