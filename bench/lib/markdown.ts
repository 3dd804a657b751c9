/** A GitHub-flavoured markdown table; numeric-looking columns are right-aligned. */
export function markdownTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => String(c)))
  const numeric = headers.map(
    (_, i) =>
      cells.length > 0 &&
      cells.every((r) => /^[-+]?[\d.,]+(\s*[–-]\s*[\d.,]+)?\s*(×|%|µs|ms|\/s|MB\/s)?$/.test(r[i] ?? '')),
  )
  const widths = headers.map((h, i) => Math.max(h.length, 3, ...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: readonly string[]): string =>
    `| ${r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`
  const rule = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`
  return [line(headers), rule, ...cells.map(line)].join('\n')
}

/** Formats a number with `digits` significant decimals and thousands separators. */
export function fmt(value: number, digits = 1): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}
