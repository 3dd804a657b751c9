/**
 * Summarises an x509-limbo run and renders `reports/x509-limbo.md`.
 */
import { cpus, loadavg } from 'node:os'
import type { CaseResult } from './run.js'

export interface Tally {
  cases: number
  agree: number
  falseAccepts: number
  falseRejects: number
  crashes: number
  hangs: number
}

export interface Summary {
  readonly core: Tally
  readonly optional: Tally
  readonly byFamily: ReadonlyMap<string, Tally>
  readonly byFeature: ReadonlyMap<string, Tally>
  readonly timing: { best: Percentiles; first: Percentiles; slowest: CaseResult[] }
  /** Core false accepts. */
  readonly falseAccepts: readonly CaseResult[]
  readonly falseRejects: readonly CaseResult[]
  readonly crashes: readonly CaseResult[]
  readonly hangs: readonly CaseResult[]
  readonly optionalMismatches: readonly CaseResult[]
}

export interface Percentiles {
  readonly max: number
  readonly p99: number
  readonly p50: number
  readonly sum: number
}

function percentiles(values: number[]): Percentiles {
  const v = [...values].sort((a, b) => a - b)
  const at = (q: number) => v[Math.min(v.length - 1, Math.floor(v.length * q))] ?? 0
  return { max: v[v.length - 1] ?? 0, p99: at(0.99), p50: at(0.5), sum: v.reduce((a, b) => a + b, 0) }
}

/** The per-case budget the issue sets (event-loop time on the 2-core CI machine). */
export const BUDGET_MS = 50

const tally = (): Tally => ({ cases: 0, agree: 0, falseAccepts: 0, falseRejects: 0, crashes: 0, hangs: 0 })

function add(t: Tally, r: CaseResult): void {
  t.cases++
  if (r.actual === r.expected) t.agree++
  else if (r.actual === 'CRASH') t.crashes++
  else if (r.actual === 'HANG') t.hangs++
  else if (r.actual === 'SUCCESS') t.falseAccepts++
  else t.falseRejects++
}

export function summarize(results: readonly CaseResult[]): Summary {
  const core = tally()
  const optional = tally()
  const byFamily = new Map<string, Tally>()
  const byFeature = new Map<string, Tally>()
  for (const r of results) {
    if (r.optional.length === 0) {
      add(core, r)
      if (!byFamily.has(r.family)) byFamily.set(r.family, tally())
      add(byFamily.get(r.family)!, r)
    } else {
      add(optional, r)
      for (const f of r.optional) {
        if (!byFeature.has(f)) byFeature.set(f, tally())
        add(byFeature.get(f)!, r)
      }
    }
  }
  const coreResults = results.filter((r) => r.optional.length === 0)
  return {
    core,
    optional,
    byFamily: new Map([...byFamily].sort(([a], [b]) => a.localeCompare(b))),
    byFeature: new Map([...byFeature].sort(([a], [b]) => a.localeCompare(b))),
    timing: {
      best: percentiles(results.map((r) => r.ms)),
      first: percentiles(results.map((r) => r.firstMs)),
      slowest: [...results].sort((a, b) => b.ms - a.ms).slice(0, 10),
    },
    falseAccepts: coreResults.filter((r) => r.expected === 'FAILURE' && r.actual === 'SUCCESS'),
    falseRejects: coreResults.filter((r) => r.expected === 'SUCCESS' && r.actual === 'FAILURE'),
    crashes: results.filter((r) => r.actual === 'CRASH'),
    hangs: results.filter((r) => r.actual === 'HANG'),
    optionalMismatches: results.filter((r) => r.optional.length > 0 && r.actual !== r.expected),
  }
}

export const pct = (t: Tally): string => (t.cases === 0 ? '-' : `${((100 * t.agree) / t.cases).toFixed(2)} %`)

