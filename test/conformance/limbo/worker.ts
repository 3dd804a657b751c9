/**
 * Runs x509-limbo cases through the verifier, one after the other, in a child process so that the parent can
 * stop a case that hangs and so that the process's CPU time is the verifier's. Sends `{ type: 'ready' }` over
 * IPC once the suite is loaded, then one `CaseOutcome` per case, then `{ type: 'done' }`.
 *
 * argv: the suite file and the index of the first case to run (after a hang the parent starts a new process
 * past the case that hung).
 */
import { performance } from 'node:perf_hooks'
import { TlsCertificateError } from '../../../src/tls/cert/errors.js'
import { clearCertificateCache } from '../../../src/tls/cert/parse.js'
import { verifyServerCertificateChain } from '../../../src/tls/cert/verify.js'
import { loadServerCases, pemToDer, type LimboCase } from './cases.js'

export interface CaseOutcome {
  readonly type: 'case'
  readonly index: number
  readonly actual: 'SUCCESS' | 'FAILURE' | 'CRASH'
  /** TlsCertificateError reason, or the class name of whatever else was thrown. */
  readonly reason?: string
  readonly message?: string
  /** Wall-clock time of the first verification (parsing DER included, PEM decoding excluded). */
  readonly firstMs: number
  /** The least of up to three runs (a case whose first run took over RERUN_MS is run twice more). */
  readonly ms: number
}

/** Cases slower than this on their first run are timed twice more, to tell their cost from a busy machine. */
const RERUN_MS = 5

const WARM_UP_CASES = 20

function runCase(t: LimboCase): Omit<CaseOutcome, 'type' | 'index'> {
  const chain = [pemToDer(t.peer_certificate), ...t.untrusted_intermediates.map(pemToDer)]
  const ca = t.trusted_certs.map(pemToDer)
  const now = t.validation_time === null ? undefined : new Date(t.validation_time)
  const host = t.expected_peer_name!.value
  const once = () => {
    // Every run starts cold: no certificate of the case cached, its trust anchors parsed again.
    clearCertificateCache()
    const anchors = [...ca]
    const started = performance.now()
    try {
      verifyServerCertificateChain(chain, { host, ca: anchors, ...(now ? { now } : {}) })
      return { ms: performance.now() - started, err: undefined }
    } catch (err) {
      return { ms: performance.now() - started, err }
    }
  }
  const first = once()
  let ms = first.ms
  for (let i = 0; i < 2 && ms > RERUN_MS; i++) ms = Math.min(ms, once().ms)
  const err = first.err
  const times = { firstMs: first.ms, ms }
  if (err === undefined) return { actual: 'SUCCESS', ...times }
  if (err instanceof TlsCertificateError)
    return { actual: 'FAILURE', reason: err.reason, message: err.message, ...times }
  const e = err as Error
  return { actual: 'CRASH', reason: e?.constructor?.name ?? typeof err, message: String(e?.stack ?? err), ...times }
}

const send = (m: object) => process.send!(m)
const [path, startText] = process.argv.slice(2) as [string, string]
const start = Number(startText)
const cases = loadServerCases(path)
// JIT warm-up on a few ordinary cases, so the first timed case does not pay for compiling the verifier.
if (start === 0) for (const t of cases.slice(0, WARM_UP_CASES)) runCase(t)
// Collect the garbage of loading the 41 MB suite, and then every few cases, outside the timed calls, so that a
// collection of the harness's own garbage is not billed to whichever case happens to trigger it.
const gc = (globalThis as { gc?: () => void }).gc
gc?.()
send({ type: 'ready', total: cases.length })
for (let index = start; index < cases.length; index++) {
  if (index % 50 === 0) gc?.()
  send({ type: 'case', index, ...runCase(cases[index]!) } satisfies CaseOutcome)
}
send({ type: 'done' })
process.disconnect()
