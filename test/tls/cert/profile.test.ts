/**
 * The web PKI profile (src/tls/cert/profile.ts): version, key identifiers, basicConstraints, CA bits on the
 * server certificate, subject and subjectAltName, key strength. Certificates from the test PKI.
 */
import { execFileSync } from 'node:child_process'
import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createCA, createIntermediate, issueLeaf } from '../../../src/testing/pki.js'
import { verifyServerCertificateChain } from '../../../src/tls/cert/verify.js'
import { expectReason, verify } from './helpers.js'

const host = 'www.example.test'

describe('profile: version and key identifiers (RFC 5280 §4.1.2.1, §4.2.1.1, §4.2.1.2)', () => {
  const root = createCA()

  it('the ordinary chain passes', () => {
    expect(verify(issueLeaf(createIntermediate(root), { hosts: [host] }), root).path).toHaveLength(3)
  })

  it('a v1 or v2 server certificate is rejected', () => {
    for (const version of [1, 2] as const) {
      const leaf = issueLeaf(root, { hosts: [host], overrides: { version } })
      expectReason(() => verify(leaf, root), 'profile_violation', new RegExp(`X.509 v${version} certificate`))
    }
    const v1Int = createIntermediate(root, { overrides: { version: 1 } })
    expectReason(() => verify(issueLeaf(v1Int, { hosts: [host] }), root), 'profile_violation', /X.509 v1/)
  })

  it('a leaf or intermediate without authorityKeyIdentifier keyIdentifier is rejected', () => {
    expectReason(
      () => verify(issueLeaf(root, { hosts: [host], overrides: { authorityKeyId: false } }), root),
      'profile_violation',
      /authorityKeyIdentifier/,
    )
    expectReason(
      () => verify(issueLeaf(root, { hosts: [host], overrides: { authorityKeyId: { keyId: false } } }), root),
      'profile_violation',
    )
    const int = createIntermediate(root, { overrides: { authorityKeyId: false } })
    expectReason(() => verify(issueLeaf(int, { hosts: [host] }), root), 'profile_violation', /authorityKeyIdentifier/)
  })

  it('a self-signed root needs no authorityKeyIdentifier', () => {
    const bare = createCA({ overrides: { authorityKeyId: false } })
    expect(verify(issueLeaf(bare, { hosts: [host] }), bare).path).toHaveLength(2)
  })

  it('critical authorityKeyIdentifier or subjectKeyIdentifier is rejected, on the root too', () => {
    for (const overrides of [{ authorityKeyId: { critical: true } }, { subjectKeyId: { critical: true } }]) {
      const bad = createCA({ overrides })
      expectReason(() => verify(issueLeaf(bad, { hosts: [host] }), bad), 'profile_violation', /MUST NOT be/)
      expectReason(() => verify(issueLeaf(root, { hosts: [host], overrides }), root), 'profile_violation')
    }
  })

  it("a root's authorityKeyIdentifier must hold its own key identifier (BR §7.1.2.1.3)", () => {
    const noKeyId = createCA({ overrides: { authorityKeyId: { keyId: false } } })
    expectReason(() => verify(issueLeaf(noKeyId, { hosts: [host] }), noKeyId), 'profile_violation', /keyIdentifier/)
    const other = createCA({ overrides: { authorityKeyId: { keyId: Buffer.alloc(20, 7) } } })
    expectReason(() => verify(issueLeaf(other, { hosts: [host] }), other), 'profile_violation', /differs/)
  })

  it('an intermediate without subjectKeyIdentifier is rejected; a root without one is trusted as given', () => {
    const int = createIntermediate(root, { overrides: { subjectKeyId: false } })
    expectReason(() => verify(issueLeaf(int, { hosts: [host] }), root), 'profile_violation', /subjectKeyIdentifier/)
    const bareRoot = createCA({ overrides: { subjectKeyId: false } })
    expect(verify(issueLeaf(bareRoot, { hosts: [host] }), bareRoot).path).toHaveLength(2)
  })
})

