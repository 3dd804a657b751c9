/**
 * Two small SVG charts for the run report, written as plain SVG 1.1 text (no library): tiles per
 * second over time (a polyline) and the response-time histogram (bars on the 1-2-5 buckets).
 */
import type { TimelineBucket } from './run-stats.js'

const W = 640
const H = 240
const PAD = { left: 56, right: 16, top: 24, bottom: 40 }

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function frame(title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    `<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="#444"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}" stroke="#444"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n')
}

function nice(max: number): number {
  if (max <= 0) return 1
  const p = 10 ** Math.floor(Math.log10(max))
  return ([1, 2, 5, 10].find((m) => m * p >= max) ?? 10) * p
}

/** Tiles (stored + failed) per second in each timeline bucket. */
export function throughputSvg(timeline: readonly TimelineBucket[], bucketMs: number): string {
  const rates = timeline.map((b) => ((b.tiles + b.failed) * 1000) / bucketMs)
  const top = nice(Math.max(...rates, 1))
  const plotW = W - PAD.left - PAD.right
  const plotH = H - PAD.top - PAD.bottom
  const span = Math.max(timeline.length, 1)
  const pts = rates.map((r, i) => {
    const x = PAD.left + ((i + 0.5) / span) * plotW
    return `${x.toFixed(1)},${(H - PAD.bottom - (r / top) * plotH).toFixed(1)}`
  })
  const seconds = (span * bucketMs) / 1000
  return frame('tiles per second', [
    `<polyline fill="none" stroke="#2a6fb0" stroke-width="1.5" points="${pts.join(' ')}"/>`,
    `<text x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${top}</text>`,
    `<text x="${PAD.left - 6}" y="${H - PAD.bottom}" text-anchor="end">0</text>`,
    `<text x="${W - PAD.right}" y="${H - PAD.bottom + 16}" text-anchor="end">${seconds.toFixed(0)} s</text>`,
    `<text x="${PAD.left}" y="${H - PAD.bottom + 16}">0 s</text>`,
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">time since the first tile (${bucketMs / 1000} s buckets)</text>`,
  ])
}

/** Responses per latency bucket (upper bounds in ms; the last may be Infinity). */
export function latencySvg(buckets: readonly { leMs: number; count: number }[]): string {
  const top = nice(Math.max(...buckets.map((b) => b.count), 1))
  const plotW = W - PAD.left - PAD.right
  const plotH = H - PAD.top - PAD.bottom
  const bw = plotW / Math.max(buckets.length, 1)
  const body = buckets.flatMap((b, i) => {
    const h = (b.count / top) * plotH
    const x = PAD.left + i * bw
    const label = Number.isFinite(b.leMs) ? (b.leMs >= 1000 ? `${b.leMs / 1000}s` : `${b.leMs}`) : '+Inf'
    return [
      `<rect x="${(x + 2).toFixed(1)}" y="${(H - PAD.bottom - h).toFixed(1)}" width="${(bw - 4).toFixed(1)}" height="${h.toFixed(1)}" fill="#2a6fb0"><title>≤ ${label} ms: ${b.count}</title></rect>`,
      `<text x="${(x + bw / 2).toFixed(1)}" y="${H - PAD.bottom + 14}" text-anchor="middle">${label}</text>`,
    ]
  })
  return frame('response time (ms, upper bound of each bucket)', [
    ...body,
    `<text x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${top}</text>`,
    `<text x="${PAD.left - 6}" y="${H - PAD.bottom}" text-anchor="end">0</text>`,
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">responses per bucket</text>`,
  ])
}
