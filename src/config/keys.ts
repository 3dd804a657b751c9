/**
 * The table of configuration keys: for each section and TOML (snake_case) key, the typed
 * camelCase name, the Go original's CamelCase alias if it has one, and the default as it would
 * be written in TOML. `config/config.toml` documents the same table.
 *
 * Go aliases are accepted both at the top level (the Go original's flat config) and inside
 * their section; setting an alias and its snake_case key (or the alias twice) is an error.
 */

export type SectionName = 'pool' | 'tls' | 'dns' | 'blacklist' | 'health' | 'http2'

export interface KeySpec {
  /** camelCase name in the typed `Config` (durations end in `Ms`). */
  readonly camel: string
  /** The Go original's CamelCase field name. */
  readonly alias?: string
  /** Default, written as in TOML; `undefined` = unset. */
  readonly default: unknown
}

export const SECTIONS: Readonly<Record<SectionName, Readonly<Record<string, KeySpec>>>> = {
  pool: {
    max_idle_conns: { camel: 'maxIdleConns', alias: 'MaxIdleConns', default: 20 },
    max_conns_per_host: { camel: 'maxConnsPerHost', alias: 'MaxConnsPerHost', default: 10 },
    max_connections: { camel: 'maxConnections', alias: 'MaxConnections', default: 100 },
    max_conns_per_ip: { camel: 'maxConnsPerIp', default: undefined },
    idle_timeout: { camel: 'idleTimeoutMs', alias: 'IdleTimeout', default: '60s' },
    max_lifetime: { camel: 'maxLifetimeMs', alias: 'MaxLifetime', default: '5m' },
    cleanup_interval: { camel: 'cleanupIntervalMs', alias: 'CleanupInterval', default: '60s' },
    health_check_interval: { camel: 'healthCheckIntervalMs', alias: 'HealthCheckInterval', default: '30s' },
    warm_conns_per_ip: { camel: 'warmConnsPerIp', default: 1 },
    connect_timeout: { camel: 'connectTimeoutMs', alias: 'ConnTimeout', default: '10s' },
    max_pending: { camel: 'maxPending', default: 1000 },
    pending_timeout: { camel: 'pendingTimeoutMs', default: '30s' },
  },
  tls: {
    profile: { camel: 'profile', default: 'chrome-latest-windows' },
    verify: { camel: 'verify', default: true },
    ca_file: { camel: 'caFile', default: undefined },
    session_resumption: { camel: 'sessionResumption', default: true },
  },
  dns: {
    servers: { camel: 'servers', default: [] },
    refresh_interval: { camel: 'refreshIntervalMs', alias: 'DNSUpdateInterval', default: '30m' },
    family: { camel: 'family', default: 0 },
  },
  blacklist: {
    status_codes: { camel: 'statusCodes', default: [403, 429] },
    failure_threshold: { camel: 'failureThreshold', default: 3 },
    ttl: { camel: 'ttlMs', default: '15m' },
    check_interval: { camel: 'checkIntervalMs', alias: 'BlacklistCheckInterval', default: '5m' },
  },
  health: {
    path: { camel: 'path', default: '/' },
    method: { camel: 'method', default: 'HEAD' },
    expect: { camel: 'expect', default: ['2xx', '3xx'] },
  },
  http2: {
    enabled: { camel: 'enabled', default: true },
    max_concurrent_streams: { camel: 'maxConcurrentStreams', default: 100 },
    fallback_threshold: { camel: 'fallbackThreshold', default: 3 },
    fallback_ttl: { camel: 'fallbackTtlMs', default: '10m' },
    default_headers: { camel: 'defaultHeaders', default: 'image' },
  },
}

export const SECTION_NAMES = Object.keys(SECTIONS) as SectionName[]

/** Go alias -> canonical key ("MaxIdleConns" -> "pool.max_idle_conns"). */
export const ALIASES: ReadonlyMap<string, string> = new Map(
  SECTION_NAMES.flatMap((section) =>
    Object.entries(SECTIONS[section]).flatMap(([key, spec]) =>
      spec.alias === undefined ? [] : [[spec.alias, `${section}.${key}`] as const],
    ),
  ),
)
