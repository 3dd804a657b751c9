/**
 * nameConstraints (RFC 5280 §4.2.1.10) on every name form, wildcard SANs, unprocessed forms, malformed
 * constraints and names, empty subtrees. Certificates from the test PKI.
 */
import { describe, expect, it } from 'vitest'
import { createCA, createIntermediate, issueLeaf, type CreateCAOptions } from '../../../src/testing/pki.js'
import { expectReason, verify } from './helpers.js'

const root = createCA()
const constrained = (nameConstraints: CreateCAOptions['nameConstraints'], overrides?: CreateCAOptions['overrides']) =>
  createIntermediate(root, { nameConstraints, ...(overrides ? { overrides } : {}) })

describe('nameConstraints: wildcard subjectAltNames (CVE-2025-61727)', () => {
  it('an excluded name that a wildcard SAN could match rejects the wildcard, for any host', () => {
    const ica = constrained({ excluded: ['bar.example.test'] })
    const leaf = issueLeaf(ica, { hosts: ['*.example.test'] })
    expectReason(() => verify(leaf, root, 'foo.example.test'), 'name_constraints', /\*\.example\.test.*excluded/)
    expectReason(() => verify(leaf, root, 'bar.example.test'), 'name_constraints')
  })

  it('an excluded subtree below what the wildcard matches does not reject it; one above it does', () => {
    const deep = constrained({ excluded: ['a.bar.example.test', '.x.example.test'] })
    expect(verify(issueLeaf(deep, { hosts: ['*.example.test'] }), root, 'foo.example.test').path).toHaveLength(3)
    const above = constrained({ excluded: ['example.test'] })
    expectReason(
      () => verify(issueLeaf(above, { hosts: ['*.example.test'] }), root, 'a.example.test'),
      'name_constraints',
    )
  })

  it('a wildcard is permitted only when every name it matches is', () => {
    const narrow = constrained({ permitted: ['bar.example.test'] })
    expectReason(
      () => verify(issueLeaf(narrow, { hosts: ['*.example.test'] }), root, 'bar.example.test'),
      'name_constraints',
      /outside every permitted subtree/,
    )
    const wide = constrained({ permitted: ['example.test'] })
    expect(verify(issueLeaf(wide, { hosts: ['*.example.test'] }), root, 'x.example.test').path).toHaveLength(3)
    const dotted = constrained({ permitted: ['.example.test'] })
    expect(verify(issueLeaf(dotted, { hosts: ['*.example.test'] }), root, 'x.example.test').path).toHaveLength(3)
  })
})

describe('nameConstraints: DNS and IP forms', () => {
  it('a leading-period constraint covers the subdomains only', () => {
    const ica = constrained({ permitted: ['.corp.test'] })
    expect(verify(issueLeaf(ica, { hosts: ['a.corp.test'] }), root, 'a.corp.test').path).toHaveLength(3)
    expectReason(() => verify(issueLeaf(ica, { hosts: ['corp.test'] }), root, 'corp.test'), 'name_constraints')
  })

  it('matching is by whole labels and case-insensitive', () => {
    const ica = constrained({ permitted: ['Example.TEST'] })
    expect(verify(issueLeaf(ica, { hosts: ['www.example.test'] }), root).path).toHaveLength(3)
    expectReason(
      () => verify(issueLeaf(ica, { hosts: ['www.badexample.test'] }), root, 'www.badexample.test'),
      'name_constraints',
    )
  })

  it('a malformed dNSName under a DNS constraint is rejected, even when it is not the host', () => {
    const ica = constrained({ permitted: ['example.test'] })
    const leaf = issueLeaf(ica, { hosts: ['www.example.test', '.example.test'] })
    expectReason(() => verify(leaf, root), 'name_constraints', /malformed/)
  })

  it('a malformed constraint rejects the chain', () => {
    for (const bad of ['*.example.test', 'exa mple.test', 'a..b']) {
      const ica = constrained({ permitted: [bad] })
      expectReason(
        () => verify(issueLeaf(ica, { hosts: ['www.example.test'] }), root),
        'name_constraints',
        /constraint itself is malformed/,
      )
    }
  })

  it('IPv4 and IPv6 ranges: inside passes, outside or other family fails', () => {
    const ica = constrained({ permitted: ['10.1.0.0/16', 'fd00::/8'] })
    expect(verify(issueLeaf(ica, { hosts: ['10.1.2.3', 'fd00::1'] }), root, '10.1.2.3').path).toHaveLength(3)
    expectReason(
      () => verify(issueLeaf(ica, { hosts: ['10.2.0.1'] }), root, '10.2.0.1'),
      'name_constraints',
      /10\.2\.0\.1/,
    )
    const v4only = constrained({ permitted: ['10.0.0.0/8'] })
    expectReason(() => verify(issueLeaf(v4only, { hosts: ['::1'] }), root, '::1'), 'name_constraints')
    const excluded = constrained({ excluded: ['10.9.0.0/16'] })
    expectReason(() => verify(issueLeaf(excluded, { hosts: ['10.9.9.9'] }), root, '10.9.9.9'), 'name_constraints')
  })
})

