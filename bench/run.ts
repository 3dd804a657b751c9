/**
 * hotconn's performance harness: hot and cold requests, tiles, a real round-trip time, pool scale
 * and memory, against undici + node:tls and the peer clients, all in one run on local origins.
 *
 *   npm run bench                          # full run; writes reports/perf.{md,json} and the SVG charts
 *   npm run bench -- --quick               # short run; prints the report, writes nothing
 *   npm run bench -- --scenario hot,cold   # some scenarios only (hot, tiles, cold, rtt, scale)
 *   hotconn bench [same options]           # the same from the CLI
 *
 * Options: --quick, --scenario <ids>, --no-peers, --no-install, --no-profile, --origin <kind>, --out <dir>,
 * --report-only <perf.json> (re-render perf.md and the charts from a saved result).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import {
  ORIGINS,
  runHarness,
  SCENARIOS,
  type HarnessResult,
  type OriginChoice,
  type ScenarioId,
} from './perf/harness.js'
import { useBuiltLibrary } from './perf/library.js'
import { renderCharts, renderReport } from './perf/report.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

export const BENCH_HELP = `Usage: hotconn bench [options]   (or: npm run bench -- [options])

  --quick               short rounds (about a minute); prints the report, writes nothing unless --out
  --scenario <ids>      comma-separated subset of: ${SCENARIOS.join(', ')} (default: all)
  --no-peers            leave out impit, wreq-js and got-scraping
  --no-install          do not npm-install missing peers into .cache/peers
  --no-profile          no CPU profile where hotconn is slower than undici + node:tls
  --origin <kind>       auto (nginx when installed, else node:https), nginx, or node (default: auto)
  --out <dir>           where perf.md, perf.json and the charts go (default: reports/ for a full run)
  --report-only <json>  re-render perf.md and the charts from a saved perf.json (no measuring)
`

export interface BenchArgs {
  quick: boolean
  scenarios: ScenarioId[]
  peers: boolean
  install: boolean
  profile: boolean
  out: string | undefined
  reportOnly: string | undefined
  origin: OriginChoice
  help: boolean
}

/** Parses the bench options; throws Error with the usage on a bad one. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean', default: false },
      scenario: { type: 'string', multiple: true },
      'no-peers': { type: 'boolean', default: false },
      'no-install': { type: 'boolean', default: false },
      'no-profile': { type: 'boolean', default: false },
      out: { type: 'string' },
      'report-only': { type: 'string' },
      origin: { type: 'string', default: 'auto' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  const ids = (values.scenario ?? [])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean)
  for (const id of ids)
    if (!(SCENARIOS as readonly string[]).includes(id))
      throw new Error(`unknown scenario ${JSON.stringify(id)}; choose from ${SCENARIOS.join(', ')}`)
  const origin = values.origin ?? 'auto'
  if (!(ORIGINS as readonly string[]).includes(origin))
    throw new Error(`unknown origin ${JSON.stringify(origin)}; choose from ${ORIGINS.join(', ')}`)
  return {
    origin: origin as OriginChoice,
    quick: values.quick === true,
    scenarios: ids.length > 0 ? (ids as ScenarioId[]) : [...SCENARIOS],
    peers: values['no-peers'] !== true,
    install: values['no-install'] !== true,
    profile: values['no-profile'] !== true,
    out: values.out,
    reportOnly: values['report-only'],
    help: values.help === true,
  }
}

export async function runBench(argv: readonly string[]): Promise<number> {
  let args: BenchArgs
  try {
    args = parseBenchArgs(argv)
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${BENCH_HELP}`)
    return 2
  }
  if (args.help) {
    process.stdout.write(BENCH_HELP)
    return 0
  }
  const log = (m: string): void => void process.stderr.write(`[bench] ${m}\n`)
  if (args.reportOnly !== undefined) {
    const saved = JSON.parse(readFileSync(args.reportOnly, 'utf8')) as HarnessResult & { command: string }
    const dir = args.out !== undefined ? resolve(args.out) : dirname(resolve(args.reportOnly))
    write(dir, saved, saved.command, false, log)
    return 0
  }
  const out = args.out !== undefined ? resolve(args.out) : args.quick ? undefined : join(ROOT, 'reports')
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`
  const built = await useBuiltLibrary()
  log(`hotconn: the built package (${built.from}/), compiled from this checkout`)
  const result = await runHarness({
    root: ROOT,
    quick: args.quick,
    scenarios: args.scenarios,
    peers: args.peers,
    install: args.install,
    profile: args.profile,
    origin: args.origin,
    profileDir: join(out ?? join(ROOT, 'scratch'), 'perf-profiles'),
    log,
  })
  if (out === undefined) {
    const charts = renderCharts(result)
    process.stdout.write(`${renderReport(result, { command, root: ROOT, chartFiles: [], outDir: ROOT })}\n`)
    log(`charts not written (--quick without --out): ${Object.keys(charts).join(', ')}`)
    return 0
  }
  write(out, result, command, true, log)
  return 0
}

function write(out: string, result: HarnessResult, command: string, withJson: boolean, log: (m: string) => void): void {
  const charts = renderCharts(result)
  const markdown = renderReport(result, { command, root: ROOT, chartFiles: Object.keys(charts), outDir: out })
  mkdirSync(out, { recursive: true })
  for (const [name, svg] of Object.entries(charts)) writeFileSync(join(out, name), svg)
  writeFileSync(join(out, 'perf.md'), `${markdown}\n`)
  if (withJson) {
    // Per-request latencies are kept for the scenarios the charts draw (RTT, sequential hot, cold x25519).
    const slim = {
      ...result,
      load: result.load.map((s) =>
        ['hot-seq', 'cold-x25519'].includes(s.id)
          ? s
          : { ...s, result: { ...s.result, rows: s.result.rows.map((r) => ({ ...r, latenciesMs: [] })) } },
      ),
    }
    writeFileSync(join(out, 'perf.json'), `${JSON.stringify({ command, ...slim })}\n`)
  }
  const files = ['perf.md', ...(withJson ? ['perf.json'] : []), ...Object.keys(charts)]
  log(
    `wrote ${files.map((f) => relative(process.cwd(), join(out, f))).join(', ')}${withJson ? ` in ${result.durationS.toFixed(0)} s` : ''}`,
  )
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runBench(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
      process.exitCode = 1
    },
  )
}
