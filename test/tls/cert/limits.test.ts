/**
 * Bounded work (src/tls/cert/budget.ts) and typed errors: hostile chains made by the test PKI end in
 * TlsCertificateError('limit_exceeded') after a bounded number of operations, and mutated certificates end in
 * a TlsCertificateError, never in another error.
 */
import { describe, expect, it } from 'vitest'
import { LIMITS, VerificationBudget } from '../../../src/tls/cert/budget.js'
import { TlsCertificateError } from '../../../src/tls/cert/errors.js'
import { verifyServerCertificateChain } from '../../../src/tls/cert/verify.js'
import { createCA, createIntermediate, issueLeaf } from '../../../src/testing/pki.js'
import { prng } from '../../helpers/prng.js'
import { expectReason, verify } from './helpers.js'

/** Counts what one verification spends. */
function spending(fn: () => unknown): Record<string, number> {
  const seen: Record<string, number> = {}
  const original = VerificationBudget.prototype.spend
  VerificationBudget.prototype.spend = function (this: VerificationBudget, kind, n = 1) {
    seen[kind] = (seen[kind] ?? 0) + n
    return original.call(this, kind, n)
  }
  try {
    fn()
  } catch {
    // the caller checks the outcome separately
  } finally {
    VerificationBudget.prototype.spend = original
  }
  return seen
}

describe('bounded work', () => {
  it('name constraints x names over the cap are refused before any comparison', () => {
    const names = Array.from({ length: 400 }, (_, i) => `h${i}.example.test`)
    const subtrees = Array.from({ length: 300 }, (_, i) => `s${i}.example.test`)
    const root = createCA({ nameConstraints: { excluded: subtrees } })
    const leaf = issueLeaf(root, { hosts: names })
    expect(names.length * subtrees.length).toBeGreaterThan(LIMITS.nameConstraintComparisons)
    expectReason(() => verify(leaf, root, 'h1.example.test'), 'limit_exceeded', /name-constraint comparisons/)
  })

  it('just under the cap the same shape is checked in full', () => {
    const names = Array.from({ length: 100 }, (_, i) => `h${i}.example.test`)
    const root = createCA({ nameConstraints: { excluded: Array.from({ length: 900 }, (_, i) => `s${i}.other.test`) } })
    const leaf = issueLeaf(root, { hosts: names })
    expect(verify(leaf, root, 'h1.example.test').path).toHaveLength(2)
  })

  it('a pool of look-alike intermediates (same name, same key) stops at the signature-check cap', () => {
    const root = createCA({ name: 'Loop Root' })
    const base = createIntermediate(root, { name: 'Loop CA' })
    // 40 certificates that all claim to be "Loop CA", each issued by another "Loop CA" with the same key:
    // every one verifies as the issuer of every other, so path building could go on for ever.
    const clones = Array.from({ length: 40 }, () => createIntermediate(base, { name: 'Loop CA', keyOf: base }))
    const leaf = issueLeaf(clones[0]!, { hosts: ['www.example.test'] })
    const stranger = createCA({ name: 'Elsewhere' })
    const chain = [leaf.certDer, ...clones.map((c) => c.certDer)]
    const spent = spending(() =>
      verifyServerCertificateChain(chain, { host: 'www.example.test', ca: stranger.certPem }),
    )
    expect(spent['signatureChecks'] ?? 0).toBeLessThanOrEqual(LIMITS.signatureChecks + 1)
    expect(spent['pathSteps'] ?? 0).toBeLessThanOrEqual(LIMITS.pathSteps + 1)
    let err: unknown
    try {
      verifyServerCertificateChain(chain, { host: 'www.example.test', ca: stranger.certPem })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(TlsCertificateError)
    expect((err as TlsCertificateError).reason).toBe('limit_exceeded')
  })

  it('an ordinary chain spends a handful of operations', () => {
    const root = createCA()
    const leaf = issueLeaf(createIntermediate(createIntermediate(root)), { hosts: ['www.example.test'] })
    const spent = spending(() => verify(leaf, root))
    expect(spent['signatureChecks']).toBe(3)
    expect(spent['pathValidations']).toBe(1)
    // The same chain again (every handshake to that host): parsed certificates and checked signatures are reused.
    expect(spending(() => verify(leaf, root))['signatureChecks'] ?? 0).toBe(0)
  })
})

describe('typed errors on mutated certificates', () => {
  it('3,000 byte-level mutations of a chain end in success or TlsCertificateError only', () => {
    const root = createCA()
    const int = createIntermediate(root, { nameConstraints: { permitted: ['example.test', '10.0.0.0/8'] } })
    const leaf = issueLeaf(int, { hosts: ['www.example.test', '10.0.0.1'] })
    const rand = prng(13)
    const others: string[] = []
    for (let i = 0; i < 3_000; i++) {
      const chain = leaf.chainDer.map((d) => Buffer.from(d))
      const target = chain[Math.floor(rand() * chain.length)]!
      const flips = 1 + Math.floor(rand() * 4)
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(rand() * target.length)
        const mode = rand()
        if (mode < 0.6) target[at] = Math.floor(rand() * 256)
        else if (mode < 0.8) target[at] = target[at]! ^ 0x80
        else target[at] = 0
      }
      try {
        verifyServerCertificateChain(chain, { host: 'www.example.test', ca: root.certPem })
      } catch (err) {
        if (!(err instanceof TlsCertificateError)) others.push(`${i}: ${String(err)}`)
      }
    }
    expect(others).toEqual([])
  })

  it('truncated certificates end in malformed', () => {
    const root = createCA()
    const leaf = issueLeaf(root, { hosts: ['www.example.test'] })
    for (const cut of [1, 2, 10, 100, leaf.certDer.length - 1]) {
      expectReason(
        () =>
          verifyServerCertificateChain([leaf.certDer.subarray(0, cut)], { host: 'www.example.test', ca: root.certPem }),
        'malformed',
      )
    }
  })
})
