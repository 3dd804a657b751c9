/**
 * Maps a raw config object (parsed TOML, or a programmatic input) onto canonical keys
 * ("pool.max_idle_conns"), resolving Go aliases and camelCase names, and rejecting unknown
 * keys, non-table sections and names given twice.
 */

import type { ConfigContext } from './context.js'
import { aliasesOf, SECTIONS, type KeySpec, type SectionsTable } from './keys.js'
import { describe } from './values.js'

/** A value and the path it was written at ("MaxIdleConns", "pool.idle_timeout"). */
export interface Located {
  readonly value: unknown
  readonly where: string
}

/** Canonical key -> value as written. */
export type RawValues = ReadonlyMap<string, Located>

export interface NormalizeOptions {
  /** Accept the typed camelCase names (`maxIdleConns`) as well (programmatic input). */
  readonly camelCase: boolean
}

export function isPlainTable(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

export function normalize(
  input: unknown,
  ctx: ConfigContext,
  options: NormalizeOptions,
  table: SectionsTable = SECTIONS,
): RawValues {
  if (!isPlainTable(input)) {
    throw ctx.error('', undefined, 'the configuration must be a table (an object of sections)')
  }
  const aliases = aliasesOf(table)
  const out = new Map<string, Located>()
  const set = (canonical: string, value: unknown, where: string): void => {
    if (value === undefined) return
    const previous = out.get(canonical)
    if (previous !== undefined) {
      throw ctx.error(canonical, where, `is set twice, as ${previous.where} and as ${where}; keep one of them`)
    }
    out.set(canonical, { value, where })
  }

  for (const [topKey, topValue] of Object.entries(input)) {
    const keys = Object.hasOwn(table, topKey) ? table[topKey] : undefined
    if (keys !== undefined) {
      if (topValue === undefined) continue
      if (!isPlainTable(topValue)) {
        throw ctx.error(topKey, topKey, `must be a table ([${topKey}]), got ${describe(topValue)}`)
      }
      for (const [key, value] of Object.entries(topValue)) {
        const spec = findInSection(keys, key, options)
        if (spec === undefined) throw unknownKey(ctx, `${topKey}.${key}`, key, sectionNames(keys, options))
        set(`${topKey}.${spec.toml}`, value, `${topKey}.${key}`)
      }
      continue
    }
    const row = aliases.get(topKey)
    if (row !== undefined) {
      set(row.key, topValue, topKey)
      continue
    }
    throw unknownKey(ctx, topKey, topKey, [...Object.keys(table), ...aliases.keys()])
  }
  return out
}

function findInSection(
  keys: Readonly<Record<string, KeySpec>>,
  key: string,
  options: NormalizeOptions,
): KeySpec | undefined {
  for (const [camel, spec] of Object.entries(keys)) {
    if (key === spec.toml || key === spec.alias || (options.camelCase && key === camel)) return spec
  }
  return undefined
}

function sectionNames(keys: Readonly<Record<string, KeySpec>>, options: NormalizeOptions): string[] {
  return Object.entries(keys).flatMap(([camel, spec]) => [
    spec.toml,
    ...(spec.alias === undefined ? [] : [spec.alias]),
    ...(options.camelCase && camel !== spec.toml ? [camel] : []),
  ])
}

function unknownKey(ctx: ConfigContext, path: string, key: string, known: readonly string[]): Error {
  const near = closest(key, known)
  const hint = near === undefined ? `known keys here: ${known.join(', ')}` : `did you mean ${near}?`
  return ctx.error(path, path, `is not a known key (${hint}); remove it or fix its name`)
}

/** The known name nearest to `key` (case-insensitive edit distance <= 3), if any. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 4
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost))
    }
    prev = row
  }
  return prev[b.length] ?? 0
}
