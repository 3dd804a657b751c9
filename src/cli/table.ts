/**
 * The per-IP table of a pool's stats (`HotConnPool.stats()`), as aligned text for a terminal or
 * as a Markdown table for reports.
 */
import type { HostStats, IpStats, PoolStats } from '../pool/index.js'

export interface IpTableOptions {
  /** Markdown table (for reports) instead of space-aligned columns. Default false. */
  markdown?: boolean
  /** Time the "until" column is relative to (epoch ms). Default Date.now(). */
  now?: number
}

const HEADER = [
  'ip',
  'state',
  'conns',
  'handshakes',
  'requests',
  'reuse',
  'p50 ms',
  'p99 ms',
  'failures',
  'blacklisted until',
] as const

/** `12.3` for a duration in ms, `-` before the first sample. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-'
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)
}

/** `87.5%` for a rate in [0, 1]. */
export function formatPercent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`
}

/** ISO time without milliseconds plus the remaining time: `2026-01-02T03:04:05Z (in 14m59s)`. */
export function formatUntil(until: Date, now: number): string {
  const iso = until.toISOString().replace(/\.\d{3}Z$/, 'Z')
  const left = Math.max(0, Math.round((until.getTime() - now) / 1000))
  const m = Math.floor(left / 60)
  const s = left % 60
  return `${iso} (in ${m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`})`
}

function row(ip: IpStats, now: number): string[] {
  return [
    ip.ip,
    ip.state,
    String(ip.connections),
    String(ip.handshakes),
    String(ip.requests),
    formatPercent(ip.reuseRate),
    formatMs(ip.p50Ms),
    formatMs(ip.p99Ms),
    String(ip.failures),
    ip.blacklisted === undefined ? '-' : `${formatUntil(ip.blacklisted.until, now)}: ${ip.blacklisted.reason}`,
  ]
}

function totalRow(host: HostStats): string[] {
  return [
    'total',
    '',
    String(host.connections),
    String(host.handshakes),
    String(host.requests),
    formatPercent(host.reuseRate),
    formatMs(host.p50Ms),
    formatMs(host.p99Ms),
    String(host.failures),
    host.blacklisted.length === 0 ? '-' : `${host.blacklisted.length} IP(s)`,
  ]
}

/** Right-aligns the numeric columns (2..8) of a text table. */
function pad(cell: string, width: number, column: number): string {
  return column >= 2 && column <= 8 ? cell.padStart(width) : cell.padEnd(width)
}

/**
 * One host's IPs, one row each, plus a total row: state, connections open now, handshakes,
 * requests, reuse rate ((requests − handshakes) / requests), p50/p99 response time (ms),
 * failures, and the blacklisting's end with its reason.
 */
export function formatHostTable(host: HostStats, options: IpTableOptions = {}): string {
  const now = options.now ?? Date.now()
  const rows = [...host.ips.map((ip) => row(ip, now)), totalRow(host)]
  if (options.markdown === true) {
    const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`
    const align = HEADER.map((_, i) => (i >= 2 && i <= 8 ? '---:' : '---'))
    return [line(HEADER), `|${align.join('|')}|`, ...rows.map(line)].join('\n') + '\n'
  }
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => pad(c, widths[i]!, i))
      .join('  ')
      .trimEnd()
  return [line(HEADER), ...rows.map(line)].join('\n') + '\n'
}

/** Every host of a pool snapshot: a `host` title line, then its table (see formatHostTable). */
export function formatPoolTable(stats: PoolStats, options: IpTableOptions = {}): string {
  const hosts = Object.values(stats.hosts)
  if (hosts.length === 0) return options.markdown === true ? '_no host contacted_\n' : 'no host contacted\n'
  return hosts
    .map((h) => {
      const name = h.egress === 'direct' ? h.host : `${h.host} via ${h.egress}`
      const title =
        options.markdown === true ? `**${name}**` : `${name}  (${h.connections} connections, ${h.pending} pending)`
      return `${title}\n${options.markdown === true ? '\n' : ''}${formatHostTable(h, options)}`
    })
    .join('\n')
}
