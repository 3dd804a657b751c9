/**
 * Runs every x509-limbo SERVER case with a DNS/IP peer name in a child process with a watchdog: a case that
 * has not finished after `HANG_MS` is recorded as a hang, the process is killed and a new one goes on with
 * the next case.
 */
import { fork } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { loadServerCases, optionalFeaturesOf, type LimboCase } from './cases.js'
import type { CaseOutcome } from './worker.js'

/**
 * A case still running after this long is a hang: 200 times the per-case target of 50 ms, so that a loaded
 * machine (other test runs on the same two cores) cannot pass for one.
 */
export const HANG_MS = 10_000

// The worker is TypeScript: run it with tsx's loader.
const TSX_LOADER = pathToFileURL(
  join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/loader.mjs'),
).href
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url))

export interface CaseResult {
  readonly id: string
  readonly family: string
  readonly description: string
  readonly conflictsWith: readonly string[]
  readonly optional: readonly string[]
  readonly expected: 'SUCCESS' | 'FAILURE'
  readonly actual: 'SUCCESS' | 'FAILURE' | 'CRASH' | 'HANG'
  readonly reason: string | undefined
  readonly message: string | undefined
  readonly ms: number
  readonly firstMs: number
}

export async function runLimbo(path: string): Promise<CaseResult[]> {
  const cases = loadServerCases(path)
  const outcomes: (CaseOutcome | { actual: 'HANG'; ms: number; firstMs: number })[] = []
  let start = 0
  while (start < cases.length) {
    const hungAt = await runWorker(path, start, (o) => (outcomes[o.index] = o))
    if (hungAt === undefined) break
    outcomes[hungAt] = { actual: 'HANG', ms: HANG_MS, firstMs: HANG_MS }
    start = hungAt + 1
  }
  return cases.map((t, i) => toResult(t, outcomes[i]))
}

/** Resolves with the index of the case that hung, or undefined when the worker ran to the end. */
function runWorker(path: string, start: number, onCase: (o: CaseOutcome) => void): Promise<number | undefined> {
  const child = fork(WORKER, [path, String(start)], {
    execArgv: ['--import', TSX_LOADER, '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    let next = start
    let finished = false
    let timer: NodeJS.Timeout | undefined
    const arm = () => {
      clearTimeout(timer)
      timer = setTimeout(() => {
        finished = true
        child.kill('SIGKILL')
        resolve(next)
      }, HANG_MS)
    }
    child.on('message', (m: CaseOutcome | { type: 'ready' | 'done' }) => {
      if (m.type === 'ready') arm()
      else if (m.type === 'case') {
        onCase(m)
        next = m.index + 1
        arm()
      } else if (m.type === 'done') {
        finished = true
        clearTimeout(timer)
        resolve(undefined)
      }
    })
    child.on('error', (err) => {
      clearTimeout(timer)
      if (!finished) reject(err)
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (!finished) reject(new Error(`limbo worker exited (${signal ?? code}) at case ${next}`))
    })
  })
}

function toResult(
  t: LimboCase,
  o: CaseOutcome | { actual: 'HANG'; ms: number; firstMs: number } | undefined,
): CaseResult {
  if (!o) throw new Error(`case ${t.id} produced no outcome`)
  return {
    id: t.id,
    family: familyOf(t.id),
    description: t.description,
    conflictsWith: t.conflicts_with ?? [],
    optional: optionalFeaturesOf(t),
    expected: t.expected_result,
    actual: o.actual,
    reason: 'reason' in o ? o.reason : undefined,
    message: 'message' in o ? o.message : undefined,
    ms: o.ms,
    firstMs: o.firstMs,
  }
}

/** "rfc5280::nc::foo" -> "rfc5280::nc"; "pathlen::foo" -> "pathlen". */
export function familyOf(id: string): string {
  const parts = id.split('::')
  return parts.length > 2 ? parts.slice(0, 2).join('::') : parts[0]!
}
