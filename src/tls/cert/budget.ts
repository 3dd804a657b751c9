/**
 * Bounds on the work one verification may do, so that no chain a server sends can hold the event loop for
 * more than a few milliseconds (the same kind of caps as Go's crypto/x509 and rustls-webpki). Going over a
 * cap rejects the chain with TlsCertificateError('limit_exceeded').
 */
import { TlsCertificateError } from './errors.js'

/**
 * The caps. The hardest valid chains of x509-limbo (BetterTLS path building: 35 intermediates, cross-signs)
 * need 11 signature checks, 18 steps and 5 full validations; real chains need fewer.
 */
export const LIMITS = {
  /** Signature verifications per chain (Go and rustls-webpki: 100; each costs 0.05–1 ms here). */
  signatureChecks: 24,
  /** Candidate issuers considered while building paths. */
  pathSteps: 256,
  /** Name-versus-subtree comparisons per chain (Go and rustls-webpki: 250,000), counted before any is made. */
  nameConstraintComparisons: 100_000,
  /** Candidate paths that reach a trust anchor and are validated in full. */
  pathValidations: 16,
} as const

export type BudgetKind = keyof typeof LIMITS

const WHAT: Record<BudgetKind, string> = {
  signatureChecks: 'signature checks',
  pathSteps: 'path-building steps',
  nameConstraintComparisons: 'name-constraint comparisons',
  pathValidations: 'candidate paths',
}

export class VerificationBudget {
  private readonly used: Record<BudgetKind, number> = {
    signatureChecks: 0,
    pathSteps: 0,
    nameConstraintComparisons: 0,
    pathValidations: 0,
  }

  /** Spends `n` units of `kind`; throws TlsCertificateError('limit_exceeded') past the cap. */
  spend(kind: BudgetKind, n = 1): void {
    this.used[kind] += n
    if (this.used[kind] > LIMITS[kind]) {
      throw new TlsCertificateError(
        'limit_exceeded',
        `the server's certificate chain needs more than ${LIMITS[kind]} ${WHAT[kind]} to verify; hotconn stops there so a hostile chain cannot stall the process (like Go's crypto/x509 and rustls-webpki). The server must send a simpler chain`,
      )
    }
  }

  spent(kind: BudgetKind): number {
    return this.used[kind]
  }
}
