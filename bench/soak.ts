/**
 * Soak of end-of-stream correctness (issue 16): a HotConnPool against a loopback origin that
 * misbehaves on purpose (test/helpers/faulty-h2-origin.ts), for some minutes per protocol, with a
 * mix of complete and cut responses read through undici's fetch, request and stream. Every body
 * is checked byte for byte against its path. Samples RSS, heap, external memory and active
 * handles (after a GC when run with --expose-gc) and reports the slope after warm-up.
 *
 *   node --expose-gc --import tsx bench/soak.ts [--minutes 5] [--protocols h1,h2] [--concurrency 16] [--out reports/soak.md]
 *     [--mix fault=weight,…]   (replaces the fault mix, e.g. close-after=10)
 *     [--origin-process]       (the origin in a child process: a crash then names its side)
 *
 * Not run by `npm test`. Writes reports/soak.md (or --out; `--out -` prints only): the sections of
 * the protocols it ran are replaced, the others (another run's protocol, notes) kept.
 * With --origin-process, a death of the origin process is counted and named in its section.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { HotConnPool } from '../src/pool/index.js'
import { bodyFor, startFaultyOrigin, type FaultyOrigin } from '../test/helpers/faulty-h2-origin.js'
import { readBody } from '../test/helpers/read-body.js'
import { originProcess, type OriginExit } from './lib/soak-origin-process.js'
import { composeReport, section, verdict, type Protocol, type Sample, type Tally } from './lib/soak-report.js'

/** Faults after which the response must be complete and right. */
const COMPLETE = new Set([
  'ok',
  'close-ok',
  'chunked-ok',
  'garbage',
  'goaway-below',
  'close-after',
  'rst-before-refused_stream',
])

/** Weights of each fault per protocol (the rest of 100 is `ok`). */
const MIX: Record<Protocol, Record<string, number>> = {
  h1: {
    'close-ok': 5,
    'chunked-ok': 5,
    'cut-reset': 2,
    'cut-fin': 2,
    short: 2,
    'short-now': 2,
    'close-reset': 2,
    'close-fin': 2,
    'chunked-reset': 2,
    'chunked-fin': 2,
    garbage: 1,
  },
  h2: {
    'goaway-below': 2,
    'close-after': 3,
    'rst-before-refused_stream': 2,
    'cut-reset': 1,
    'cut-fin': 1,
    'rst-before-no_error': 2,
    'rst-before-internal_error': 2,
    'rst-after-no_error': 1,
    'rst-after-internal_error': 1,
    'rst-after-refused_stream': 1,
    'rst-with-headers': 2,
    short: 2,
    long: 2,
  },
}
const SIZES = [1_000, 8_000, 30_000, 120_000]
const HANG_MS = 20_000

function codeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } }
  const code = typeof e.code === 'string' ? e.code : e.cause?.code
  return typeof code === 'string' ? code : undefined
}

function pickFault(protocol: Protocol, r: number): string {
  let acc = 0
  for (const [fault, w] of Object.entries(MIX[protocol])) {
    acc += w
    if (r < acc) return fault
  }
  return 'ok'
}

function sample(startedAt: number): Sample {
  ;(globalThis as { gc?: () => void }).gc?.()
  const m = process.memoryUsage()
  return {
    atMin: (performance.now() - startedAt) / 60_000,
    rssMb: m.rss / 2 ** 20,
    heapMb: m.heapUsed / 2 ** 20,
    externalMb: m.external / 2 ** 20,
    handles: process.getActiveResourcesInfo().length,
  }
}

