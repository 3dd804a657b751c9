/**
 * Maps a raw config object (parsed TOML, or a programmatic input) onto canonical keys
 * ("pool.max_idle_conns"), resolving Go aliases and camelCase names, and rejecting unknown
 * keys, non-table sections and names given twice.
 */

import { ALIASES, SECTIONS, SECTION_NAMES, type SectionName } from './keys.js'
import type { ConfigContext } from './context.js'

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

export function normalize(input: unknown, ctx: ConfigContext, options: NormalizeOptions): RawValues {
  if (!isPlainTable(input)) {
    throw ctx.error('', undefined, 'the configuration must be a table (an object of sections)')
  }
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
    if ((SECTION_NAMES as string[]).includes(topKey)) {
      const section = topKey as SectionName
      if (topValue === undefined) continue
      if (!isPlainTable(topValue)) {
        throw ctx.error(section, section, `must be a table ([${section}]), got ${describe(topValue)}`)
      }
      for (const [key, value] of Object.entries(topValue)) {
        const canonicalKey = findInSection(section, key, options)
        if (canonicalKey === undefined) throw unknownKey(ctx, `${section}.${key}`, key, sectionNames(section, options))
        set(`${section}.${canonicalKey}`, value, `${section}.${key}`)
      }
      continue
    }
    const aliasTarget = ALIASES.get(topKey)
    if (aliasTarget !== undefined) {
      set(aliasTarget, topValue, topKey)
      continue
    }
    throw unknownKey(ctx, topKey, topKey, [...SECTION_NAMES, ...ALIASES.keys()])
  }
  return out
}

function findInSection(section: SectionName, key: string, options: NormalizeOptions): string | undefined {
  for (const [tomlKey, spec] of Object.entries(SECTIONS[section])) {
    if (key === tomlKey || key === spec.alias || (options.camelCase && key === spec.camel)) return tomlKey
  }
  return undefined
}

function sectionNames(section: SectionName, options: NormalizeOptions): string[] {
  return Object.entries(SECTIONS[section]).flatMap(([tomlKey, spec]) => [
    tomlKey,
    ...(spec.alias === undefined ? [] : [spec.alias]),
    ...(options.camelCase ? [spec.camel] : []),
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

/** Short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Date) return `a date (${value.toISOString()})`
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (typeof value === 'object') return 'a table'
  return typeof value
}
