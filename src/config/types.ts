/**
 * The typed, validated configuration. Every object is deeply frozen. Durations are integer
 * milliseconds (names end in `Ms`); counts are integers. The TOML names are snake_case
 * (`pool.max_idle_conns`); the typed names are camelCase (`config.pool.maxIdleConns`).
 */

/**
 * Browser identities a config may name (`tls.profile`): the identity names and aliases of
 * `fingerprint/identity/table.ts` (config sits below fingerprint, so the list is kept here; the
 * identity table asserts at compile time that its names are exactly these, and a test checks the order).
 */
export const PROFILE_NAMES = [
  'chrome-156-windows',
  'chrome-156-macos',
  'chrome-156-linux',
  'chrome-156-android',
  'edge-156-windows',
  'edge-156-macos',
  'firefox-153-windows',
  'firefox-153-macos',
  'firefox-153-linux',
  'chrome-latest-windows',
  'chrome-latest-macos',
  'chrome-latest-linux',
  'chrome-latest-android',
  'edge-latest-windows',
  'edge-latest-macos',
  'firefox-latest-windows',
  'firefox-latest-macos',
  'firefox-latest-linux',
  'chrome',
  'firefox',
] as const
/** A name from PROFILE_NAMES, e.g. `chrome-latest-windows`. */
export type ProfileName = (typeof PROFILE_NAMES)[number]

/** Methods the health check may use. */
export const HEALTH_METHODS = ['HEAD', 'GET'] as const
export type HealthMethod = (typeof HEALTH_METHODS)[number]

/** An inclusive range of HTTP status codes (`{ from: 200, to: 399 }`). */
export interface StatusRange {
  readonly from: number
  readonly to: number
}

export interface PoolConfig {
  /** Idle connections kept per host, across its IPs. TOML `max_idle_conns`, default 20. */
  readonly maxIdleConns: number
  /** Connections (idle + in use) per host. TOML `max_conns_per_host`, default 10. */
  readonly maxConnsPerHost: number
  /** Connections across all hosts. TOML `max_connections`, default 100. */
  readonly maxConnections: number
  /** Connections per (host, IP); `undefined` = only the per-host cap applies. TOML `max_conns_per_ip`. */
  readonly maxConnsPerIp: number | undefined
  /** An idle connection is closed after this long (ms). TOML `idle_timeout`, default 60 s. */
  readonly idleTimeoutMs: number
  /** A connection is retired after this long since it opened (ms). TOML `max_lifetime`, default 5 min. */
  readonly maxLifetimeMs: number
  /** Period of the idle/lifetime housekeeper (ms). TOML `cleanup_interval`, default 60 s. */
  readonly cleanupIntervalMs: number
  /** Period of the idle-connection health check (ms). TOML `health_check_interval`, default 30 s. */
  readonly healthCheckIntervalMs: number
  /** Connections opened to each IP by warm-up. TOML `warm_conns_per_ip`, default 1. */
  readonly warmConnsPerIp: number
  /** TCP + TLS handshake deadline (ms). TOML `connect_timeout`, default 10 s. */
  readonly connectTimeoutMs: number
  /** Requests that may wait for a connection; 0 = fail at once when full. TOML `max_pending`, default 1000. */
  readonly maxPending: number
  /** How long a request may wait for a connection (ms). TOML `pending_timeout`, default 30 s. */
  readonly pendingTimeoutMs: number
}

export interface TlsConfig {
  /** Fingerprint profile, one of PROFILE_NAMES. TOML `profile`, default "chrome". */
  readonly profile: ProfileName
  /** Verify the server's certificate chain and name. TOML `verify`, default true. */
  readonly verify: boolean
  /** PEM file of extra trusted roots (path as written in the config). TOML `ca_file`, default none. */
  readonly caFile: string | undefined
  /**
   * Resume TLS sessions with tickets from earlier connections to the same host, as browsers do
   * (TLS 1.3 PSK, TLS 1.2 RFC 5077). Only verified connections store or use tickets.
   * TOML `session_resumption`, default true.
   */
  readonly sessionResumption: boolean
}

export interface DnsConfig {
  /** Servers as "ip" or "ip:port" ("[v6]:port"); empty = the system resolver. TOML `servers`. */
  readonly servers: readonly string[]
  /** Upper bound between re-resolutions of a host (ms); record TTLs shorten it. Default 30 min. */
  readonly refreshIntervalMs: number
  /** Address family: 4, 6 or 0 for both. TOML `family`, default 0. */
  readonly family: 0 | 4 | 6
}

