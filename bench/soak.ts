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
 * Not run by `npm test`. Writes reports/soak.md (or --out; `--out -` prints only).
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { HotConnPool } from '../src/pool/index.js'
import { bodyFor, startFaultyOrigin, type FaultyOrigin } from '../test/helpers/faulty-h2-origin.js'
import { readBody } from '../test/helpers/read-body.js'

/** Where the origin runs, for the report. */
const WHERE = { origin: 'the origin runs in the same process', short: 'in the same process' }

type Api = 'fetch' | 'request' | 'stream'
type Protocol = 'h1' | 'h2'

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

interface Sample {
  atMin: number
  rssMb: number
  heapMb: number
  externalMb: number
  handles: number
}

interface Tally {
  requests: number
  right: number
  wrong: string[]
  hung: string[]
  /** Cut responses that failed, by code (what must happen). */
  cut: Map<string, number>
  /** Complete responses that failed anyway, by code (broken by another request's fault on the connection). */
  collateral: Map<string, number>
  uncoded: string[]
  samples: Sample[]
  seconds: number
  handlesAfterClose: number
  /** Duration of each request (ms), and the slowest per fault. */
  durations: number[]
  slowest: Map<string, number>
}

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

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length
  if (n < 2) return 0
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my)
    den += (xs[i]! - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

const f1 = (n: number): string => n.toFixed(1)
function pct(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0)
}
const f2 = (n: number): string => (Math.abs(n) < 0.005 ? '0.00' : n.toFixed(2))
const codes = (m: Map<string, number>): string =>
  m.size === 0
    ? 'none'
    : [...m]
        .sort((a, b) => b[1] - a[1])
        .map(([c, n]) => `${c} ${n}`)
        .join(', ')

