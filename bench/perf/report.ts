/** reports/perf.md and its SVG charts from a harness result. */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fmt, markdownTable } from '../lib/markdown.js'
import { HOTCONN } from './clients.js'
import type { HarnessResult, LoadScenario } from './harness.js'
import type { MemoryResult } from './scale.js'
import { PROFILE_BELOW, SCENARIOS } from './harness.js'
import { barPanelsSvg, boxPlotSvg, type BoxSeries } from './svg.js'

export const LATENCY_CHART = 'perf-latency.svg'
export const THROUGHPUT_CHART = 'perf-throughput.svg'

const pct = (x: number): string => `${fmt(x * 100, 1)} %`
const times = (x: number): string => `${fmt(x, 2)}×`
const ms = (x: number): string => fmt(x, x < 10 ? 2 : 1)
const MiB = 2 ** 20

export function renderCharts(r: HarnessResult): Record<string, string> {
  const out: Record<string, string> = {}
  const series: BoxSeries[] = []
  let subtitle = ''
  let markers: Array<{ at: number; label: string }> = []
  if (r.rtt && r.rtt.rows.length > 0) {
    for (const row of r.rtt.rows) {
      series.push({ label: `${row.name} — hot`, role: row.role, values: row.hotMs })
      series.push({ label: `${row.name} — cold`, role: row.role, light: true, values: row.coldMs })
    }
    subtitle = `GET 1 KB with ${r.rtt.oneWayDelayMs} ms each way (${r.rtt.mode === 'netem' ? 'netns + tc netem' : 'userspace delay relay'}); box p25–p75, whiskers p1–p99, bar = median`
    markers = [
      { at: r.rtt.rttMs, label: '1 RTT' },
      { at: 3 * r.rtt.rttMs, label: '3 RTT' },
    ]
  } else {
    const hot = r.load.find((s) => s.id === 'hot-seq')
    const cold = r.load.find((s) => s.id === 'cold-x25519')
    for (const row of hot?.result.rows ?? []) {
      series.push({ label: `${row.name} — hot`, role: row.role, values: row.latenciesMs })
      const c = cold?.result.rows.find((x) => x.name === row.name)
      if (c) series.push({ label: `${row.name} — cold`, role: row.role, light: true, values: c.latenciesMs })
    }
    subtitle = 'GET 1 KB on loopback (no added delay); box p25–p75, whiskers p1–p99, bar = median'
  }
  if (series.length > 0)
    out[LATENCY_CHART] = boxPlotSvg(
      'Hot vs cold request latency per client',
      subtitle,
      'ms per request',
      series,
      markers,
    )
  const panels = []
  const bar = (s: LoadScenario | undefined, title: string, unit: string, scale: (v: number) => number) =>
    s && {
      title,
      unit,
      bars: s.result.rows.map((row) => ({
        label: row.name,
        role: row.role,
        median: scale(row.summary.median),
        min: scale(row.summary.min),
        max: scale(row.summary.max),
      })),
    }
  for (const p of [
    bar(
      r.load.find((s) => s.id === 'hot-seq'),
      '1 KB, sequential',
      'requests/s',
      (v) => v,
    ),
    bar(
      r.load.find((s) => s.id === 'hot-c16'),
      '1 KB, concurrency 16',
      'requests/s',
      (v) => v,
    ),
    bar(
      r.load.find((s) => s.id === 'tiles-c8'),
      '256 KB tiles, concurrency 8',
      'MiB/s',
      (v) => (v * 256 * 1024) / MiB,
    ),
  ]) {
    if (p) panels.push(p)
  }
  if (panels.length > 0)
    out[THROUGHPUT_CHART] = barPanelsSvg(
      'Throughput per client (hot connections)',
      'bar = median of the interleaved rounds, whisker = min – max of the rounds',
      panels,
    )
  return out
}

/** "hotconn 2,900, undici + node:tls 3,500, …": the per-client round sizes of a load row. */
function roundSizes(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .map(([name, n]) => `${name} ${fmt(n, 0)}`)
    .join(', ')
}

function gitState(root: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' }).trim()
    return dirty ? `${head} (src/ had uncommitted changes in the working tree)` : head
  } catch {
    return 'unknown'
  }
}

