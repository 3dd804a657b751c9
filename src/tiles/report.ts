/**
 * The run report, written only when asked: `reports/tiles-<host>.md` with the run's facts and
 * totals, per-status and per-IP tables, and beside it a throughput chart and a latency histogram
 * (SVG) and a preview mosaic of one zoom level (PNG).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { arch, cpus, platform, release } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { latencySvg, throughputSvg } from './charts.js'
import type { TileRunResult } from './job-result.js'
import { mosaicZoom, renderMosaic } from './mosaic.js'
import type { TileSource } from './source.js'
import { openTileStore } from './store.js'

export interface ReportOptions {
  /** The Markdown file. Default reports/tiles-<host>.md. */
  path?: string
  /** The tiles of the run (for the mosaic); without it, no mosaic. */
  tiles?: TileSource
  /** Zoom of the mosaic. Default: the deepest zoom whose tiles fit 64 × 64. */
  mosaicZoom?: number
  /** Report date. Default now. */
  date?: Date
}

/** Where a report goes by default: reports/tiles-<host of the template>.md. */
export function defaultReportPath(r: TileRunResult): string {
  const host = new URL(r.template.replace(/\{[^}]*\}/g, '0')).hostname
  return join('reports', `tiles-${host}.md`)
}

/** Writes the report and its charts and mosaic; resolves to the files written. */
export async function writeTileReport(r: TileRunResult, o: ReportOptions = {}): Promise<string[]> {
  const path = o.path ?? defaultReportPath(r)
  const base = basename(path).replace(/\.md$/i, '')
  const dir = dirname(path)
  await mkdir(dir, { recursive: true })
  const files: Record<string, string> = { throughput: `${base}-throughput.svg`, latency: `${base}-latency.svg` }
  await writeFile(join(dir, files.throughput!), throughputSvg(r.timeline, r.timelineBucketMs))
  await writeFile(join(dir, files.latency!), latencySvg(r.latency))
  const mosaic = o.tiles === undefined ? undefined : await mosaicFor(r, o.tiles, o.mosaicZoom)
  if (mosaic !== undefined) {
    files.mosaic = `${base}-mosaic-z${mosaic.z}.png`
    await writeFile(join(dir, files.mosaic), mosaic.png)
  }
  await writeFile(path, renderTileReport(r, files, mosaic, o.date ?? new Date()))
  return [path, ...Object.values(files).map((f) => join(dir, f))]
}

async function mosaicFor(r: TileRunResult, tiles: TileSource, zoom: number | undefined) {
  const z = zoom ?? mosaicZoom(tiles.tiles())
  if (z === undefined) return undefined
  const store = await openTileStore({
    format: r.format,
    location: r.location,
    extension: r.extension,
    metadata: { name: 'report', format: 'png' },
  })
  try {
    return await renderMosaic(store, tiles.tiles(), z)
  } finally {
    await store.close()
  }
}

function counts(rec: Record<string, number>): string {
  const e = Object.entries(rec)
  return e.length === 0 ? '-' : e.map(([k, n]) => `${k}: ${n}`).join(', ')
}

function ms(v: number | undefined): string {
  return v === undefined ? '-' : Number.isFinite(v) ? `≤ ${v} ms` : '> 60 s'
}

/** The Markdown text (see writeTileReport for the files it links). */
export function renderTileReport(
  r: TileRunResult,
  files: Record<string, string>,
  mosaic: { z: number; drawn: number; missing: number; undecodable: number } | undefined,
  date: Date,
): string {
  const cpu = cpus()
  const out = [
    `# hotconn tiles: ${r.template}`,
    '',
    `Result: **${r.ok ? 'PASS' : r.interrupted ? 'INTERRUPTED' : 'FAIL'}**`,
    '',
    `- Date: ${date.toISOString()}`,
    `- Machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'} × ${cpu.length}, ${platform()} ${release()} ${arch()}; Node ${process.version}`,
    `- Output: ${r.format} ${r.location}`,
    `- Rate: ${r.rate === undefined ? 'unlimited' : `${r.rate} requests/s per host`}; ${r.concurrency} requests in flight at most`,
    '',
    '## Totals',
    '',
    '| tiles | stored | already stored | stored by another | failed | retries | responses | bytes | wall time | tiles/s | p50 | p99 |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${r.total} | ${r.stored} | ${r.skipped} | ${r.existed} | ${r.failed} | ${r.retries} | ${r.responses} | ${r.bytes} | ${(r.wallMs / 1000).toFixed(2)} s | ${r.tilesPerSecond.toFixed(1)} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} |`,
    '',
    '## Responses by status',
    '',
    '| status | responses |',
    '|---|---:|',
    ...Object.entries(r.statuses).map(([s, n]) => `| ${s} | ${n} |`),
    ...Object.entries(r.errors).map(([c, n]) => `| ${c} (no response) | ${n} |`),
    '',
    ...ipSection(r),
    '## Charts',
    '',
    `![tiles per second](${files.throughput})`,
    '',
    `![response time histogram](${files.latency})`,
    '',
  ]
  if (mosaic !== undefined && files.mosaic !== undefined)
    out.push(
      `## Zoom ${mosaic.z}`,
      '',
      `![mosaic of zoom ${mosaic.z}](${files.mosaic})`,
      '',
      `${mosaic.drawn} tiles drawn, ${mosaic.missing} missing, ${mosaic.undecodable} not decodable as PNG.`,
      '',
    )
  if (r.failures.length > 0)
    out.push(
      '## Failures',
      '',
      ...r.failures
        .slice(0, 20)
        .map((f) => `- ${f.tile.z}/${f.tile.x}/${f.tile.y}: ${f.reason} after ${f.attempts} attempt(s)`),
      '',
    )
  return out.join('\n')
}

function ipSection(r: TileRunResult): string[] {
  const pool = new Map(r.hosts.flatMap((h) => h.ips.map((i) => [`${h.host} ${i.ip}`, i] as const)))
  return [
    '## Per IP',
    '',
    '| host | ip | state at the end | requests | statuses | errors | connections opened | reuse | pool p50 ms | pool p99 ms |',
    '|---|---|---|---:|---|---|---:|---:|---:|---:|',
    ...r.ips.map((i) => {
      const p = pool.get(`${i.host} ${i.ip}`)
      const reuse = p === undefined ? '-' : `${(p.reuseRate * 100).toFixed(1)}%`
      return `| ${i.host} | ${i.ip} | ${p?.state ?? '-'} | ${i.requests} | ${counts(i.statuses)} | ${counts(i.errors)} | ${p?.handshakes ?? '-'} | ${reuse} | ${p?.p50Ms?.toFixed(1) ?? '-'} | ${p?.p99Ms?.toFixed(1) ?? '-'} |`
    }),
    '',
    `Blacklisted at the end: ${r.blacklisted.map((b) => `${b.ip} (${b.reason})`).join(', ') || 'none'}.`,
    '',
  ]
}