async function soak(protocol: Protocol, origin: FaultyOrigin, minutes: number, concurrency: number): Promise<Tally> {
  const h2 = protocol === 'h2'
  const pool = new HotConnPool({
    ca: origin.caPem,
    http2: { enabled: h2 },
    pool: {
      warmConnsPerIp: 2,
      maxConnsPerHost: 8,
      maxConnections: 16,
      maxIdleConns: 8,
      headersTimeoutMs: 10_000,
      bodyTimeoutMs: 10_000,
    },
    resolver: {
      resolve: async () => ({ addresses: [{ address: origin.ip, family: 4, ttlMs: 60_000 }], minTtlMs: 60_000 }),
    },
  })
  const t: Tally = {
    requests: 0,
    right: 0,
    wrong: [],
    hung: [],
    cut: new Map(),
    collateral: new Map(),
    timedOut: [],
    uncoded: [],
    samples: [],
    seconds: 0,
    handlesAfterClose: 0,
    durations: [],
    slowest: new Map(),
  }
  const startedAt = performance.now()
  const endAt = startedAt + minutes * 60_000
  const sampler = setInterval(() => t.samples.push(sample(startedAt)), 5_000)
  let seq = 0
  const one = async (): Promise<void> => {
    const id = seq++
    const fault = pickFault(protocol, Math.random() * 100)
    const size = SIZES[id % SIZES.length]!
    const api = (['fetch', 'request', 'stream'] as const)[id % 3]!
    const slow = id % 5 === 0
    const path = `/${fault}/${size}/${protocol}-${api}-${id}`
    t.requests++
    const began = performance.now()
    let timer: NodeJS.Timeout | undefined
    const hang = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), HANG_MS)))
    const outcome = await Promise.race([
      readBody(api, pool, origin.url(h2, path), slow).then(
        (body) => ({ body }),
        (err: unknown) => ({ err }),
      ),
      hang,
    ]).finally(() => clearTimeout(timer))
    const ms = performance.now() - began
    t.durations.push(ms)
    t.slowest.set(fault, Math.max(t.slowest.get(fault) ?? 0, ms))
    if (outcome === 'hung') {
      t.hung.push(`${api} ${path}`)
      return
    }
    const complete = COMPLETE.has(fault)
    if ('body' in outcome) {
      if (complete && outcome.body.equals(bodyFor(path, size))) t.right++
      else t.wrong.push(`${api} ${path}: ${outcome.body.length} bytes`)
      return
    }
    const code = codeOf(outcome.err)
    if (code === undefined) {
      t.uncoded.push(`${api} ${path}: ${String(outcome.err)}`)
      return
    }
    if (complete && /TIMEOUT/.test(code))
      t.timedOut.push(`${api}${slow ? ' (slow reader)' : ''} ${path}: ${code} after ${Math.round(ms)} ms`)
    const into = complete ? t.collateral : t.cut
    const key = complete ? `${code} (${fault})` : code
    into.set(key, (into.get(key) ?? 0) + 1)
  }
  const worker = async (): Promise<void> => {
    while (performance.now() < endAt) await one()
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  clearInterval(sampler)
  t.seconds = (performance.now() - startedAt) / 1000
  await pool.close()
  await sleep(2_000)
  t.handlesAfterClose = process.getActiveResourcesInfo().length
  if (process.env['SOAK_HANDLES']) console.error(process.getActiveResourcesInfo())
  return t
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '5' },
      protocols: { type: 'string', default: 'h1,h2' },
      concurrency: { type: 'string', default: '16' },
      out: { type: 'string', default: 'reports/soak.md' },
      mix: { type: 'string' },
      'origin-process': { type: 'boolean', default: false },
    },
  })
  // --mix fault=weight,… replaces the fault mix of every protocol (to look at one fault alone).
  if (values.mix !== undefined) {
    const mix = Object.fromEntries(values.mix.split(',').map((kv) => [kv.split('=')[0]!, Number(kv.split('=')[1])]))
    MIX.h1 = mix
    MIX.h2 = mix
  }
  const minutes = Number(values.minutes)
  const concurrency = Number(values.concurrency)
  const protocols = values.protocols.split(',') as Protocol[]
  if (!(minutes > 0) || !(concurrency >= 1) || protocols.some((p) => p !== 'h1' && p !== 'h2'))
    throw new Error('usage: bench/soak.ts [--minutes N] [--protocols h1,h2] [--concurrency N] [--out FILE|-]')
  const inChild = values['origin-process']
  const child = inChild ? await originProcess() : undefined
  const origin = child ?? (await startFaultyOrigin('127.0.0.1'))
  const args = process.argv.slice(2).filter((a, i, all) => a !== '--out' && all[i - 1] !== '--out')
  const fresh = new Map<Protocol, string>()
  for (const p of protocols) {
    const baseline = process.getActiveResourcesInfo().length
    console.error(`soak ${p}: ${minutes} min at concurrency ${concurrency}`)
    const began = performance.now()
    const t = await soak(p, origin, minutes, concurrency)
    const died = (child?.exits ?? []).filter((e) => e.at >= began)
    const where = inChild
      ? `the origin in a child process, ${originFate(died, began)}.`
      : 'the origin in the same process.'
    fresh.set(
      p,
      section(
        {
          protocol: p,
          command: ['node --expose-gc --import tsx bench/soak.ts', ...args].join(' '),
          origin: where,
          clientOnly: inChild,
          mix: MIX[p],
          hangMs: HANG_MS,
          baselineHandles: baseline,
          gc: (globalThis as { gc?: unknown }).gc !== undefined,
        },
        t,
      ),
    )
    console.error(verdict(p, t))
  }
  await origin.close()
  if (values.out === '-') console.log(composeReport(fresh, undefined))
  else {
    writeFileSync(
      values.out,
      composeReport(fresh, existsSync(values.out) ? readFileSync(values.out, 'utf8') : undefined),
    )
    console.error(`wrote ${values.out}`)
  }
}

/** What became of the origin process during one protocol's soak. */
function originFate(died: OriginExit[], began: number): string {
  if (died.length === 0) return 'which served to the end without a crash'
  const e = died[0]!
  return `which **died** ${((e.at - began) / 60_000).toFixed(1)} min in (${
    e.signal ?? `exit code ${e.code}`
  }); every request after that failed with a code`
}

await main()