function loadTable(s: LoadScenario): string {
  const r = s.result
  const tput = s.bytesPerOp >= 65536
  const headers = [
    'client',
    `median ${s.unit}`,
    'rounds min – max',
    'spread',
    ...(tput ? ['MiB/s'] : []),
    'p50 ms',
    'p99 ms',
    `CPU µs per ${s.unit === 'handshakes/s' ? 'handshake' : 'request'}`,
    'CPU vs baseline (paired)',
    `vs ${r.baseline} (paired median)`,
    'paired min – max',
  ]
  const rows = r.rows.map((row) => [
    row.name,
    fmt(row.summary.median, 0),
    `${fmt(row.summary.min, 0)} – ${fmt(row.summary.max, 0)}`,
    pct(row.summary.spread),
    ...(tput ? [fmt((row.summary.median * s.bytesPerOp) / MiB, 1)] : []),
    ms(row.latency.p50),
    ms(row.latency.p99),
    row.cpu ? fmt(row.cpu.median, 0) : '–',
    row.cpuRatio ? times(row.cpuRatio.pairedMedian) : row.cpu ? '1.00×' : '–',
    row.ratio ? times(row.ratio.pairedMedian) : '1.00× (baseline)',
    row.ratio ? `${times(row.ratio.pairedMin)} – ${times(row.ratio.pairedMax)}` : '',
  ])
  return markdownTable(headers, rows)
}

function profileSection(s: LoadScenario, outDir: string): string[] {
  if (!s.profile) return []
  const p = s.profile.summary
  const file = relative(outDir, s.profile.file)
  return [
    '',
    `hotconn is below ${PROFILE_BELOW}× here, so its side was CPU-profiled afterwards on its own (${fmt(p.busyMs, 0)} ms busy, idle ${pct(p.idleShare)} of the time; the origin is another process and not sampled). Raw profile: [${file}](${file}) (open in Chrome DevTools → Performance, or speedscope). Busy time charged to the hotconn function that asked for it (node:crypto/net work included; undici and the bench loop apart):`,
    '',
    markdownTable(
      ['hotconn function (file:name)', 'share of busy'],
      p.own.map((f) => [f.where, pct(f.selfShare)]),
    ),
    '',
    markdownTable(
      ['any function, self time', 'share of busy'],
      p.functions.slice(0, 8).map((f) => [f.where, pct(f.selfShare)]),
    ),
  ]
}

export interface ReportContext {
  readonly command: string
  readonly root: string
  readonly chartFiles: readonly string[]
  readonly outDir: string
}

