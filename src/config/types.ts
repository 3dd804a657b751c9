/**
 * The typed, validated configuration, derived from the key table (keys.ts): one field per row,
 * typed by the row's reader, documented by the row's comment. Every object is deeply frozen.
 * Durations are integer milliseconds (names end in `Ms`); counts are integers. The TOML names
 * are snake_case (`pool.max_idle_conns`); the typed names are camelCase (`config.pool.maxIdleConns`).
 */

import type { KeySpec, SECTIONS, SectionsTable } from './keys.js'
import type { Reader } from './values.js'

export {
  DEFAULT_HEADER_KINDS,
  HEALTH_METHODS,
  PROFILE_NAMES,
  PROXY_RESOLVE,
  ROTATIONS,
  STATUS_BLAME,
  isProfileName,
  type DefaultHeaderKind,
  type ProxyResolve,
  type Rotation,
  type StatusBlame,
  type HealthMethod,
  type ProfileName,
} from './keys.js'
export type { DurationInput, StatusInput, StatusRange } from './values.js'

/** Flattens an intersection into one object type (for readable hovers and `interface … extends`). */
type Simplify<T> = { [K in keyof T]: T[K] } & {}

/** The typed value a row's reader returns. */
type ValueOf<Row> = Row extends { read: Reader<infer T, any> } ? T : never
/** What a programmatic input may give for a row. */
type InputOf<Row> = Row extends { read: Reader<any, infer I> } ? Exclude<I, undefined> : never
type TomlName<Row> = Row extends { toml: infer N extends string } ? N : never
type AliasName<Row> = Row extends { alias: infer A extends string } ? A : never

/** The typed values of a section: `{ readonly maxIdleConns: number, … }`. */
export type SectionConfig<Keys> = { readonly [K in keyof Keys]: ValueOf<Keys[K]> }

/** Input of a section: the camelCase names, the TOML names and the Go aliases, all optional. */
export type SectionInput<Keys> = Simplify<
  { -readonly [K in keyof Keys]?: InputOf<Keys[K]> } & {
    -readonly [K in keyof Keys as TomlName<Keys[K]>]?: InputOf<Keys[K]>
  } & { -readonly [K in keyof Keys as AliasName<Keys[K]>]?: InputOf<Keys[K]> }
>

type RowOf<Table> = { [S in keyof Table]: Table[S][keyof Table[S]] }[keyof Table]

/** The Go aliases accepted at the top level (the Go original's flat config). */
export type TopLevelAliases<Table> = {
  -readonly [Row in RowOf<Table> as AliasName<Row>]?: InputOf<Row>
}

/** The typed configuration of a key table. */
export type ConfigOf<Table extends SectionsTable> = { readonly [S in keyof Table]: SectionConfig<Table[S]> }

/** The programmatic input of a key table: every section and key optional. */
export type ConfigInputOf<Table extends SectionsTable> = Simplify<
  { -readonly [S in keyof Table]?: SectionInput<Table[S]> } & TopLevelAliases<Table>
>

type Sections = typeof SECTIONS

// Named interfaces over the derived types, so that hovers and errors say `PoolConfig`, not the
// expanded table. Each is exactly its derived type (test/config/types.test-d.ts checks it);
// a new key needs nothing here, a new section one line in each list.

export interface PoolConfig extends SectionConfig<Sections['pool']> {}
export interface TlsConfig extends SectionConfig<Sections['tls']> {}
export interface DnsConfig extends SectionConfig<Sections['dns']> {}
export interface BlacklistConfig extends SectionConfig<Sections['blacklist']> {}
export interface HealthConfig extends SectionConfig<Sections['health']> {}
export interface Http2Config extends SectionConfig<Sections['http2']> {}
export interface EgressConfig extends SectionConfig<Sections['egress']> {}

/** The typed, validated, deeply frozen configuration (`resolveConfig`, `loadConfig`). */
export interface Config {
  readonly pool: PoolConfig
  readonly tls: TlsConfig
  readonly dns: DnsConfig
  readonly blacklist: BlacklistConfig
  readonly health: HealthConfig
  readonly http2: Http2Config
  readonly egress: EgressConfig
}

export interface PoolInput extends SectionInput<Sections['pool']> {}
export interface TlsInput extends SectionInput<Sections['tls']> {}
export interface DnsInput extends SectionInput<Sections['dns']> {}
export interface BlacklistInput extends SectionInput<Sections['blacklist']> {}
export interface HealthInput extends SectionInput<Sections['health']> {}
export interface Http2Input extends SectionInput<Sections['http2']> {}
export interface EgressInput extends SectionInput<Sections['egress']> {}

/**
 * Programmatic input for `resolveConfig`: every key optional, camelCase names; durations also
 * accept strings with units. The TOML (snake_case) names and the Go CamelCase aliases are
 * accepted too, as in a file (the aliases also at the top level). Closed: a misspelt key does
 * not compile.
 */
export interface ConfigInput extends TopLevelAliases<Sections> {
  pool?: PoolInput
  tls?: TlsInput
  dns?: DnsInput
  blacklist?: BlacklistInput
  health?: HealthInput
  http2?: Http2Input
  egress?: EgressInput
}

/** A row of the key table (for code that walks it). */
export type { KeySpec }
