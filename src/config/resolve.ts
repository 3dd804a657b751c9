/**
 * Builds the typed, validated, deeply frozen `Config` from a raw object (parsed TOML or
 * programmatic input): every row of the key table is read by its reader, then `checkCaps`
 * applies the rules that join several keys.
 */

import { ConfigContext } from './context.js'
import { rowsOf, SECTIONS, type SectionsTable } from './keys.js'
import { normalize, type NormalizeOptions } from './normalize.js'
import type { Config, ConfigInput, ConfigInputOf, ConfigOf } from './types.js'
import { Field } from './values.js'

/**
 * Builds the Config from `input` in the given context (file or object).
 * @throws ConfigError naming the key (and its line, for a file)
 */
export function buildConfig(input: unknown, ctx: ConfigContext, options: NormalizeOptions): Config {
  return buildFromTable(SECTIONS, input, ctx, options)
}

/** buildConfig for any key table (the shipped one, or a test's with a row added). */
export function buildFromTable<Table extends SectionsTable>(
  table: Table,
  input: unknown,
  ctx: ConfigContext,
  options: NormalizeOptions,
): ConfigOf<Table> {
  const raw = normalize(input, ctx, options, table)
  const config: Record<string, Record<string, unknown>> = {}
  for (const { section, name, key, spec } of rowsOf(table)) {
    const written = raw.get(key)
    const field = new Field(key, written === undefined ? spec.default : written.value, written?.where, ctx)
    ;(config[section] ??= {})[name] = spec.read.read(field)
  }
  checkCaps(config as unknown as Config, (key, problem) => {
    throw ctx.error(key, raw.get(key)?.where ?? key, problem)
  })
  return deepFreeze(config) as ConfigOf<Table>
}

/**
 * The rules that join several keys: no cap above the cap that contains it
 * (per IP <= per host <= overall; idle <= overall) and warm-up within the per-IP cap.
 * `fail(key, problem)` throws the ConfigError for `key`.
 */
export function checkCaps(config: Config, fail: (key: string, problem: string) => never): void {
  const { maxConnections, maxConnsPerHost, maxIdleConns, maxConnsPerIp, warmConnsPerIp } = config.pool
  const atMost = (key: string, value: number, capKey: string, cap: number, capName: string): void => {
    if (value > cap) fail(key, `(${value}) must not exceed ${capKey} (${cap}); lower it or raise ${capName}`)
  }
  atMost('pool.max_conns_per_host', maxConnsPerHost, 'pool.max_connections', maxConnections, 'max_connections')
  atMost('pool.max_idle_conns', maxIdleConns, 'pool.max_connections', maxConnections, 'max_connections')
  if (maxConnsPerIp !== undefined) {
    atMost('pool.max_conns_per_ip', maxConnsPerIp, 'pool.max_conns_per_host', maxConnsPerHost, 'max_conns_per_host')
  }
  const perIp = maxConnsPerIp !== undefined && maxConnsPerIp < maxConnsPerHost
  const capKey = perIp ? 'pool.max_conns_per_ip' : 'pool.max_conns_per_host'
  atMost('pool.warm_conns_per_ip', warmConnsPerIp, capKey, perIp ? maxConnsPerIp : maxConnsPerHost, capKey)
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

/**
 * Validates a programmatic configuration and fills in defaults. Accepts the typed camelCase
 * names (`{ pool: { maxIdleConns: 5, idleTimeoutMs: '30s' } }`), the TOML snake_case names and
 * the Go aliases. Returns a deeply frozen Config.
 * @throws ConfigError naming the key (no line) for unknown keys, wrong types, impossible values
 */
export function resolveConfig(input: ConfigInput = {}): Config {
  return buildConfig(input, new ConfigContext(undefined, undefined), { camelCase: true })
}

/**
 * A Config written back as programmatic input, camelCase names: resolving it gives
 * the same Config, so flags or code can override a loaded file key by key.
 */
export function configToInput(config: Config): ConfigInput {
  return tableToInput(SECTIONS, config)
}

/** configToInput for any key table. */
export function tableToInput<Table extends SectionsTable>(table: Table, config: ConfigOf<Table>): ConfigInputOf<Table> {
  const values = config as unknown as Record<string, Record<string, unknown>>
  const input: Record<string, Record<string, unknown>> = {}
  for (const { section, name, spec } of rowsOf(table)) {
    const value = values[section]?.[name]
    const out = (input[section] ??= {})
    if (value !== undefined) out[name] = spec.read.toInput(value)
  }
  return input as ConfigInputOf<Table>
}

let defaults: Config | undefined

/** The default configuration (deeply frozen; the same object on every call). */
export function defaultConfig(): Config {
  defaults ??= resolveConfig({})
  return defaults
}

/** Whether `status` falls in one of the health check's expected ranges. */
export function isExpectedStatus(expect: Config['health']['expect'], status: number): boolean {
  return expect.some((r) => status >= r.from && status <= r.to)
}