export function renderReport(r: HarnessResult, ctx: ReportContext): string {
  const m = r.machine
  const parts: string[] = [
    '# hotconn performance report',
    '',
    'Every figure is measured in one run against a baseline from the same run: **undici + node:tls** (OpenSSL) on the same',
    'origin. Clients run in interleaved rounds (A, B, C, then B, C, A, …); in the load rows the round of each client is sized',
    'to about the same duration, and hotconn and the baseline share one process while each peer runs in a child process',
    'of its own. Ratios are hotconn (or a peer) / baseline per round pair, median and min – max over the rounds, so **> 1',
    'means faster than the baseline**. Latencies are per request, over every timed request of every round. Absolute',
    'numbers only mean something next to their baseline.',
    '',
    '## Machine and run',
    '',
    `- Date: ${r.date}; run took ${fmt(r.durationS, 0)} s${r.quick ? ' (--quick)' : ''}`,
    `- CPU: ${m.cpuModel}, ${m.cores} logical cores, ${m.memoryGiB} GiB RAM; ${m.platform} ${m.arch}, kernel ${m.kernel}; ${r.loadAtStart ? `load average (1, 5, 15 min) at the start: ${r.loadAtStart.join(', ')}; ` : ''}1-min load average at the end: ${m.loadAverage1m}`,
    `- Node ${m.node}, OpenSSL ${m.openssl}, V8 ${m.v8}; ${Object.entries(m.packages)
      .map(([k, v]) => `${k} ${v ?? 'not installed'}`)
      .join(', ')}`,
    `- hotconn: git ${gitState(ctx.root)}, ${r.library === 'dist' ? 'the built package (dist/, compiled by `npm run build` at the start, as users run it)' : r.library === 'src' ? 'the TypeScript sources through tsx' : 'the TypeScript sources through tsx (runs before the harness measured the built package)'}`,
    `- Origin: ${r.origin.note}; ECDSA P-256 certificate from a test CA made at start`,
    `- Reproduce: \`${ctx.command}\` (full run, writes reports/), \`npm run bench -- --quick\` (about a minute, prints only), \`hotconn bench --scenario hot,cold\` (same harness from the CLI; scenarios: ${SCENARIOS.join(', ')}; \`--origin node\` runs without nginx)`,
    '',
  ]
  if (m.loadAverage1m > m.cores) {
    parts.push(
      `> The machine was shared with other work during the run (load average ${m.loadAverage1m} on ${m.cores} cores): round-to-round spreads are wide and absolute rates are low. Read the paired ratios, which compare rounds that ran back to back.`,
      '',
    )
  }

  parts.push('## Clients', '')
  parts.push(
    markdownTable(
      ['client', 'how it runs here', 'JA4 (capture server)', 'key shares offered'],
      r.clients.map((c) => [
        c.name,
        c.detail,
        'ja4' in c.ja4 ? `\`${c.ja4.ja4}\`` : `none: ${c.ja4.error}`,
        'ja4' in c.ja4 ? c.ja4.keyShares.join(', ') : '',
      ]),
    ),
    '',
  )
  const skippedPeers = Object.entries(r.peersSkipped)
  if (skippedPeers.length > 0) parts.push(...skippedPeers.map(([n, why]) => `- **${n} skipped**: ${why}`), '')
  parts.push(
    "JA4s were read by sending one request of each client to hotconn's capture server (`hotconn fingerprint --listen`), which answers handshake_failure; a client that connects by IP sends no SNI (JA4 `i` instead of `d`).",
    '',
  )

  // Summary
  const sumRows: string[][] = []
  for (const s of r.load) {
    for (const row of s.result.rows)
      if (row.ratio)
        sumRows.push([
          s.title,
          row.name,
          times(row.ratio.pairedMedian),
          `${times(row.ratio.pairedMin)} – ${times(row.ratio.pairedMax)}`,
          row.cpu && row.cpuRatio ? `${fmt(row.cpu.median, 0)} µs (${times(row.cpuRatio.pairedMedian)})` : '',
        ])
  }
  const pad = (rows: string[][], from: number): void => {
    for (const x of rows.slice(from)) while (x.length < 5) x.push('')
  }
  const loadRows = sumRows.length
  if (r.rtt)
    for (const row of r.rtt.rows)
      sumRows.push([
        `RTT ${r.rtt.rttMs} ms: cold p50 / hot p50 (limit 3.00×)`,
        row.name,
        times(row.coldOverHot),
        `${times(row.perRound.min)} – ${times(row.perRound.max)}`,
      ])
  if (r.acquire)
    for (const row of r.acquire.rows)
      if (row.ratio)
        sumRows.push([
          `Pool acquire + release, ${fmt(row.connections, 0)} vs 10 connections`,
          HOTCONN,
          times(row.ratio.pairedMedian),
          `${times(row.ratio.pairedMin)} – ${times(row.ratio.pairedMax)}`,
        ])
  if (r.memory) {
    sumRows.push([
      `Warm-up of ${fmt(r.memory.connections, 0)} connections / ${r.memory.ips} IPs (speed)`,
      `${HOTCONN} vs node:tls`,
      times(r.memory.warmupRatio.pairedMedian),
      `${times(r.memory.warmupRatio.pairedMin)} – ${times(r.memory.warmupRatio.pairedMax)}`,
    ])
    sumRows.push([
      `Heap per idle connection (bytes, lower is better)`,
      `${HOTCONN} vs node:tls`,
      times(r.memory.heapRatio.pairedMedian),
      `${times(r.memory.heapRatio.pairedMin)} – ${times(r.memory.heapRatio.pairedMax)}`,
    ])
    const hx = r.memory.heapExternalRatio
    if (hx)
      sumRows.push([
        `Heap + external per idle connection (bytes, lower is better)`,
        `${HOTCONN} vs node:tls`,
        times(hx.pairedMedian),
        `${times(hx.pairedMin)} – ${times(hx.pairedMax)}`,
      ])
    const hu = r.memory.heapExternalVsUndici
    if (hu)
      sumRows.push([
        `Heap + external per idle connection (bytes, lower is better)`,
        `${HOTCONN} vs undici Agent + node:tls`,
        times(hu.pairedMedian),
        `${times(hu.pairedMin)} – ${times(hu.pairedMax)}`,
      ])
  }
  pad(sumRows, loadRows)
  parts.push(
    '## Summary',
    '',
    "Throughput ratios are against undici + node:tls (> 1 = faster; the HTTP/2 rows against undici with allowH2); the RTT rows are each client's own cold/hot latency ratio. CPU per operation is user + sys of this process (the client; the origin runs in another process) per request or handshake, median over the rounds, with the baseline's CPU per operation over the client's in brackets (> 1 = less CPU than the baseline).",
    '',
  )
  parts.push(
    markdownTable(['scenario', 'client', 'paired median', 'paired min – max', 'CPU per op (vs baseline)'], sumRows),
    '',
  )

  if (ctx.chartFiles.length > 0) {
    parts.push('## Charts', '')
    if (ctx.chartFiles.includes(LATENCY_CHART))
      parts.push(
        `[${LATENCY_CHART}](${LATENCY_CHART}) — hot vs cold latency distribution per client`,
        '',
        `![hot vs cold latency](${LATENCY_CHART})`,
        '',
      )
    if (ctx.chartFiles.includes(THROUGHPUT_CHART))
      parts.push(
        `[${THROUGHPUT_CHART}](${THROUGHPUT_CHART}) — throughput per client`,
        '',
        `![throughput per client](${THROUGHPUT_CHART})`,
        '',
      )
  }

  const section = (heading: string, ids: string[], extra: (s: LoadScenario) => string[] = () => []): void => {
    const list = r.load.filter((s) => ids.includes(s.id))
    if (list.length === 0) return
    parts.push(heading, '')
    for (const s of list) {
      parts.push(
        `### ${s.title}`,
        '',
        loadTable(s),
        '',
        `${s.result.rounds} interleaved rounds (each round starts one client later than the one before), each client's round sized to about the same duration: ${roundSizes(s.result.countsPerRound)} requests per round; concurrency ${s.result.concurrency}; GET ${s.result.path}. Origin: ${s.origin}.`,
      )
      for (const [n, why] of Object.entries(s.result.failed)) parts.push(`- **${n}** left out: ${why}`)
      parts.push(...extra(s), ...profileSection(s, ctx.outDir), '')
    }
  }
  section('## 1. Hot small requests (1 KB)', ['hot-seq', 'hot-c16'])
  section('## 2. Tiles (256 KB, concurrency 8)', ['tiles-c8'])
  section('## 2b. HTTP/2 origin: hot requests and tiles', ['h2-hot-c16', 'h2-tiles-c8'], (s) => [
    '',
    `Ratios in this section are against ${s.result.baseline}: undici's own HTTP/2 client over node:tls on the same h2 origin. hotconn speaks h2 through node:http2 over its TlsSocket (ALPN h2 from the chrome profile).`,
  ])
  section(
    '## 3. Cold: a new connection (full TLS 1.3 handshake) per request',
    ['cold-x25519', 'cold-x25519mlkem768'],
    (s) =>
      s.id === 'cold-x25519mlkem768'
        ? [
            '',
            `Which group each client gets here follows from its key shares (Clients table): a client with an X25519MLKEM768 share does the hybrid exchange, the others x25519 (undici + node:tls on Node ${m.node} cannot offer ML-KEM).`,
          ]
        : [
            '',
            'Each request: TCP connect, full handshake with certificate verification (peers: see Clients), one GET, close. The origin issues no session tickets, so nobody resumes.',
          ],
  )
  for (const [id, why] of Object.entries(r.coldSkipped)) parts.push(`- **${id} skipped**: ${why}`, '')

  parts.push('## 4. Hot vs cold with a real round-trip time', '')
  if (r.rtt) {
    const t = r.rtt
    if (t.netemSkipped)
      parts.push(
        `> **netns + veth + \`tc netem\` was not possible here: ${t.netemSkipped}.** The scenario ran through the userspace delay relay instead (below); its RTT is emulated in a process, not by the kernel, so it adds ~0.1–1 ms of timer slack per hop.`,
        '',
      )
    parts.push(
      markdownTable(
        [
          'client',
          'hot p50 ms',
          'hot p99 ms',
          'cold p50 ms',
          'cold p99 ms',
          'hot p50 − 1 RTT',
          'cold p50 − 3 RTT',
          'cold / hot (p50)',
          'per-round min – max',
          'network-only limit',
          'TCP conns per cold / hot request',
        ],
        t.rows.map((row) => [
          row.name,
          ms(row.hot.p50),
          ms(row.hot.p99),
          ms(row.cold.p50),
          ms(row.cold.p99),
          ms(row.hot.p50 - t.rttMs),
          ms(row.cold.p50 - 3 * t.rttMs),
          times(row.coldOverHot),
          `${times(row.perRound.min)} – ${times(row.perRound.max)}`,
          '3.00×',
          row.connectionsPerCold !== undefined
            ? `${fmt(row.connectionsPerCold, 1)} / ${fmt(row.connectionsPerHot ?? 0, 1)}`
            : 'n/a',
        ]),
      ),
      '',
      `${t.rounds} rounds × (${t.countPerRound} hot + ${t.countPerRound} cold) sequential GET /size/1024 per client, clients in turn. RTT = ${t.rttMs} ms (${t.oneWayDelayMs} ms each way). Origin: ${t.origin}.`,
      '',
      `Theoretical limit: on the network alone a cold HTTPS request over TLS 1.3 costs 3 RTT (TCP handshake, TLS handshake, request/response) and a hot one 1 RTT, so cold/hot → 3.00× as the RTT grows; ${fmt(t.rttMs, 0)} ms and ${fmt(3 * t.rttMs, 0)} ms are the floors. The "− RTT" columns are what each client adds on top of those floors (its CPU time: handshake crypto and certificate checks on the cold path, record and HTTP work on the hot one, plus the relay's timer slack, which every client pays alike). A cold/hot ratio above 3× means the cold path's CPU time is more than 3× the hot path's; the pool's gain per request is cold − hot.`,
    )
    if (t.ratioVsBaseline !== undefined)
      parts.push('', `hotconn's cold/hot ratio is ${times(t.ratioVsBaseline)} the baseline's.`)
    for (const [n, why] of Object.entries(t.failed)) parts.push(`- **${n}** left out: ${why}`)
    parts.push('')
  } else {
    parts.push(`**Skipped**: ${r.rttSkipped ?? 'not selected (--scenario)'}.`, '')
  }

  parts.push('## 5. Pool scale and memory', '')
  if (r.acquire) {
    const a = r.acquire
    parts.push(
      '### Acquire + release cost per operation',
      '',
      markdownTable(
        [
          'pooled connections',
          'median ns per getConnection + putConnection',
          'rounds min – max',
          'spread',
          'speed vs 10 connections (paired)',
          'paired min – max',
        ],
        a.rows.map((row) => [
          fmt(row.connections, 0),
          fmt(row.summary.median, 0),
          `${fmt(row.summary.min, 0)} – ${fmt(row.summary.max, 0)}`,
          pct(row.summary.spread),
          row.ratio ? times(row.ratio.pairedMedian) : '1.00× (baseline)',
          row.ratio ? `${times(row.ratio.pairedMin)} – ${times(row.ratio.pairedMax)}` : '',
        ]),
      ),
      '',
      `Pools warmed to N idle connections over ${a.ips} IPs with in-memory stand-in sockets (a Duplex that never reads; the pool's own work only), then ${a.rounds} interleaved rounds × ${fmt(a.opsPerRound, 0)} sequential \`await getConnection(host)\` + \`putConnection(conn)\` per pool. The figure includes one await (promise + microtask) per acquire. Flat = ratios near 1.00×.`,
      '',
      ...(a.loansPerConnection !== undefined && a.errorListeners > 2
        ? [
            `Finding: after ~${fmt(a.loansPerConnection, 0)} raw loans per connection, a pooled socket carried ${fmt(a.errorListeners, 0)} 'error' listeners: each getConnection/putConnection cycle leaves one more (the idle watcher's stop function in src/http/channel.ts adds a no-op 'error' listener every time it runs). Memory grows with the number of loans and Node prints MaxListenersExceededWarning after 10; the fix is to add that no-op listener once.`,
            '',
          ]
        : []),
    )
  }
  if (r.memory) {
    parts.push(...memorySection(r.memory))
  } else if (r.memorySkipped) parts.push(`**Heap / warm-up skipped**: ${r.memorySkipped}`, '')

  const analysis = join(ctx.root, 'bench/perf.analysis.md')
  parts.push('## Where the time goes', '')
  const profiled = r.load.filter((s) => s.profile)
  parts.push(
    profiled.length > 0
      ? `Profiled (hotconn below ${PROFILE_BELOW}× the baseline): ${profiled.map((s) => s.title).join('; ')}. The per-scenario tables above list the hot spots of each run.`
      : `No scenario had hotconn below ${PROFILE_BELOW}× the baseline in this run, so none was profiled.`,
    '',
  )
  if (existsSync(analysis)) parts.push(readFileSync(analysis, 'utf8').trim(), '')
  if (r.notes.length > 0) parts.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '')
  return parts.join('\n')
}

