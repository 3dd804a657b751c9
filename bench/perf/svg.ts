/**
 * Two small SVG charts written by hand (no chart library): horizontal box plots of latency
 * distributions, and panels of bars with min – max whiskers. Self-contained files a browser opens.
 */

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"'
const ROLE_COLORS: Record<string, string> = { hotconn: '#d9480f', baseline: '#1c7ed6', peer: '#868e96' }

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function niceStep(span: number, ticks: number): number {
  const raw = span / ticks
  const mag = 10 ** Math.floor(Math.log10(raw))
  const f = raw / mag
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag
}

function fmtTick(v: number): string {
  if (v >= 1000) return `${(v / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })}k`
  return v.toLocaleString('en-US', { maximumFractionDigits: v < 10 ? 2 : 0 })
}

function quant(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

export interface BoxSeries {
  readonly label: string
  /** 'hotconn' | 'baseline' | 'peer' (colour). */
  readonly role: string
  /** Lighter fill (e.g. cold rows). */
  readonly light?: boolean
  readonly values: readonly number[]
}

export interface Marker {
  readonly at: number
  readonly label: string
}

/**
 * Box plots on a log-10 x axis: whiskers p1 – p99, box p25 – p75, line at the median, dots
 * beyond p99 left out; `markers` draw dashed vertical lines (e.g. 1 RTT, 3 RTT).
 */
export function boxPlotSvg(
  title: string,
  subtitle: string,
  unit: string,
  series: readonly BoxSeries[],
  markers: readonly Marker[] = [],
): string {
  const rows = series.filter((s) => s.values.length > 0)
  const labelW = 250
  const plotW = 560
  const rowH = 26
  const top = 58
  const width = labelW + plotW + 30
  const height = top + rows.length * rowH + 50
  // Axis from the smallest p1 to the largest p99 (and the markers), padded 15 % either way.
  const ends = rows.flatMap((s) => {
    const sorted = [...s.values].filter((v) => v > 0).sort((a, b) => a - b)
    return sorted.length > 0 ? [quant(sorted, 0.01), quant(sorted, 0.99)] : []
  })
  const lo = Math.min(...ends, ...markers.map((m) => m.at)) / 1.15
  const hi = Math.max(...ends, ...markers.map((m) => m.at)) * 1.15
  const lmin = Math.log10(lo)
  const lmax = Math.log10(hi) > lmin ? Math.log10(hi) : lmin + 1
  const x = (v: number): number =>
    labelW + ((Math.log10(Math.min(Math.max(v, 10 ** lmin), 10 ** lmax)) - lmin) / (lmax - lmin)) * plotW
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="600">${esc(title)}</text>`,
    `<text x="10" y="38" fill="#555">${esc(subtitle)}</text>`,
  ]
  // Grid: 1, 1.5, 2, 3, 5, 7 × 10^k inside the axis (bold at powers of ten).
  for (let e = Math.floor(lmin); e <= Math.ceil(lmax); e++) {
    for (const m of [1, 1.5, 2, 3, 5, 7]) {
      const v = m * 10 ** e
      if (v < 10 ** lmin || v > 10 ** lmax) continue
      const gx = x(v)
      out.push(
        `<line x1="${gx.toFixed(1)}" y1="${top - 6}" x2="${gx.toFixed(1)}" y2="${top + rows.length * rowH}" stroke="${m === 1 ? '#ccc' : '#eee'}"/>`,
      )
      out.push(
        `<text x="${gx.toFixed(1)}" y="${top + rows.length * rowH + 16}" text-anchor="middle" fill="#555">${fmtTick(v)}</text>`,
      )
    }
  }
  out.push(
    `<text x="${labelW + plotW / 2}" y="${height - 12}" text-anchor="middle" fill="#333">${esc(unit)} (log scale)</text>`,
  )
  for (const m of markers) {
    const mx = x(m.at)
    out.push(
      `<line x1="${mx.toFixed(1)}" y1="${top - 10}" x2="${mx.toFixed(1)}" y2="${top + rows.length * rowH}" stroke="#2b8a3e" stroke-dasharray="4 3"/>`,
    )
    out.push(`<text x="${(mx + 3).toFixed(1)}" y="${top - 12}" fill="#2b8a3e">${esc(m.label)}</text>`)
  }
  rows.forEach((s, i) => {
    const sorted = [...s.values].sort((a, b) => a - b)
    const [p1, p25, p50, p75, p99] = [0.01, 0.25, 0.5, 0.75, 0.99].map((q) => quant(sorted, q)) as [
      number,
      number,
      number,
      number,
      number,
    ]
    const cy = top + i * rowH + rowH / 2
    const color = ROLE_COLORS[s.role] ?? '#495057'
    out.push(`<text x="${labelW - 8}" y="${cy + 4}" text-anchor="end">${esc(s.label)}</text>`)
    out.push(`<line x1="${x(p1).toFixed(1)}" y1="${cy}" x2="${x(p99).toFixed(1)}" y2="${cy}" stroke="${color}"/>`)
    for (const w of [p1, p99])
      out.push(
        `<line x1="${x(w).toFixed(1)}" y1="${cy - 5}" x2="${x(w).toFixed(1)}" y2="${cy + 5}" stroke="${color}"/>`,
      )
    out.push(
      `<rect x="${x(p25).toFixed(1)}" y="${cy - 8}" width="${Math.max(1, x(p75) - x(p25)).toFixed(1)}" height="16" fill="${color}" fill-opacity="${s.light ? 0.25 : 0.6}" stroke="${color}"><title>${esc(`${s.label}: p1 ${p1.toFixed(2)}, p25 ${p25.toFixed(2)}, p50 ${p50.toFixed(2)}, p75 ${p75.toFixed(2)}, p99 ${p99.toFixed(2)} ${unit}; n = ${sorted.length}`)}</title></rect>`,
    )
    out.push(
      `<line x1="${x(p50).toFixed(1)}" y1="${cy - 8}" x2="${x(p50).toFixed(1)}" y2="${cy + 8}" stroke="#000" stroke-width="2"/>`,
    )
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}

export interface Bar {
  readonly label: string
  readonly role: string
  readonly median: number
  readonly min: number
  readonly max: number
}

export interface BarPanel {
  readonly title: string
  readonly unit: string
  readonly bars: readonly Bar[]
}

/** Panels side by side, one horizontal bar per client (median) with a min – max whisker over the rounds. */
export function barPanelsSvg(title: string, subtitle: string, panels: readonly BarPanel[]): string {
  const labelW = 180
  const panelW = 250
  const gap = 30
  const rowH = 24
  const top = 70
  const n = Math.max(...panels.map((p) => p.bars.length), 1)
  const width = labelW + panels.length * (panelW + gap) + 10
  const height = top + n * rowH + 40
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="600">${esc(title)}</text>`,
    `<text x="10" y="38" fill="#555">${esc(subtitle)}</text>`,
  ]
  const labels = panels[0]?.bars.map((b) => b.label) ?? []
  labels.forEach((l, i) =>
    out.push(`<text x="${labelW - 8}" y="${top + i * rowH + rowH / 2 + 4}" text-anchor="end">${esc(l)}</text>`),
  )
  panels.forEach((p, k) => {
    const x0 = labelW + k * (panelW + gap)
    const maxV = Math.max(...p.bars.map((b) => b.max), 1e-9)
    const step = niceStep(maxV, 4)
    const top2 = Math.ceil(maxV / step) * step
    const x = (v: number): number => x0 + (v / top2) * panelW
    out.push(`<text x="${x0}" y="${top - 16}" font-weight="600">${esc(p.title)}</text>`)
    for (let v = 0; v <= top2 + step / 2; v += step) {
      out.push(
        `<line x1="${x(v).toFixed(1)}" y1="${top - 4}" x2="${x(v).toFixed(1)}" y2="${top + n * rowH}" stroke="#eee"/>`,
      )
      out.push(
        `<text x="${x(v).toFixed(1)}" y="${top + n * rowH + 14}" text-anchor="middle" fill="#555">${fmtTick(v)}</text>`,
      )
    }
    out.push(
      `<text x="${x0 + panelW / 2}" y="${top + n * rowH + 30}" text-anchor="middle" fill="#333">${esc(p.unit)}</text>`,
    )
    for (const b of p.bars) {
      const i = labels.indexOf(b.label)
      if (i < 0) continue
      const cy = top + i * rowH + rowH / 2
      const color = ROLE_COLORS[b.role] ?? '#495057'
      out.push(
        `<rect x="${x0}" y="${cy - 8}" width="${Math.max(0.5, x(b.median) - x0).toFixed(1)}" height="16" fill="${color}" fill-opacity="0.75"><title>${esc(`${b.label}: median ${b.median.toFixed(1)} ${p.unit} (rounds ${b.min.toFixed(1)} – ${b.max.toFixed(1)})`)}</title></rect>`,
      )
      out.push(`<line x1="${x(b.min).toFixed(1)}" y1="${cy}" x2="${x(b.max).toFixed(1)}" y2="${cy}" stroke="#000"/>`)
      for (const w of [b.min, b.max])
        out.push(`<line x1="${x(w).toFixed(1)}" y1="${cy - 4}" x2="${x(w).toFixed(1)}" y2="${cy + 4}" stroke="#000"/>`)
    }
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