function section(protocol: Protocol, t: Tally, baselineHandles: number): string {
  const warm = t.samples.filter((s) => s.atMin >= t.seconds / 60 / 4)
  const xs = warm.map((s) => s.atMin)
  const first = warm[0]
  const last = warm[warm.length - 1]
  const row = (name: string, key: 'rssMb' | 'heapMb' | 'externalMb'): string =>
    `| ${name} | ${first ? f1(first[key]) : '-'} | ${last ? f1(last[key]) : '-'} | ${f2(
      slope(
        xs,
        warm.map((s) => s[key]),
      ),
    )} |`
  const handles = warm.map((s) => s.handles)
  const cutTotal = [...t.cut.values()].reduce((a, b) => a + b, 0)
  const collateralTotal = [...t.collateral.values()].reduce((a, b) => a + b, 0)
  return [
    `## ${protocol === 'h1' ? 'HTTP/1.1' : 'HTTP/2'}`,
    '',
    `${t.requests} requests in ${f1(t.seconds / 60)} min (${f1(t.requests / t.seconds)}/s), faults: ${Object.entries(
      MIX[protocol],
    )
      .map(([f, w]) => `${f} ${w} %`)
      .join(', ')}, the rest \`ok\`.`,
    '',
    '| outcome | count |',
    '| --- | ---: |',
    `| complete and byte-for-byte right | ${t.right} |`,
    `| **wrong body** (a cut response as success, or bytes that differ) | **${t.wrong.length}** |`,
    `| **hung** (no outcome within ${HANG_MS / 1000} s) | **${t.hung.length}** |`,
    `| **error without a code** | **${t.uncoded.length}** |`,
    `| cut response, error with a code | ${cutTotal} (${codes(t.cut)}) |`,
    `| complete response broken by another request's fault on its connection, error with a code | ${collateralTotal} (${codes(t.collateral)}) |`,
    '',
    `Request duration: p50 ${pct(t.durations, 0.5)} ms, p99 ${pct(t.durations, 0.99)} ms, max ${pct(t.durations, 1)} ms; slowest by fault: ${[
      ...t.slowest,
    ]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([f, ms]) => `${f} ${Math.round(ms)} ms`)
      .join(', ')}.`,
    '',
    `Memory after warm-up (the first quarter of the run dropped: ${warm.length} samples every 5 s from minute ${
      first ? f1(first.atMin) : '-'
    } to ${last ? f1(last.atMin) : '-'}${
      (globalThis as { gc?: unknown }).gc ? ', each after a full GC' : ''
    }; ${WHERE.origin}; slope: least squares over those samples):`,
    '',
    '| | after warm-up (MB) | at the end (MB) | slope (MB/min) |',
    '| --- | ---: | ---: | ---: |',
    row('RSS', 'rssMb'),
    row('heap used', 'heapMb'),
    row('external', 'externalMb'),
    '',
    `Active handles after warm-up: min ${Math.min(...handles)}, max ${Math.max(...handles)}, slope ${f2(
      slope(xs, handles),
    )}/min; ${t.handlesAfterClose} after \`close()\` (${baselineHandles} before the pool existed).`,
    ...(t.wrong.length + t.hung.length + t.uncoded.length > 0
      ? ['', 'First failures:', '', ...[...t.wrong, ...t.hung, ...t.uncoded].slice(0, 10).map((l) => `- ${l}`)]
      : []),
    '',
  ].join('\n')
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
  if (values['origin-process']) {
    WHERE.origin = 'the origin runs in a child process, so the figures are the client’s alone'
    WHERE.short = 'in a child process'
  }
  const origin = values['origin-process'] ? await originProcess() : await startFaultyOrigin('127.0.0.1')
  const parts: string[] = []
  const verdicts: string[] = []
  for (const p of protocols) {
    const baseline = process.getActiveResourcesInfo().length
    console.error(`soak ${p}: ${minutes} min at concurrency ${concurrency}`)
    const t = await soak(p, origin, minutes, concurrency)
    parts.push(section(p, t, baseline))
    verdicts.push(
      `${p}: ${t.requests} requests, ${t.wrong.length} wrong, ${t.hung.length} hung, ${t.uncoded.length} without a code`,
    )
    console.error(verdicts[verdicts.length - 1])
  }
  await origin.close()
  const report = [
    '# Soak: end-of-stream correctness under mixed faults',
    '',
    `Produced by \`node --expose-gc --import tsx bench/soak.ts --minutes ${minutes} --protocols ${protocols.join(
      ',',
    )} --concurrency ${concurrency}${values['origin-process'] ? ' --origin-process' : ''}\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${
      process.platform
    }/${process.arch}. A HotConnPool (1 IP, up to 8 connections, pool headers/body timeout 10 s) against the`,
    `loopback origin of test/helpers/faulty-h2-origin.ts ${WHERE.short}; each request picks a fault by`,
    'weight, a size (1, 8, 30 or 120 kB) and an API (fetch, request, stream; one in five reads slowly), and',
    'every body is checked byte for byte against its path. A cut fault must end in an error with a code.',
    '',
    `Verdict: ${verdicts.join('; ')}.`,
    '',
    ...parts,
  ].join('\n')
  if (values.out === '-') console.log(report)
  else {
    writeFileSync(values.out, report)
    console.error(`wrote ${values.out}`)
  }
}

await main()

/** The faulty origin in a child process (bench/soak-origin.ts): a crash then names its side. */
async function originProcess(): Promise<FaultyOrigin> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./soak-origin.ts', import.meta.url).pathname], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  child.once('exit', (code, signal) => {
    if (code !== 0) console.error(`soak origin process exited: code ${code}, signal ${signal}`)
  })
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve)
    child.once('exit', () => reject(new Error('the origin process ended before it listened')))
  })
  const o = JSON.parse(line) as { hostname: string; caPem: string; h2Port: number; h1Port: number; ip: string }
  return {
    ...o,
    url: (h2, path) => `https://${o.hostname}:${h2 ? o.h2Port : o.h1Port}${path}`,
    hits: new Map(),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return // it ended (or crashed) already
      child.stdin!.end()
      await new Promise((r) => child.once('exit', r))
    },
  }
}
