/**
 * Builds the typed, validated, deeply frozen `Config` from a raw object (parsed TOML or
 * programmatic input).
 */

import { ConfigContext } from './context.js'
import { normalize, type NormalizeOptions } from './normalize.js'
import { DEFAULT_HEADER_KINDS, HEALTH_METHODS, PROFILE_NAMES, type Config, type ConfigInput } from './types.js'
import { ValueReader } from './values.js'

/** Builds a Config from `input` in the given context (file or object). Throws ConfigError. */
export function buildConfig(input: unknown, ctx: ConfigContext, options: NormalizeOptions): Config {
  const r = new ValueReader(normalize(input, ctx, options), ctx)

  const maxConnections = r.int('pool.max_connections', 1)
  const maxConnsPerHost = r.int('pool.max_conns_per_host', 1)
  const maxIdleConns = r.int('pool.max_idle_conns', 0)
  const maxConnsPerIp = r.optionalInt('pool.max_conns_per_ip', 1)
  const warmConnsPerIp = r.int('pool.warm_conns_per_ip', 0)
  if (maxConnsPerHost > maxConnections) {
    r.fail(
      'pool.max_conns_per_host',
      `(${maxConnsPerHost}) must not exceed pool.max_connections (${maxConnections}); lower it or raise max_connections`,
    )
  }
  if (maxIdleConns > maxConnections) {
    r.fail(
      'pool.max_idle_conns',
      `(${maxIdleConns}) must not exceed pool.max_connections (${maxConnections}); lower it or raise max_connections`,
    )
  }
  if (maxConnsPerIp !== undefined && maxConnsPerIp > maxConnsPerHost) {
    r.fail(
      'pool.max_conns_per_ip',
      `(${maxConnsPerIp}) must not exceed pool.max_conns_per_host (${maxConnsPerHost}); lower it or raise max_conns_per_host`,
    )
  }
  const warmCap = Math.min(maxConnsPerHost, maxConnsPerIp ?? maxConnsPerHost)
  if (warmConnsPerIp > warmCap) {
    const capKey =
      maxConnsPerIp !== undefined && maxConnsPerIp < maxConnsPerHost
        ? 'pool.max_conns_per_ip'
        : 'pool.max_conns_per_host'
    r.fail(
      'pool.warm_conns_per_ip',
      `(${warmConnsPerIp}) must not exceed ${capKey} (${warmCap}); lower it or raise ${capKey}`,
    )
  }

  const config: Config = {
    pool: {
      maxIdleConns,
      maxConnsPerHost,
      maxConnections,
      maxConnsPerIp,
      idleTimeoutMs: r.durationMs('pool.idle_timeout'),
      maxLifetimeMs: r.durationMs('pool.max_lifetime'),
      cleanupIntervalMs: r.durationMs('pool.cleanup_interval'),
      healthCheckIntervalMs: r.durationMs('pool.health_check_interval'),
      warmConnsPerIp,
      connectTimeoutMs: r.durationMs('pool.connect_timeout'),
      maxPending: r.int('pool.max_pending', 0),
      pendingTimeoutMs: r.durationMs('pool.pending_timeout'),
    },
    tls: {
      profile: r.choice('tls.profile', PROFILE_NAMES),
      verify: r.bool('tls.verify'),
      caFile: r.optionalString('tls.ca_file'),
      sessionResumption: r.bool('tls.session_resumption'),
    },
    dns: {
      servers: r.dnsServers('dns.servers'),
      refreshIntervalMs: r.durationMs('dns.refresh_interval'),
      family: r.choice('dns.family', [0, 4, 6] as const),
    },
    blacklist: {
      statusCodes: r.statusCodes('blacklist.status_codes'),
      failureThreshold: r.int('blacklist.failure_threshold', 1),
      ttlMs: r.durationMs('blacklist.ttl'),
      checkIntervalMs: r.durationMs('blacklist.check_interval'),
    },
    health: {
      path: healthPath(r),
      method: r.choice('health.method', HEALTH_METHODS),
      expect: r.statusRanges('health.expect'),
    },
    http2: {
      enabled: r.bool('http2.enabled'),
      maxConcurrentStreams: r.int('http2.max_concurrent_streams', 1, 2 ** 31 - 1),
      fallbackThreshold: r.int('http2.fallback_threshold', 1),
      fallbackTtlMs: r.durationMs('http2.fallback_ttl'),
      defaultHeaders: r.choice('http2.default_headers', DEFAULT_HEADER_KINDS),
    },
  }
  return deepFreeze(config)
}

function healthPath(r: ValueReader): string {
  const path = r.string('health.path')
  if (!path.startsWith('/') || /[\s#]/.test(path)) {
    r.fail(
      'health.path',
      `must be an absolute path starting with "/" without spaces or "#", got ${JSON.stringify(path)}`,
    )
  }
  return path
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