/** The section of the idle-connection memory table (also printed alone by bench/idle-memory.ts --markdown). */
export function memorySection(mm: MemoryResult): string[] {
  const avg = (xs: number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length
  const row = (name: string, xs: typeof mm.hotconn) => [
    name,
    fmt(avg(xs.map((s) => s.warmupMs)), 0),
    fmt((mm.connections / avg(xs.map((s) => s.warmupMs))) * 1000, 0),
    fmt(avg(xs.map((s) => s.heapPerConn)), 0),
    fmt(avg(xs.map((s) => s.externalPerConn)), 0),
    fmt(avg(xs.map((s) => s.rssPerConn)), 0),
  ]
  return [
    `### ${fmt(mm.connections, 0)} idle connections across ${mm.ips} loopback IPs`,
    '',
    markdownTable(
      [
        'client',
        'warm-up ms',
        'connections/s',
        'V8 heap bytes per conn',
        'external + ArrayBuffer bytes per conn',
        'RSS bytes per conn',
      ],
      [
        row('hotconn (HotConnPool.warmup)', mm.hotconn),
        row('node:tls (tls.connect, 16 at a time)', mm.nodeTls),
        ...(mm.undiciPooled && mm.undiciPooled.length > 0
          ? [row('undici Agent + node:tls (idle keep-alive after one GET each)', mm.undiciPooled)]
          : []),
      ],
    ),
    '',
    `Mean of ${mm.rounds} round(s), hotconn and node:tls alternating; memory is the difference of process.memoryUsage() after full GCs before and after opening, divided by the count. hotconn / node:tls: warm-up speed ${times(mm.warmupRatio.pairedMedian)}, heap per connection ${times(mm.heapRatio.pairedMedian)}, RSS per connection ${times(mm.rssRatio.pairedMedian)}. node:tls keeps most of a connection's state in OpenSSL's C heap (RSS, not V8 heap); hotconn keeps it in JS objects, so compare RSS as well as heap. Warm-up concurrency ${mm.concurrency} on both sides (HotConnPool's default warmupConcurrency), ${mm.connections / mm.ips} connections per IP.${mm.heapExternalRatio ? ` Heap + external per connection: hotconn / node:tls ${times(mm.heapExternalRatio.pairedMedian)}` : ''}${mm.heapExternalVsUndici ? `, hotconn / undici Agent ${times(mm.heapExternalVsUndici.pairedMedian)} (the undici row is a pooled connection as a user of undici holds it: a TLSSocket plus its undici Client; its warm-up time includes one GET per connection and is not compared).` : ''}`,
    '',
  ]
}
