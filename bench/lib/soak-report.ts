/**
 * The soak's report (bench/soak.ts → reports/soak.md): one section per protocol, each with the
 * command that produced it, and a verdict line over all sections. A run replaces the sections of
 * the protocols it ran and keeps the others (a protocol soaked in another run, notes) as they are.
 */

export type Protocol = 'h1' | 'h2'

export interface Sample {
  atMin: number
  rssMb: number
  heapMb: number
  externalMb: number
  handles: number
}

export interface Tally {
  requests: number
  right: number
  wrong: string[]
  hung: string[]
  /** Cut responses that failed, by code (what must happen). */
  cut: Map<string, number>
  /** Complete responses that failed anyway, by code (broken by another request's fault on the connection). */
  collateral: Map<string, number>
  /** Complete responses that ended in a headers or body timeout (what, how, how long). */
  timedOut: string[]
  uncoded: string[]
  samples: Sample[]
  seconds: number
  handlesAfterClose: number
  /** Duration of each request (ms), and the slowest per fault. */
  durations: number[]
  slowest: Map<string, number>
}

export interface SectionContext {
  protocol: Protocol
  /** The command line that ran this soak. */
  command: string
  /** Where the origin ran and what became of it, one sentence. */
  origin: string
  /** Whether the memory figures are the client's alone (the origin in another process). */
  clientOnly: boolean
  mix: Record<string, number>
  hangMs: number
  baselineHandles: number
  gc: boolean
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
const f2 = (n: number): string => (Math.abs(n) < 0.005 ? '0.00' : n.toFixed(2))
function pct(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0)
}
const codes = (m: Map<string, number>): string =>
  m.size === 0
    ? 'none'
    : [...m]
        .sort((a, b) => b[1] - a[1])
        .map(([c, n]) => `${c} ${n}`)
        .join(', ')

export function verdict(protocol: Protocol, t: Tally): string {
  return `${protocol}: ${t.requests} requests, ${t.wrong.length} wrong, ${t.hung.length} hung, ${t.uncoded.length} without a code (${f1(t.seconds / 60)} min)`
}

export const TITLE: Record<Protocol, string> = { h1: 'HTTP/1.1', h2: 'HTTP/2' }

export function section(ctx: SectionContext, t: Tally): string {
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
    `## ${TITLE[ctx.protocol]} (${f1(t.seconds / 60)} min)`,
    '',
    `Produced by \`${ctx.command}\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${
      process.platform
    }/${process.arch}; ${ctx.origin}`,
    '',
    `Verdict: ${verdict(ctx.protocol, t)}.`,
    '',
    `${t.requests} requests in ${f1(t.seconds / 60)} min (${f1(t.requests / t.seconds)}/s), faults: ${Object.entries(
      ctx.mix,
    )
      .map(([f, w]) => `${f} ${w} %`)
      .join(', ')}, the rest \`ok\`.`,
    '',
    '| outcome | count |',
    '| --- | ---: |',
    `| complete and byte-for-byte right | ${t.right} |`,
    `| **wrong body** (a cut response as success, or bytes that differ) | **${t.wrong.length}** |`,
    `| **hung** (no outcome within ${ctx.hangMs / 1000} s) | **${t.hung.length}** |`,
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
    } to ${last ? f1(last.atMin) : '-'}${ctx.gc ? ', each after a full GC' : ''}; ${
      ctx.clientOnly
        ? 'the origin runs in a child process, so the figures are the client’s alone'
        : 'client and origin in one process'
    }; slope: least squares over those samples):`,
    '',
    '| | after warm-up (MB) | at the end (MB) | slope (MB/min) |',
    '| --- | ---: | ---: | ---: |',
    row('RSS', 'rssMb'),
    row('heap used', 'heapMb'),
    row('external', 'externalMb'),
    '',
    `Active handles after warm-up: min ${Math.min(...handles)}, max ${Math.max(...handles)}, slope ${f2(
      slope(xs, handles),
    )}/min; ${t.handlesAfterClose} after \`close()\` (${ctx.baselineHandles} before the pool existed).`,
    ...(t.timedOut.length > 0
      ? ['', 'Complete responses that ended in a timeout:', '', ...t.timedOut.slice(0, 10).map((l) => `- ${l}`)]
      : []),
    ...(t.wrong.length + t.hung.length + t.uncoded.length > 0
      ? ['', 'First failures:', '', ...[...t.wrong, ...t.hung, ...t.uncoded].slice(0, 10).map((l) => `- ${l}`)]
      : []),
    '',
  ].join('\n')
}

const INTRO = [
  '# Soak: end-of-stream correctness under mixed faults',
  '',
  'A HotConnPool (1 IP, up to 8 connections, pool headers/body timeout 10 s) against the loopback origin of',
  'test/helpers/faulty-h2-origin.ts (node:https for HTTP/1.1; node:http2 for HTTP/2, reached through the TCP',
  'relay of test/helpers/tcp-relay.ts, which makes the TCP cuts on the client’s side); each request picks a',
  'fault by weight, a size (1, 8, 30 or 120 kB) and an API (fetch, request, stream; one in five reads slowly),',
  'and every body is checked byte for byte against its path. A cut fault must end in an error with a code.',
  'Each section names the command that produced it (`bench/soak.ts` replaces the sections of the protocols it',
  'runs and keeps the others).',
]

/** Splits a report into its `## ` sections (heading line included); the text before the first is dropped. */
function sectionsOf(report: string): string[] {
  const parts = report.split(/^(?=## )/m)
  return parts.filter((p) => p.startsWith('## ')).map((p) => p.trimEnd())
}

function protocolOf(sectionText: string): Protocol | undefined {
  const heading = sectionText.split('\n', 1)[0]!
  if (/^## HTTP\/1\.1\b/.test(heading)) return 'h1'
  if (/^## HTTP\/2\b/.test(heading)) return 'h2'
  return undefined
}

/**
 * The whole report: the fresh sections, the protocol sections of `existing` that were not run
 * again, then every other section of `existing` (notes) as it was.
 */
export function composeReport(fresh: Map<Protocol, string>, existing: string | undefined): string {
  const old = existing === undefined ? [] : sectionsOf(existing)
  const byProtocol = new Map<Protocol, string>()
  const others: string[] = []
  for (const s of old) {
    const p = protocolOf(s)
    if (p === undefined) others.push(s)
    else byProtocol.set(p, s)
  }
  for (const [p, s] of fresh) byProtocol.set(p, s.trimEnd())
  const ordered = (['h1', 'h2'] as const).flatMap((p) => (byProtocol.has(p) ? [byProtocol.get(p)!] : []))
  const verdicts = ordered.flatMap((s) => {
    const m = /^Verdict: (.*)\.$/m.exec(s)
    return m ? [m[1]!] : []
  })
  return [...INTRO, '', `Verdict: ${verdicts.join('; ')}.`, '', [...ordered, ...others].join('\n\n'), ''].join('\n')
}
