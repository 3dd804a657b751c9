/** The text `hotconn tiles` prints at the end of a run: per-host tables, totals, statuses, blacklist, failures. */
import type { TileRunResult } from '../tiles/index.js'
import { formatHostTable } from './table.js'

function counts(rec: Record<string, number>): string {
  return (
    Object.entries(rec)
      .map(([k, n]) => `${k}×${n}`)
      .join(', ') || '-'
  )
}

/** The summary, ending in "OK", "INTERRUPTED: …" or "FAILED: …". */
export function formatTileSummary(r: TileRunResult): string {
  const lines = ['']
  for (const h of r.hosts) {
    lines.push(h.egress === 'direct' ? h.host : `${h.host} via ${h.egress}`, formatHostTable(h).trimEnd(), '')
  }
  const done = r.stored + r.skipped + r.existed
  lines.push(
    `${done}/${r.total} tiles stored in ${r.format} ${r.location}: ${r.stored} fetched now, ${r.skipped} already there${r.existed > 0 ? `, ${r.existed} stored by another run` : ''}; ${r.failed} failed`,
    `${r.responses} responses (${r.retries} retries) in ${(r.wallMs / 1000).toFixed(2)} s: ${r.tilesPerSecond.toFixed(1)} tiles/s; p50 ${fmt(r.p50Ms)}, p99 ${fmt(r.p99Ms)}`,
    `statuses: ${counts(r.statuses)}${Object.keys(r.errors).length > 0 ? `; errors: ${counts(r.errors)}` : ''}`,
    `blacklisted at the end: ${r.blacklisted.map((b) => `${b.ip} (${b.reason})`).join(', ') || 'none'}`,
    ...r.failures
      .slice(0, 10)
      .map((f) => `failed: ${f.tile.z}/${f.tile.x}/${f.tile.y} after ${f.attempts} attempt(s): ${f.reason}`),
    r.ok
      ? 'OK'
      : r.interrupted
        ? `INTERRUPTED: ${r.total - done} tiles left; run the same command again to continue`
        : `FAILED: ${r.failed} of ${r.total} tiles not stored`,
    '',
  )
  return lines.join('\n')
}

function fmt(ms: number | undefined): string {
  return ms === undefined ? '-' : Number.isFinite(ms) ? `≤ ${ms} ms` : '> 60 s'
}
