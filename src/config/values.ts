/**
 * Typed readers over normalized values: each reads one canonical key (falling back to its
 * default from keys.ts), checks type and range, and throws a ConfigError naming the key.
 */

import { isIP } from 'node:net'
import type { ConfigContext } from './context.js'
import { MAX_DURATION_MS, parseDurationString } from './duration.js'
import { SECTIONS, type SectionName } from './keys.js'
import { describe, type RawValues } from './normalize.js'
import type { StatusRange } from './types.js'

export class ValueReader {
  constructor(
    private readonly raw: RawValues,
    private readonly ctx: ConfigContext,
  ) {}

  /** The value of `key` as written (or its default) and the path it was written at. */
  private get(key: string): { value: unknown; where: string | undefined } {
    const found = this.raw.get(key)
    if (found !== undefined) return found
    const [section, name] = key.split('.') as [SectionName, string]
    return { value: SECTIONS[section][name]?.default, where: undefined }
  }

  /** Whether `key` was set explicitly. */
  has(key: string): boolean {
    return this.raw.has(key)
  }

  fail(key: string, problem: string, where?: string): never {
    throw this.ctx.error(key, where ?? this.raw.get(key)?.where ?? key, problem)
  }

  /** An integer in [min, max]; `undefined` if unset and without default. */
  optionalInt(key: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const { value, where } = this.get(key)
    if (value === undefined) return undefined
    return this.checkInt(key, value, where, min, max)
  }

  int(key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const n = this.optionalInt(key, min, max)
    if (n === undefined) return this.fail(key, 'is required')
    return n
  }

