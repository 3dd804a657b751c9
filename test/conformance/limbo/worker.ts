/**
 * Runs x509-limbo cases through the verifier, one after the other, in a worker thread so that the parent can
 * stop a case that hangs. Posts `{ type: 'ready' }` once the suite is loaded, then one `CaseOutcome` per case.
 *
 * workerData: `{ path, start }`: the suite file and the index of the first case to run (after a hang the
 * parent restarts the worker past the case that hung).
 */
import { performance } from 'node:perf_hooks'
import { parentPort, workerData } from 'node:worker_threads'
import { TlsCertificateError } from '../../../src/tls/cert/errors.js'
import { verifyServerCertificateChain } from '../../../src/tls/cert/verify.js'
import { loadServerCases, pemToDer, type LimboCase } from './cases.js'

export interface CaseOutcome {
  readonly type: 'case'
  readonly index: number
  readonly actual: 'SUCCESS' | 'FAILURE' | 'CRASH'
  /** TlsCertificateError reason, or the class name of whatever else was thrown. */
  readonly reason?: string
  readonly message?: string
  /** Event-loop time of the verification (parsing DER included, PEM decoding excluded). */
  readonly ms: number
}

const WARM_UP_CASES = 20

function runCase(t: LimboCase): Omit<CaseOutcome, 'type' | 'index'> {
  const chain = [pemToDer(t.peer_certificate), ...t.untrusted_intermediates.map(pemToDer)]
  const ca = t.trusted_certs.map(pemToDer)
  const now = t.validation_time === null ? undefined : new Date(t.validation_time)
  const host = t.expected_peer_name!.value
  const started = performance.now()
  try {
    verifyServerCertificateChain(chain, { host, ca, ...(now ? { now } : {}) })
    return { actual: 'SUCCESS', ms: performance.now() - started }
  } catch (err) {
    const ms = performance.now() - started
    if (err instanceof TlsCertificateError) return { actual: 'FAILURE', reason: err.reason, message: err.message, ms }
    const e = err as Error
    return { actual: 'CRASH', reason: e?.constructor?.name ?? typeof err, message: String(e?.stack ?? err), ms }
  }
}

const { path, start } = workerData as { path: string; start: number }
const cases = loadServerCases(path)
// JIT warm-up on a few ordinary cases, so the first timed case does not pay for compiling the verifier.
if (start === 0) for (const t of cases.slice(0, WARM_UP_CASES)) runCase(t)
parentPort!.postMessage({ type: 'ready', total: cases.length })
for (let index = start; index < cases.length; index++) {
  parentPort!.postMessage({ type: 'case', index, ...runCase(cases[index]!) } satisfies CaseOutcome)
}
parentPort!.postMessage({ type: 'done' })
