/** The Markdown report of a tile-fetch run (`reports/tile-fetch.md`). */
import { arch, cpus, platform, release, totalmem } from 'node:os'
import { formatHostTable, formatMs } from './table.js'
import { warmupErrors, type TileFetchResult } from './tile-job.js'

function machine(): string {
  const list = cpus()
  const model = list[0]?.model.trim() ?? 'unknown CPU'
  return `${model} × ${list.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${platform()} ${release()} ${arch()}`
}

function counts(record: Record<string, number>): string {
  const entries = Object.entries(record)
  return entries.length === 0 ? '-' : entries.map(([k, n]) => `${k}: ${n}`).join(', ')
}

/** The report as Markdown: run facts, totals, the per-IP table, server counters and the hot/cold note. */
export function renderTileReport(r: TileFetchResult, date: Date): string {
  const h = r.host
  const handshakes = h?.handshakes ?? 0
  const requests = h?.requests ?? 0
  const warmed = r.warmup?.ips.reduce((n, i) => n + i.opened, 0) ?? 0
  const out: string[] = [
    '# tile-fetch',
    '',
    `Result: **${r.ok ? 'PASS' : 'FAIL'}**${r.ok ? '' : ` — ${r.problems.join('; ')}`}`,
    '',
    `- Date: ${date.toISOString()}`,
    `- Machine: ${machine()}`,
    `- Node: ${process.version}`,
    `- Profile: ${r.profile}`,
    r.target === 'demo'
      ? `- Target: embedded demo origin ${r.origin} (HTTPS on ${Object.keys(r.server ?? {}).join(', ')}; DNS on 127.0.0.1; 127.0.0.5 answers 403)`
      : `- Target: ${r.origin} (system resolver, system roots)`,
    '',
    '## Totals',
    '',
    '| tiles | arrived | responses | retries | statuses | errors | body bytes | warm-up | wall time | req/s | client p50 | client p99 |',
    '|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|',
    `| ${r.tiles} | ${r.arrived} | ${r.responses} | ${r.retries} | ${counts(r.statuses)} | ${counts(r.errors)} | ${r.bytes} | ${r.warmupMs.toFixed(0)} ms | ${(r.wallMs / 1000).toFixed(2)} s | ${r.requestsPerSecond.toFixed(0)} | ${formatMs(r.clientP50Ms)} ms | ${formatMs(r.clientP99Ms)} ms |`,
    '',
    `${r.tiles} tiles, ${r.concurrency} at once. Client p50/p99: every response, from \`fetch()\` to the end of its body, waiting for a connection included.`,
    '',
    '## Per IP (pool.stats())',
    '',
    h === undefined ? '_no stats_' : formatHostTable(h, { markdown: true, now: date.getTime() }).trimEnd(),
    '',
    "`conns`: connections open at the end; `reuse`: (requests − handshakes) / requests; p50/p99: response times (ms) on the connection as the pool measured them, over the pool's window of recent responses of each row (so the total row, a window over all IPs, can sit below every IP's).",
  ]
  if (r.server !== undefined) {
    out.push(
      '',
      '## Server side (demo origin counters)',
      '',
      '| ip | TCP connections | TLS handshakes | TLS errors | requests |',
      '|---|---:|---:|---:|---:|',
      ...Object.entries(r.server).map(
        ([ip, s]) => `| ${ip} | ${s.connections} | ${s.tlsSessions} | ${s.tlsErrors} | ${s.requests} |`,
      ),
    )
  }
  const perHandshake = handshakes > 0 ? (requests / handshakes).toFixed(1) : '-'
  out.push(
    '',
    '## Hot vs cold',
    '',
    `${requests} requests went over ${handshakes} TLS handshakes (${warmed} of them opened by the warm-up before the first request): ` +
      `${perHandshake} requests per handshake, a reuse rate of ${h === undefined ? '-' : `${(h.reuseRate * 100).toFixed(1)}%`}. ` +
      `A cold client that connected for every request would have done ${requests} handshakes; the hot pool did ${handshakes}, ` +
      `${handshakes > 0 && requests > 0 ? `${((1 - handshakes / requests) * 100).toFixed(1)}% fewer` : 'none saved'}.`,
  )
  const warmErrors = warmupErrors(r.warmup)
  if (r.failures.length > 0 || warmErrors.length > 0) {
    out.push(
      '',
      '## Failures',
      '',
      ...warmErrors.map((line) => `- warm-up ${line}`),
      ...r.failures.slice(0, 20).map((f) => `- ${f.url}: ${f.last} after ${f.attempts} attempt(s)`),
    )
  }
  return out.join('\n') + '\n'
}