export interface BlacklistConfig {
  /** Response statuses that count as strikes against an IP. Default [403, 429]. */
  readonly statusCodes: readonly number[]
  /** Strikes in a row that blacklist an IP. TOML `failure_threshold`, default 3. */
  readonly failureThreshold: number
  /** How long an IP stays blacklisted (ms). TOML `ttl`, default 15 min. */
  readonly ttlMs: number
  /** Period of the blacklist expiry / re-probe loop (ms). TOML `check_interval`, default 5 min. */
  readonly checkIntervalMs: number
}

export interface HealthConfig {
  /** Path the health check requests; starts with "/". Default "/". */
  readonly path: string
  /** Method of the health check. Default "HEAD". */
  readonly method: HealthMethod
  /** Statuses that count as healthy: sorted, merged, inclusive ranges. Default 200–399. */
  readonly expect: readonly StatusRange[]
}

/** Kinds of browser default headers a request may get (`none`: only the caller's). */
export const DEFAULT_HEADER_KINDS = [
  'image',
  'navigation',
  'document',
  'script',
  'style',
  'font',
  'empty',
  'none',
] as const
export type DefaultHeaderKind = (typeof DEFAULT_HEADER_KINDS)[number]

export interface Http2Config {
  /** Offer h2 in ALPN (before http/1.1, as browsers do). TOML `enabled`, default true. */
  readonly enabled: boolean
  /** Streams one HTTP/2 connection carries at once at most; the server's SETTINGS_MAX_CONCURRENT_STREAMS may lower it. Default 100. */
  readonly maxConcurrentStreams: number
  /** HTTP/2 failures in a row to an IP after which it is dialed with ALPN http/1.1 only. Default 3. */
  readonly fallbackThreshold: number
  /** How long an IP stays on HTTP/1.1 after that (ms). TOML `fallback_ttl`, default 10 min. */
  readonly fallbackTtlMs: number
  /**
   * The identity's default request headers (user-agent, sec-ch-ua, sec-fetch-*, accept, …) by Fetch
   * destination (`document` — alias `navigation` —, `image`, `script`, `style`, `font`, `empty`),
   * applied to HTTP/2 and HTTP/1.1 requests unless the caller sets them; `none` sends only the
   * caller's. Default "image".
   */
  readonly defaultHeaders: DefaultHeaderKind
}

export interface Config {
  readonly pool: PoolConfig
  readonly tls: TlsConfig
  readonly dns: DnsConfig
  readonly blacklist: BlacklistConfig
  readonly health: HealthConfig
  readonly http2: Http2Config
}

/** A duration in a config input: integer milliseconds or a string with units ("60s"). */
export type DurationInput = number | string

/**
 * A status-code expectation in a config input: an integer (204), a class ("2xx") or an
 * inclusive range ("200-399").
 */
export type StatusInput = number | string

/**
 * Programmatic input for `resolveConfig`: every key optional, camelCase names; durations also
 * accept strings with units. The TOML (snake_case) names and the Go CamelCase aliases are
 * accepted too, as in a file.
 */
export interface ConfigInput {
  pool?: {
    maxIdleConns?: number
    maxConnsPerHost?: number
    maxConnections?: number
    maxConnsPerIp?: number
    idleTimeoutMs?: DurationInput
    maxLifetimeMs?: DurationInput
    cleanupIntervalMs?: DurationInput
    healthCheckIntervalMs?: DurationInput
    warmConnsPerIp?: number
    connectTimeoutMs?: DurationInput
    maxPending?: number
    pendingTimeoutMs?: DurationInput
    [tomlOrAliasName: string]: unknown
  }
  tls?: {
    profile?: string
    verify?: boolean
    caFile?: string
    sessionResumption?: boolean
    [tomlOrAliasName: string]: unknown
  }
  dns?: {
    servers?: readonly string[]
    refreshIntervalMs?: DurationInput
    family?: number
    [tomlOrAliasName: string]: unknown
  }
  blacklist?: {
    statusCodes?: readonly number[]
    failureThreshold?: number
    ttlMs?: DurationInput
    checkIntervalMs?: DurationInput
    [tomlOrAliasName: string]: unknown
  }
  health?: { path?: string; method?: string; expect?: readonly StatusInput[]; [tomlOrAliasName: string]: unknown }
  http2?: {
    enabled?: boolean
    maxConcurrentStreams?: number
    fallbackThreshold?: number
    fallbackTtlMs?: DurationInput
    defaultHeaders?: string
    [tomlOrAliasName: string]: unknown
  }
  /** Go-style flat aliases at the top level (`MaxIdleConns`, `IdleTimeout`, …). */
  [goAlias: string]: unknown
}
