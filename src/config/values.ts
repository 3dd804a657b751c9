/**
 * Readers of configuration values: each checks one value as written (or its default), returns it
 * typed, and turns it back into input (so a loaded file can be overridden and resolved again).
 * The rows of keys.ts pick one reader per key; a problem is a ConfigError naming the key.
 */

import { isIP } from 'node:net'
import type { ConfigContext } from './context.js'
import { MAX_DURATION_MS, parseDurationString } from './duration.js'

/** An inclusive range of HTTP status codes (`{ from: 200, to: 399 }`). */
export interface StatusRange {
  readonly from: number
  readonly to: number
}

/** A duration in a config input: integer milliseconds or a string with units ("60s"). */
export type DurationInput = number | string

/**
 * A status-code expectation in a config input: an integer (204), a class ("2xx") or an
 * inclusive range ("200-399").
 */
export type StatusInput = number | string

/** One value being read: its canonical key ("pool.max_idle_conns"), the value and where it was written. */
export class Field {
  /**
   * @param key canonical key, or an element of it ("blacklist.status_codes[1]")
   * @param where the path as written ("MaxIdleConns", "pool.idle_timeout"); undefined for a default
   */
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly where: string | undefined,
    private readonly ctx: ConfigContext,
  ) {}

  /** Throws the ConfigError "<key> <problem>"; `problem` says what is wrong and what to do. */
  fail(problem: string): never {
    throw this.ctx.error(this.key, this.where ?? this.key, problem)
  }

  /** Element `i` of this (array) field, with `value`. */
  element(i: number, value: unknown): Field {
    return new Field(`${this.key}[${i}]`, value, this.where === undefined ? undefined : `${this.where}[${i}]`, this.ctx)
  }
}

/**
 * How one key is read: `read` checks the value and returns the typed value `T` (throwing
 * through `field.fail`); `toInput` writes a typed value back as input `I`, the type a
 * programmatic config accepts for the key.
 */
export interface Reader<T, I> {
  read(field: Field): T
  toInput(value: T): I
}

const same = <T>(value: T): T => value

function required(field: Field): unknown {
  if (field.value === undefined) return field.fail('is required')
  return field.value
}

/** The reader, or `undefined` when the key is unset and has no default. */
export function optional<T, I>(reader: Reader<T, I>): Reader<T | undefined, I | undefined> {
  return {
    read: (field) => (field.value === undefined ? undefined : reader.read(field)),
    toInput: (value) => (value === undefined ? undefined : reader.toInput(value)),
  }
}