  private checkInt(key: string, value: unknown, where: string | undefined, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      return this.fail(key, `must be an integer, got ${describe(value)}`, where)
    }
    if (value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`
      return this.fail(key, `must be an integer ${range}, got ${value}`, where)
    }
    return value
  }

  /** A positive duration in ms: integer milliseconds or a string with units ("60s", "1m30s"). */
  durationMs(key: string): number {
    const { value, where } = this.get(key)
    let ms: number | undefined
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) {
        return this.fail(
          key,
          `must be a duration: a string with units ("60s") or integer milliseconds, got ${describe(value)}`,
          where,
        )
      }
      ms = value
    } else if (typeof value === 'string') {
      ms = parseDurationString(value)
      if (ms === undefined) {
        return this.fail(
          key,
          `must be a duration such as "250ms", "60s", "5m", "1h" or "1m30s" (whole milliseconds), got ${describe(value)}`,
          where,
        )
      }
    } else {
      return this.fail(
        key,
        `must be a duration: a string with units ("60s") or integer milliseconds, got ${describe(value)}`,
        where,
      )
    }
    if (ms <= 0) return this.fail(key, `must be a positive duration, got ${describe(value)}`, where)
    if (ms > MAX_DURATION_MS) {
      return this.fail(key, `must be at most ${MAX_DURATION_MS} ms (about 24.8 days), got ${describe(value)}`, where)
    }
    return ms
  }

  bool(key: string): boolean {
    const { value, where } = this.get(key)
    if (typeof value !== 'boolean') return this.fail(key, `must be true or false, got ${describe(value)}`, where)
    return value
  }

  optionalString(key: string): string | undefined {
    const { value, where } = this.get(key)
    if (value === undefined) return undefined
    if (typeof value !== 'string' || value.length === 0) {
      return this.fail(key, `must be a non-empty string, got ${describe(value)}`, where)
    }
    return value
  }

  string(key: string): string {
    const s = this.optionalString(key)
    if (s === undefined) return this.fail(key, 'is required')
    return s
  }

  /** One of `choices` (compared exactly). */
  choice<T extends string | number>(key: string, choices: readonly T[]): T {
    const { value, where } = this.get(key)
    const found = choices.find((c) => c === value)
    if (found === undefined) {
      const list = choices.map((c) => (typeof c === 'string' ? `"${c}"` : String(c))).join(', ')
      return this.fail(key, `must be one of ${list}, got ${describe(value)}`, where)
    }
    return found
  }

  /** An array; each element is checked by `element(value, path)`. */
  array<T>(key: string, element: (value: unknown, where: string | undefined, index: number) => T): T[] {
    const { value, where } = this.get(key)
    if (!Array.isArray(value)) return this.fail(key, `must be an array, got ${describe(value)}`, where)
    return value.map((v: unknown, i) => element(v, where === undefined ? undefined : `${where}[${i}]`, i))
  }

  /** HTTP status codes (100–599), no duplicates, order kept. */
  statusCodes(key: string): number[] {
    const codes = this.array(key, (v, where, i) => this.checkInt(`${key}[${i}]`, v, where, 100, 599))
    const seen = new Set<number>()
    codes.forEach((code, i) => {
      if (seen.has(code))
        this.fail(`${key}[${i}]`, `repeats status ${code}; list each status once`, this.elementWhere(key, i))
      seen.add(code)
    })
    return codes
  }

  /**
   * Status expectations: integers (204), classes ("2xx") or inclusive ranges ("200-399"),
   * returned sorted with overlapping and adjacent ranges merged.
   */
  statusRanges(key: string): StatusRange[] {
    const ranges = this.array(key, (v, where, i) => this.statusRange(`${key}[${i}]`, v, where))
    if (ranges.length === 0) return this.fail(key, 'must list at least one status, class ("2xx") or range ("200-399")')
    ranges.sort((a, b) => a.from - b.from)
    const merged: StatusRange[] = []
    for (const r of ranges) {
      const last = merged[merged.length - 1]
      if (last !== undefined && r.from <= last.to + 1)
        merged[merged.length - 1] = { from: last.from, to: Math.max(last.to, r.to) }
      else merged.push(r)
    }
    return merged
  }

  private statusRange(key: string, value: unknown, where: string | undefined): StatusRange {
    const bad = (): never =>
      this.fail(
        key,
        `must be a status (204), a class ("2xx") or a range ("200-399") within 100-599, got ${describe(value)}`,
        where,
      )
    if (typeof value === 'number') {
      const code = this.checkInt(key, value, where, 100, 599)
      return { from: code, to: code }
    }
    if (typeof value !== 'string') return bad()
    const cls = /^([1-5])xx$/i.exec(value.trim())
    if (cls !== null) {
      const hundred = Number(cls[1]) * 100
      return { from: hundred, to: hundred + 99 }
    }
    const range = /^(\d{3})\s*-\s*(\d{3})$/.exec(value.trim())
    if (range !== null) {
      const from = Number(range[1])
      const to = Number(range[2])
      if (from < 100 || to > 599 || from > to) return bad()
      return { from, to }
    }
    if (/^\d{3}$/.test(value.trim())) {
      const code = Number(value.trim())
      if (code >= 100 && code <= 599) return { from: code, to: code }
    }
    return bad()
  }

  /** DNS servers: "ip", "ip:port", "[v6]" or "[v6]:port"; returned as written (trimmed). */
  dnsServers(key: string): string[] {
    return this.array(key, (v, where, i) => {
      if (typeof v !== 'string' || parseServer(v) === undefined) {
        return this.fail(
          `${key}[${i}]`,
          `must be an IP address with an optional port ("127.0.0.1:5353", "[::1]:53", "9.9.9.9"), got ${describe(v)}`,
          where,
        )
      }
      return v.trim()
    })
  }

  private elementWhere(key: string, i: number): string | undefined {
    const where = this.raw.get(key)?.where
    return where === undefined ? undefined : `${where}[${i}]`
  }
}

/** Splits a DNS server entry into address and port (default 53); undefined if malformed. */
export function parseServer(entry: string): { address: string; port: number } | undefined {
  const text = entry.trim()
  let address = text
  let portText: string | undefined
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  if (bracketed !== null) {
    address = bracketed[1] ?? ''
    portText = bracketed[2]
    if (isIP(address) !== 6) return undefined
  } else if (isIP(text) === 0) {
    const colon = text.lastIndexOf(':')
    if (colon < 0) return undefined
    address = text.slice(0, colon)
    portText = text.slice(colon + 1)
    if (isIP(address) !== 4) return undefined
  }
  if (portText === undefined) return { address, port: 53 }
  if (!/^\d{1,5}$/.test(portText)) return undefined
  const port = Number(portText)
  if (port < 1 || port > 65535) return undefined
  return { address, port }
}
