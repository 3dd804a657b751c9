/**
 * Certification path building (RFC 4158): depth first from the leaf, at each step trust anchors before the
 * certificates the server sent, candidates whose subjectKeyIdentifier matches the child's
 * authorityKeyIdentifier first. A candidate path that fails validation is abandoned for the next. Every
 * signature check and every step is counted in the chain's VerificationBudget; each (child, issuer)
 * signature is checked at most once.
 */
import type { VerificationBudget } from './budget.js'
import { HINT, TlsCertificateError } from './errors.js'
import type { ParsedCertificate } from './parse.js'
import type { TrustStore } from './roots.js'

/** Paths longer than this many intermediates are not explored (Chrome and Go use similar bounds). */
export const MAX_INTERMEDIATES = 8

const INSECURE_HINT = HINT.insecure

export interface PathSearch {
  readonly leaf: ParsedCertificate
  /** The other certificates the server sent, parsed (unparseable ones left out). */
  readonly pool: readonly ParsedCertificate[]
  readonly store: TrustStore
  /** Names the trust store in messages. */
  readonly source: string
  readonly budget: VerificationBudget
  /** RFC 5280 §6.1 validation of a candidate path that ends at a trust anchor; throws TlsCertificateError. */
  readonly validate: (path: readonly ParsedCertificate[]) => void
}

/**
 * The first valid path, leaf first, trust anchor last.
 * @throws TlsCertificateError: the first failure on a path that reached a trust anchor; otherwise a signature
 *   failure; otherwise 'untrusted'; 'limit_exceeded' as soon as the budget runs out.
 */
export function buildPath(search: PathSearch): ParsedCertificate[] {
  const { leaf, pool, store, budget } = search
  let pathFailure: TlsCertificateError | undefined
  let signatureFailure: TlsCertificateError | undefined
  const failedKeys = new Set<ParsedCertificate>()

  const signedBy = (child: ParsedCertificate, issuer: ParsedCertificate): boolean => {
    if (failedKeys.has(issuer)) return false
    let ok = child.knownSignedBy(issuer)
    if (ok === undefined) {
      // Only signatures actually checked count: results are remembered with the (cached) certificates.
      budget.spend('signatureChecks')
      try {
        ok = child.signedBy(issuer)
      } catch (err) {
        // The issuer's key does not import: that issuer cannot have signed anything.
        if (!(err instanceof TlsCertificateError)) throw err
        failedKeys.add(issuer)
        ok = false
      }
    }
    if (!ok) {
      signatureFailure ??= new TlsCertificateError(
        'bad_signature',
        `certificate "${child.subject}" names "${issuer.subject}" as its issuer but its signature does not verify with that certificate's key (RFC 5280 §6.1.3 (a)(1)); the chain is corrupt or forged — ${HINT.ca}, ${INSECURE_HINT}`,
        child.subject,
      )
    }
    return ok
  }

  const complete = (path: ParsedCertificate[]): boolean => {
    budget.spend('pathValidations')
    try {
      search.validate(path)
      return true
    } catch (err) {
      if (!(err instanceof TlsCertificateError) || err.reason === 'limit_exceeded') throw err
      pathFailure ??= err
      return false
    }
  }

  const visit = (path: ParsedCertificate[]): ParsedCertificate[] | undefined => {
    const cur = path[path.length - 1]!
    // A certificate that is itself a trust anchor ends the path (this covers a trusted leaf).
    if (store.has(cur)) return complete(path) ? path : undefined
    for (const anchor of byKeyId(cur, store.issuersOf(cur))) {
      budget.spend('pathSteps')
      if (path.some((c) => c.der.equals(anchor.der))) continue
      if (!signedBy(cur, anchor)) continue
      const candidate = [...path, anchor]
      if (complete(candidate)) return candidate
    }
    if (path.length - 1 >= MAX_INTERMEDIATES) return undefined
    const issuers = pool.filter((c) => c.subjectDer === cur.issuerDer || c.subjectKey === cur.issuerKey)
    for (const next of byKeyId(cur, issuers)) {
      budget.spend('pathSteps')
      if (path.some((c) => c.der.equals(next.der))) continue
      if (!signedBy(cur, next)) continue
      const found = visit([...path, next])
      if (found) return found
    }
    return undefined
  }

  const found = visit([leaf])
  if (found) return found
  if (pathFailure) throw pathFailure
  if (signatureFailure) throw signatureFailure
  throw new TlsCertificateError(
    'untrusted',
    `certificate "${leaf.subject}" does not chain to a trusted root (RFC 5280 §6.1): no issuer of it or of the intermediates sent (top: "${topIssuer(leaf, pool)}") is in ${search.source}; ${HINT.ca}, ${INSECURE_HINT}`,
    leaf.subject,
  )
}

/** Candidates whose subjectKeyIdentifier equals the child's authorityKeyIdentifier first (RFC 5280 §4.2.1.1). */
function byKeyId(child: ParsedCertificate, candidates: readonly ParsedCertificate[]): readonly ParsedCertificate[] {
  const want = child.authorityKeyIdentifier?.keyIdentifier
  if (!want || candidates.length < 2) return candidates
  const match = (c: ParsedCertificate) => c.subjectKeyIdentifier !== undefined && c.subjectKeyIdentifier.equals(want)
  return [...candidates.filter(match), ...candidates.filter((c) => !match(c))]
}

function topIssuer(leaf: ParsedCertificate, pool: readonly ParsedCertificate[]): string {
  let cur = leaf
  for (let i = 0; i < MAX_INTERMEDIATES; i++) {
    const next = pool.find((c) => c !== cur && !c.der.equals(cur.der) && c.subjectDer === cur.issuerDer)
    if (!next) break
    cur = next
  }
  return cur.issuer
}