/** The rule a case tests: its description without diagrams and quotes, first sentences, on one line. */
export function ruleOf(r: CaseResult): string {
  const text = r.description
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/^>.*$/gm, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  const sentences = text.split(/(?<=[.:])\s+(?=[A-Z*`])/)
  // "Produces the following invalid chain:" says nothing of the rule: take what follows too.
  const take = /^(Produces|Tests)\b/.test(sentences[0] ?? '') ? 2 : 1
  const rule = sentences.slice(0, take).join(' ').trim()
  return (rule.length > 240 ? rule.slice(0, 237) + '…' : rule).replace(/\|/g, '\\|')
}

function timingRow(name: string, p: Percentiles): string {
  return `| ${name} | ${p.max.toFixed(2)} ms | ${p.p99.toFixed(2)} ms | ${p.p50.toFixed(2)} ms | ${(p.sum / 1000).toFixed(1)} s |`
}

function conflict(r: CaseResult): string {
  return r.conflictsWith.length ? ` (the suite's \`${r.conflictsWith.join('`, `')}\` expects the opposite)` : ''
}

function cell(s: string | undefined): string {
  return (s ?? '').replace(/\s+/g, ' ').replace(/\|/g, '\\|')
}

export interface ReportContext {
  readonly wallMs: number
  /** id -> why, for the false accepts the test tolerates. */
  readonly allowList: Readonly<Record<string, string>>
  readonly target: number
}

export function renderReport(s: Summary, ctx: ReportContext): string {
  const row = (name: string, t: Tally) =>
    `| ${name} | ${t.cases} | ${t.agree} | ${pct(t)} | ${t.falseAccepts} | ${t.falseRejects} | ${t.crashes} | ${t.hangs} |`
  const head =
    '| | cases | agree | agreement | false accepts | false rejects | crashes | hangs |\n|---|---:|---:|---:|---:|---:|---:|---:|'
  const lines: string[] = []
  lines.push("# x509-limbo: hotconn's certificate verifier against C2SP's path-validation suite", '')
  lines.push(
    "Generated by `npm run test:x509` (test/conformance/x509-limbo.test.ts) from x509-limbo's compiled suite read in place",
    '(`../shared/conformance/x509-limbo/limbo.json.gz`, or `HOTCONN_X509_LIMBO`): every SERVER case with a DNS or IP peer',
    "name goes through `verifyServerCertificateChain` with the case's trusted certificates as `ca`, its untrusted",
    'intermediates after the peer certificate, its validation time as `now` and its peer name as `host`. Core cases',
    'are those without an optional feature; cases with one (pedantic-*, has-crl, max-chain-depth, name-constraint-dn,',
    'has-policy-constraints, rfc5280-incompatible-with-webpki) are reported apart. A false accept is a case the suite',
    'expects to FAIL that the verifier accepted.',
    '',
    `Run: Node ${process.version}, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'}), ${new Date().toISOString().slice(0, 10)}, ` +
      `${(ctx.wallMs / 1000).toFixed(1)} s wall time.`,
    '',
    '## Summary',
    '',
    head,
    row('core', s.core),
    row('optional features', s.optional),
    '',
    `Target: ≥ ${ctx.target} % agreement on the core cases, 0 crashes, 0 hangs, every false accept in the allow-list ` +
      `(test/conformance/limbo/allow-list.ts), at most ${BUDGET_MS} ms per case.`,
    '',
    '## Time per case',
    '',
    'Wall-clock time of one `verifyServerCertificateChain` call (DER parsing, path building, signature checks and',
    'name checks; PEM decoding of the case is not counted), one case after the other in a child process after a',
    'warm-up of 20 cases, with a garbage collection every 50 cases outside the timed calls. The machine is shared',
    'with other test runs, which stretches wall time: a case whose first run took over 5 ms is run twice more and',
    'its best run counted ("best of 3"); the first runs are shown too. Every run starts cold: the certificate',
    'cache is emptied and the trust anchors are parsed again.',
    `Load average when the run ended: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')}.`,
    '',
    '| | max | p99 | p50 | sum |',
    '|---|---:|---:|---:|---:|',
    timingRow('best of 3', s.timing.best),
    timingRow('first run', s.timing.first),
    '',
    'Slowest cases (best of 3):',
    '',
    '| case | best ms | first-run ms | result |\n|---|---:|---:|---|',
    ...s.timing.slowest.map(
      (r) =>
        `| \`${r.id}\` | ${r.ms.toFixed(2)} | ${r.firstMs.toFixed(2)} | ${r.actual}${r.reason ? ` (${r.reason})` : ''} |`,
    ),
    '',
    '## Per family (core cases)',
    '',
    head.replace('| |', '| family |'),
    ...[...s.byFamily].map(([f, t]) => row(`\`${f}\``, t)),
    '',
    `## False accepts (core): ${s.falseAccepts.length}`,
    '',
  )
  if (s.falseAccepts.length === 0) lines.push('None.', '')
  else {
    lines.push('| case | rule | allow-listed because |\n|---|---|---|')
    for (const r of s.falseAccepts)
      lines.push(`| \`${r.id}\` | ${ruleOf(r)} | ${cell(ctx.allowList[r.id]) || '**not allow-listed**'} |`)
    lines.push('')
  }
  lines.push(`## False rejects (core): ${s.falseRejects.length}`, '')
  if (s.falseRejects.length === 0) lines.push('None.', '')
  else {
    lines.push("| case | rule | hotconn's reason |\n|---|---|---|")
    for (const r of s.falseRejects)
      lines.push(`| \`${r.id}\` | ${ruleOf(r)}${conflict(r)} | \`${r.reason}\`: ${cell(r.message?.slice(0, 240))} |`)
    lines.push('')
  }
  lines.push(`## Crashes and hangs: ${s.crashes.length + s.hangs.length}`, '')
  if (s.crashes.length + s.hangs.length === 0) lines.push('None.', '')
  else {
    lines.push('| case | outcome | detail |\n|---|---|---|')
    for (const r of [...s.crashes, ...s.hangs])
      lines.push(`| \`${r.id}\` | ${r.actual} | ${cell(r.reason)} ${cell(r.message?.split('\n')[0])} |`)
    lines.push('')
  }
  lines.push(
    '## Optional-feature cases',
    '',
    head.replace('| |', '| feature |'),
    ...[...s.byFeature].map(([f, t]) => row(`\`${f}\``, t)),
    '',
  )
  if (s.optionalMismatches.length > 0) {
    lines.push(
      'Disagreements (not counted in the core agreement):',
      '',
      '| case | features | expected | hotconn | rule |\n|---|---|---|---|---|',
    )
    for (const r of s.optionalMismatches)
      lines.push(
        `| \`${r.id}\` | ${r.optional.join(', ')} | ${r.expected} | ${r.actual}${r.reason ? ` (${r.reason})` : ''} | ${ruleOf(r)} |`,
      )
    lines.push('')
  }
  return lines.join('\n')
}