function checkInt(field: Field, min: number, max: number): number {
  const value = required(field)
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    return field.fail(`must be an integer, got ${describe(value)}`)
  }
  if (value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`
    return field.fail(`must be an integer ${range}, got ${value}`)
  }
  return value
}

/** An integer in [min, max]. */
export function int(min: number, max = Number.MAX_SAFE_INTEGER): Reader<number, number> {
  return { read: (field) => checkInt(field, min, max), toInput: same }
}

/**
 * A positive duration in integer ms, at most MAX_DURATION_MS: integer milliseconds or a string
 * with units ("60s", "1m30s").
 */
export function duration(): Reader<number, DurationInput> {
  return { read: readDuration, toInput: same }
}

function readDuration(field: Field): number {
  const value = required(field)
  let ms: number | undefined
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    ms = value
  } else if (typeof value === 'string') {
    ms = parseDurationString(value)
    if (ms === undefined) {
      return field.fail(
        `must be a duration such as "250ms", "60s", "5m", "1h" or "1m30s" (whole milliseconds), got ${describe(value)}`,
      )
    }
  } else {
    return field.fail(`must be a duration: a string with units ("60s") or integer milliseconds, got ${describe(value)}`)
  }
  if (ms <= 0) return field.fail(`must be a positive duration, got ${describe(value)}`)
  if (ms > MAX_DURATION_MS) {
    return field.fail(`must be at most ${MAX_DURATION_MS} ms (about 24.8 days), got ${describe(value)}`)
  }
  return ms
}

/** `true` or `false`. */
export function bool(): Reader<boolean, boolean> {
  return {
    read: (field) => {
      const value = required(field)
      if (typeof value !== 'boolean') return field.fail(`must be true or false, got ${describe(value)}`)
      return value
    },
    toInput: same,
  }
}

function readText(field: Field): string {
  const value = required(field)
  if (typeof value !== 'string' || value.length === 0) {
    return field.fail(`must be a non-empty string, got ${describe(value)}`)
  }
  return value
}

/** A non-empty string. */
export function text(): Reader<string, string> {
  return { read: readText, toInput: same }
}

/** An absolute URL path: starts with "/", no whitespace or "#". */
export function urlPath(): Reader<string, string> {
  return {
    read: (field) => {
      const path = readText(field)
      if (!path.startsWith('/') || /[\s#]/.test(path)) {
        return field.fail(
          `must be an absolute path starting with "/" without spaces or "#", got ${JSON.stringify(path)}`,
        )
      }
      return path
    },
    toInput: same,
  }
}

/** One of `choices` (compared exactly). */
export function oneOf<const T extends string | number>(choices: readonly T[]): Reader<T, T> {
  return {
    read: (field) => {
      const found = choices.find((c) => c === field.value)
      if (found === undefined) {
        const list = choices.map((c) => (typeof c === 'string' ? `"${c}"` : String(c))).join(', ')
        return field.fail(`must be one of ${list}, got ${describe(field.value)}`)
      }
      return found
    },
    toInput: same,
  }
}

/** Each element of the array read by `element`, in order. */
function readArray<T>(field: Field, element: (field: Field) => T): T[] {
  const value = required(field)
  if (!Array.isArray(value)) return field.fail(`must be an array, got ${describe(value)}`)
  return value.map((v: unknown, i) => element(field.element(i, v)))
}

/** HTTP status codes (100–599), each once, order kept. */
export function statusCodes(): Reader<readonly number[], readonly number[]> {
  return {
    read: (field) => {
      const seen = new Set<number>()
      return readArray(field, (f) => {
        const code = checkInt(f, 100, 599)
        if (seen.has(code)) f.fail(`repeats status ${code}; list each status once`)
        seen.add(code)
        return code
      })
    },
    toInput: (codes) => [...codes],
  }
}

/**
 * Status expectations: integers (204), classes ("2xx") or inclusive ranges ("200-399"), at
 * least one; returned sorted with overlapping and adjacent ranges merged.
 */
export function statusRanges(): Reader<readonly StatusRange[], readonly StatusInput[]> {
  return {
    read: (field) => {
      const ranges = readArray(field, readStatusRange)
      if (ranges.length === 0) return field.fail('must list at least one status, class ("2xx") or range ("200-399")')
      ranges.sort((a, b) => a.from - b.from)
      const merged: StatusRange[] = []
      for (const r of ranges) {
        const last = merged[merged.length - 1]
        if (last !== undefined && r.from <= last.to + 1)
          merged[merged.length - 1] = { from: last.from, to: Math.max(last.to, r.to) }
        else merged.push(r)
      }
      return merged
    },
    toInput: (ranges) => ranges.map((r) => (r.from === r.to ? r.from : `${r.from}-${r.to}`)),
  }
}

function readStatusRange(field: Field): StatusRange {
  const value = field.value
  const bad = (): never =>
    field.fail(`must be a status (204), a class ("2xx") or a range ("200-399") within 100-599, got ${describe(value)}`)
  if (typeof value === 'number') {
    const code = checkInt(field, 100, 599)
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
export function dnsServers(): Reader<readonly string[], readonly string[]> {
  return {
    read: (field) =>
      readArray(field, (f) => {
        if (typeof f.value !== 'string' || parseServer(f.value) === undefined) {
          return f.fail(
            `must be an IP address with an optional port ("127.0.0.1:5353", "[::1]:53", "9.9.9.9"), got ${describe(f.value)}`,
          )
        }
        return f.value.trim()
      }),
    toInput: (servers) => [...servers],
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
