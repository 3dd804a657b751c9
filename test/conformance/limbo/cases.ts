/**
 * x509-limbo (C2SP's X.509 path-validation conformance suite): where the compiled suite lives, which of its
 * cases a TLS client applies, and how one case runs through `verifyServerCertificateChain`.
 *
 * The suite is read in place, never copied into the repository: `HOTCONN_X509_LIMBO` names the file, otherwise
 * `../shared/conformance/x509-limbo/limbo.json.gz` relative to the repository root.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

/** Features the suite marks as optional for a verifier (its README); cases with one are reported apart. */
export const OPTIONAL_FEATURES: ReadonlySet<string> = new Set([
  'pedantic-rfc5280',
  'pedantic-serial-number',
  'pedantic-webpki-eku',
  'pedantic-public-suffix-wildcard',
  'pedantic-webpki-subscriber-key',
  'has-crl',
  'max-chain-depth',
  'name-constraint-dn',
  'has-policy-constraints',
  'rfc5280-incompatible-with-webpki',
])

/** One test case, as the suite's schema (x509-limbo.com) has it; only the fields used here. */
export interface LimboCase {
  readonly id: string
  /** Cases that test the same chain with the opposite expectation (an RFC 5280 reading versus the web PKI's). */
  readonly conflicts_with: readonly string[]
  readonly features: readonly string[] | null
  readonly description: string
  readonly validation_kind: 'SERVER' | 'CLIENT'
  readonly trusted_certs: readonly string[]
  readonly untrusted_intermediates: readonly string[]
  readonly peer_certificate: string
  readonly validation_time: string | null
  readonly expected_peer_name: { readonly kind: 'DNS' | 'IP' | 'RFC822'; readonly value: string } | null
  readonly expected_result: 'SUCCESS' | 'FAILURE'
}

/** Where the suite is expected, and whether it is there. */
export function limboPath(): { path: string; present: boolean } {
  const path =
    process.env['HOTCONN_X509_LIMBO'] || resolve(PROJECT_ROOT, '../shared/conformance/x509-limbo/limbo.json.gz')
  return { path, present: existsSync(path) }
}

/** Every SERVER case with a DNS or IP peer name: what a TLS client verifies. */
export function loadServerCases(path: string): LimboCase[] {
  const suite = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as { testcases: LimboCase[] }
  return suite.testcases.filter(
    (t) =>
      t.validation_kind === 'SERVER' && (t.expected_peer_name?.kind === 'DNS' || t.expected_peer_name?.kind === 'IP'),
  )
}

export function optionalFeaturesOf(t: Pick<LimboCase, 'features'>): string[] {
  return (t.features ?? []).filter((f) => OPTIONAL_FEATURES.has(f))
}

/** DER bytes of one PEM certificate. */
export function pemToDer(pem: string): Buffer {
  const body = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem)
  if (!body) throw new Error('no PEM certificate block')
  return Buffer.from(body[1]!.replace(/\s+/g, ''), 'base64')
}
