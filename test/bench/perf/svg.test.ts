import { describe, expect, it } from 'vitest'
import { barPanelsSvg, boxPlotSvg } from '../../../bench/perf/svg.js'

describe('bench SVG charts', () => {
  it('draws one box per non-empty series with its median line, and the markers', () => {
    const svg = boxPlotSvg(
      't',
      's',
      'ms',
      [
        { label: 'a — hot', role: 'hotconn', values: [10, 11, 12, 13, 14] },
        { label: 'a — cold', role: 'hotconn', light: true, values: [30, 31, 32] },
        { label: 'empty', role: 'peer', values: [] },
      ],
      [{ at: 10, label: '1 RTT' }],
    )
    expect(svg.startsWith('<svg ')).toBe(true)
    expect(svg.trim().endsWith('</svg>')).toBe(true)
    expect(svg.match(/<rect x=/g)?.length).toBe(2)
    expect(svg).toContain('a — cold')
    expect(svg).not.toContain('>empty<')
    expect(svg).toContain('1 RTT')
    expect(svg).toContain('p50 12.00')
  })

  it('escapes labels and scales bars to the largest whisker', () => {
    const svg = barPanelsSvg('t', 's', [
      {
        title: 'p',
        unit: 'req/s',
        bars: [
          { label: 'x<y & z', role: 'baseline', median: 50, min: 40, max: 100 },
          { label: 'w', role: 'hotconn', median: 25, min: 20, max: 30 },
        ],
      },
    ])
    expect(svg).toContain('x&lt;y &amp; z')
    expect(svg).not.toContain('x<y')
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="16"/g)].map((m) =>
      Number(m[1]),
    )
    expect(widths).toHaveLength(2)
    expect(widths[0]! / widths[1]!).toBeCloseTo(2, 1)
  })
})