describe('nameConstraints: the other name forms', () => {
  const host = 'www.example.test'

  it('rfc822Name constraints apply to email SANs', () => {
    const ica = constrained({ permitted: ['email:example.test', host] })
    const ok = issueLeaf(ica, {
      hosts: [host],
      overrides: { extraAltNames: [{ type: 'email', value: 'a@example.test' }] },
    })
    expect(verify(ok, root).path).toHaveLength(3)
    const bad = issueLeaf(ica, {
      hosts: [host],
      overrides: { extraAltNames: [{ type: 'email', value: 'a@other.test' }] },
    })
    expectReason(() => verify(bad, root), 'name_constraints', /a@other\.test/)
  })

  it('URI constraints apply to the host of URI SANs; a URI without a host name fails', () => {
    const ica = constrained({ excluded: ['uri:.evil.test'] })
    const bad = issueLeaf(ica, {
      hosts: [host],
      overrides: { extraAltNames: [{ type: 'uri', value: 'https://a.evil.test/x' }] },
    })
    expectReason(() => verify(bad, root), 'name_constraints')
    const ok = issueLeaf(ica, {
      hosts: [host],
      overrides: { extraAltNames: [{ type: 'uri', value: 'https://good.test/' }] },
    })
    expect(verify(ok, root).path).toHaveLength(3)
    const urn = issueLeaf(ica, { hosts: [host], overrides: { extraAltNames: [{ type: 'uri', value: 'urn:x:y' }] } })
    expectReason(() => verify(urn, root), 'name_constraints', /malformed/)
  })

  it('directoryName constraints apply to the subject and to directoryName SANs', () => {
    const ica = constrained({ excluded: ['dirName:hotconn test PKI'] })
    expectReason(() => verify(issueLeaf(ica, { hosts: [host] }), root), 'name_constraints', /directoryName/)
    const other = constrained({ permitted: ['dirName:Somebody Else'] })
    expectReason(() => verify(issueLeaf(other, { hosts: [host] }), root), 'name_constraints', /outside every permitted/)
  })

  it('a constraint on a form hotconn does not process rejects a certificate carrying that form', () => {
    const ica = constrained({ excluded: ['otherName:1.3.6.1.4.1.99999.1'] })
    const withOther = issueLeaf(ica, {
      hosts: [host],
      overrides: { extraAltNames: [{ type: 'otherName', value: '1.3.6.1.4.1.99999.1' }] },
    })
    expectReason(() => verify(withOther, root), 'name_constraints', /otherName names, which hotconn does not process/)
    // No otherName in the certificate: the constraint has nothing to apply to.
    expect(verify(issueLeaf(ica, { hosts: [host] }), root).path).toHaveLength(3)
  })

  it('names of a form without constraints are not restricted by other forms', () => {
    const ica = constrained({ permitted: ['10.0.0.0/8'] })
    expect(verify(issueLeaf(ica, { hosts: [host, '10.0.0.1'] }), root).path).toHaveLength(3)
  })
})

describe('nameConstraints: structure (RFC 5280 §4.2.1.10, BR §7.1.2.5.2)', () => {
  it('an empty nameConstraints, or empty subtrees, is malformed', () => {
    const host = 'www.example.test'
    const empty = { id: '2.5.29.30', critical: true, value: Buffer.from('3000', 'hex') }
    const emptyPermitted = { id: '2.5.29.30', critical: true, value: Buffer.from('3002a000', 'hex') }
    const bothEmpty = { id: '2.5.29.30', critical: true, value: Buffer.from('3004a000a100', 'hex') }
    for (const ext of [empty, emptyPermitted, bothEmpty]) {
      const ica = createIntermediate(root, { overrides: { extensions: [ext] } })
      expectReason(
        () => verify(issueLeaf(ica, { hosts: [host] }), root),
        'malformed',
        /nameConstraints|GeneralSubtrees/,
      )
    }
  })

  it('a leaf name outside the permitted DNS subtree rejects the chain', () => {
    const ica = constrained({ permitted: ['example.test'] })
    expectReason(
      () => verify(issueLeaf(ica, { hosts: ['www.other.test'] }), root, 'www.other.test'),
      'name_constraints',
    )
  })
})
