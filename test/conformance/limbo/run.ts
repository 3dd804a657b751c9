/**
 * Runs every x509-limbo SERVER case with a DNS/IP peer name in a worker thread with a watchdog: a case that
 * has not finished after `HANG_MS` is recorded as a hang, the worker is terminated and a new one goes on
 * with the next case.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { loadServerCases, optionalFeaturesOf, type LimboCase } from './cases.js'
import type { CaseOutcome } from './worker.js'

/** A case still running after this long is a hang (the target is 50 ms; nothing legitimate comes close). */
export const HANG_MS = 2_000

// The worker is TypeScript: load it through tsx's API (worker threads take no --import loader of their own).
const TSX_API = pathToFileURL(
  join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs'),
).href
const WORKER = new URL('./worker.ts', import.meta.url).href
const BOOTSTRAP = `import(${JSON.stringify(TSX_API)}).then((api) => api.tsImport(${JSON.stringify(WORKER)}, ${JSON.stringify(WORKER)}))`

export interface CaseResult {
  readonly id: string
  readonly family: string
  readonly description: string
  readonly optional: readonly string[]
  readonly expected: 'SUCCESS' | 'FAILURE'
  readonly actual: 'SUCCESS' | 'FAILURE' | 'CRASH' | 'HANG'
  readonly reason: string | undefined
  readonly message: string | undefined
  readonly ms: number
}

export async function runLimbo(path: string): Promise<CaseResult[]> {
  const cases = loadServerCases(path)
  const outcomes: (CaseOutcome | { actual: 'HANG'; ms: number })[] = []
  let start = 0
  while (start < cases.length) {
    const hungAt = await runWorker(path, start, (o) => (outcomes[o.index] = o))
    if (hungAt === undefined) break
    outcomes[hungAt] = { actual: 'HANG', ms: HANG_MS }
    start = hungAt + 1
  }
  return cases.map((t, i) => toResult(t, outcomes[i]))
}

/** Resolves with the index of the case that hung, or undefined when the worker ran to the end. */
function runWorker(path: string, start: number, onCase: (o: CaseOutcome) => void): Promise<number | undefined> {
  const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { path, start } })
  return new Promise((resolve, reject) => {
    let next = start
    let timer: NodeJS.Timeout | undefined
    const arm = () => {
      clearTimeout(timer)
      timer = setTimeout(() => {
        worker.removeAllListeners()
        void worker.terminate()
        resolve(next)
      }, HANG_MS)
    }
    worker.on('message', (m: CaseOutcome | { type: 'ready' | 'done' }) => {
      if (m.type === 'ready') arm()
      else if (m.type === 'case') {
        onCase(m)
        next = m.index + 1
        arm()
      } else if (m.type === 'done') {
        clearTimeout(timer)
        void worker.terminate()
        resolve(undefined)
      }
    })
    worker.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    worker.on('exit', (code) => {
      clearTimeout(timer)
      if (code !== 0) reject(new Error(`limbo worker exited with code ${code} at case ${next}`))
    })
  })
}

function toResult(t: LimboCase, o: CaseOutcome | { actual: 'HANG'; ms: number } | undefined): CaseResult {
  if (!o) throw new Error(`case ${t.id} produced no outcome`)
  return {
    id: t.id,
    family: familyOf(t.id),
    description: t.description,
    optional: optionalFeaturesOf(t),
    expected: t.expected_result,
    actual: o.actual,
    reason: 'reason' in o ? o.reason : undefined,
    message: 'message' in o ? o.message : undefined,
    ms: o.ms,
  }
}

/** "rfc5280::nc::foo" -> "rfc5280::nc"; "pathlen::foo" -> "pathlen". */
export function familyOf(id: string): string {
  const parts = id.split('::')
  return parts.length > 2 ? parts.slice(0, 2).join('::') : parts[0]!
}