describe('profile: basicConstraints and CA bits (RFC 5280 §4.2.1.9, BR §7.1.2.7.8)', () => {
  const root = createCA()

  it('an intermediate with a non-critical basicConstraints is rejected; such a root is trusted as given', () => {
    const int = createIntermediate(root, { overrides: { basicConstraints: { critical: false } } })
    expectReason(() => verify(issueLeaf(int, { hosts: [host] }), root), 'profile_violation', /not critical/)
    const softRoot = createCA({ overrides: { basicConstraints: { critical: false } } })
    expect(verify(issueLeaf(softRoot, { hosts: [host] }), softRoot).path).toHaveLength(2)
  })

  it('a server certificate with CA:TRUE or keyCertSign is rejected', () => {
    expectReason(
      () => verify(issueLeaf(root, { hosts: [host], overrides: { basicConstraints: { ca: true } } }), root),
      'profile_violation',
      /CA:TRUE/,
    )
    expectReason(
      () => verify(issueLeaf(root, { hosts: [host], keyUsage: ['digitalSignature', 'keyCertSign'] }), root),
      'key_usage',
      /keyCertSign/,
    )
  })

  it('a trusted self-signed server certificate may be a CA (the user pinned that very certificate)', () => {
    // What `openssl req -x509` makes: CA:TRUE, self-signed, with the server's names.
    const pinned = createCA({ name: host, hosts: [host], keyUsage: ['keyCertSign', 'digitalSignature'] })
    expect(verifyServerCertificateChain([pinned.certDer], { host, ca: pinned.certPem }).path).toHaveLength(1)
    // The same certificate is no server certificate when it is not itself trusted.
    const other = createCA({ name: 'Other Root' })
    expectReason(() => verifyServerCertificateChain([pinned.certDer], { host, ca: other.certPem }), 'untrusted')
  })

  it('a server certificate with nameConstraints is rejected (RFC 5280 §4.2.1.10: CA certificates only)', () => {
    for (const critical of [true, false]) {
      const leaf = issueLeaf(root, { hosts: [host], overrides: { nameConstraints: { permitted: [host], critical } } })
      expectReason(() => verify(leaf, root), 'profile_violation', /nameConstraints/)
    }
  })
})

describe('profile: subject and subjectAltName (RFC 5280 §4.1.2.6, §4.2.1.6, BR §7.1.2.7.12)', () => {
  const root = createCA()

  it('an empty subject with a critical subjectAltName passes; with a non-critical one it is rejected', () => {
    const ok = issueLeaf(root, { hosts: [host], overrides: { emptySubject: true, sanCritical: true } })
    const v = verify(ok, root)
    expect(v.path).toHaveLength(2)
    const bad = issueLeaf(root, { hosts: [host], overrides: { emptySubject: true } })
    expectReason(() => verify(bad, root), 'profile_violation', /empty subject/)
  })

  it('a critical subjectAltName beside a non-empty subject is rejected', () => {
    expectReason(
      () => verify(issueLeaf(root, { hosts: [host], overrides: { sanCritical: true } }), root),
      'profile_violation',
      /MUST NOT be critical/,
    )
  })

  it('a CA with an empty subject, and so a certificate with an empty issuer, is rejected', () => {
    const empty = createIntermediate(root, { overrides: { emptySubject: true } })
    expectReason(() => verify(issueLeaf(empty, { hosts: [host] }), root), 'profile_violation', /empty (issuer|subject)/)
  })

  it('a malformed authorityInfoAccess is rejected as malformed', () => {
    // An empty AuthorityInfoAccessSyntax: SEQUENCE SIZE (1..MAX) (RFC 5280 §4.2.2.1).
    const aia = { id: '1.3.6.1.5.5.7.1.1', value: Buffer.from('3000', 'hex') }
    const leaf = issueLeaf(root, { hosts: [host], overrides: { extensions: [aia] } })
    expectReason(() => verify(leaf, root), 'malformed', /AccessDescription/)
  })
})

describe('profile: key strength (BR §6.1.5, RFC 5480)', () => {
  it('RSA below 2048 bits or not a multiple of 8, P-192 and DSA keys are rejected anywhere on the path', () => {
    for (const keyType of ['rsa-1024', 'rsa-2052', 'ecdsa-p192'] as const) {
      const weakRoot = createCA({ keyType })
      expectReason(() => verify(issueLeaf(weakRoot, { hosts: [host] }), weakRoot), 'weak_key')
    }
    const root = createCA()
    for (const keyType of ['rsa-1024', 'ecdsa-p192', 'dsa'] as const) {
      expectReason(() => verify(issueLeaf(root, { hosts: [host], keyType }), root), 'weak_key')
    }
  })

  it('an EC key with explicit curve parameters is rejected', (ctx) => {
    let spki: Buffer
    try {
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' })
      spki = execFileSync('openssl', ['ec', '-pubout', '-param_enc', 'explicit', '-outform', 'DER'], {
        input: key,
        stdio: ['pipe', 'pipe', 'ignore'],
      })
    } catch {
      ctx.skip()
      return
    }
    expect(createPublicKey({ key: spki, format: 'der', type: 'spki' }).asymmetricKeyType).toBe('ec')
    const root = createCA()
    const leaf = issueLeaf(root, { hosts: [host], overrides: { spki } })
    expectReason(() => verify(leaf, root), 'weak_key', /explicit curve/)
  })
})
