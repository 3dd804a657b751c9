/**
 * Options of HotConnPool: the typed Config (or a ConfigInput to resolve) plus the pool's
 * plug-ins (connector, resolver) and a few knobs that have no TOML key. Validated up front.
 */
import { readFileSync } from 'node:fs'
import type { Duplex } from 'node:stream'
import { resolveConfig, SECTION_NAMES, type Config, type ConfigInput } from '../config/index.js'
import { ConfigError, InvalidArgumentError } from '../errors.js'

/** What the pool asks of a connector: one TLS connection to `ip`, SNI `servername`. */
export interface ConnectorOptions {
  /** Hostname: certificate name check. */
  host: string
  /** Address to dial. */
  ip: string
  port: number
  /** SNI (= host). */
  servername: string
  /** Aborted when the pool closes. */
  signal: AbortSignal
  /** TCP connect + handshake deadline (ms). */
  timeout: number
  /** ALPN protocols to offer instead of the profile's (`['http/1.1']` when HTTP/2 is off or fell back for this IP). */
  alpn?: readonly string[]
}

/** Opens a connected, handshaken TLS socket (a TlsSocket-like Duplex; `alpnProtocol` 'h2' makes it an HTTP/2 connection). */
export type Connector = (options: ConnectorOptions) => Promise<Duplex>

/** One address of a host (the one definition, used by every resolver). */
export interface ResolvedAddress {
  address: string
  family: 4 | 6
  /** Remaining record TTL in ms (Infinity for IP literals and localhost). */
  ttlMs: number
}

/** A host's addresses (DnsResolver: distinct, IPv4 first, in answer order, never empty). */
export interface Resolution {
  addresses: readonly ResolvedAddress[]
  /** Smallest `ttlMs` among the addresses (ms). */
  minTtlMs: number
}

/** Resolves a hostname to every address (A and/or AAAA); rejects with DnsError. */
export interface Resolver {
  resolve(host: string): Promise<Resolution>
}

/** Options of `new HotConnPool()` / `HotConnPool.create()`: config keys plus the entries below. */
export interface HotConnPoolOptions extends ConfigInput {
  /** Opens connections; default: hotconn's TLS engine with config.tls (profile, verify, ca). */
  connector?: Connector
  /** Resolves hosts; default: hotconn's DnsResolver with config.dns. */
  resolver?: Resolver
  /** PEM trust anchors for the default connector (replace the system roots); default: config.tls.caFile. */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>
  /** How long idle connections of an IP that left DNS are kept while healthy (ms). Default min(idle_timeout, 30 s). */
  drainGraceMs?: number
  /** Retries of an idempotent request that failed before any response byte. Default 1. */
  maxRetries?: number
  /** Shortest time between two resolutions of a host (ms), whatever the TTL. Default min(1000, dns.refresh_interval). */
  dnsMinRefreshMs?: number
  /** Connections warm-up opens at once. Default 16. */
  warmupConcurrency?: number
}

export interface ResolvedPoolOptions {
  config: Config
  connector: Connector | undefined
  resolver: Resolver | undefined
  ca: string | Buffer | ReadonlyArray<string | Buffer> | undefined
  drainGraceMs: number
  maxRetries: number
  dnsMinRefreshMs: number
  warmupConcurrency: number
}

const EXTRA_KEYS = [
  'connector',
  'resolver',
  'ca',
  'drainGraceMs',
  'maxRetries',
  'dnsMinRefreshMs',
  'warmupConcurrency',
] as const

/** Whether `value` is an already-resolved Config (every section present and frozen). */
export function isResolvedConfig(value: unknown): value is Config {
  if (value === null || typeof value !== 'object') return false
  const v = value as Record<string, unknown>
  return SECTION_NAMES.every((s) => v[s] !== null && typeof v[s] === 'object' && Object.isFrozen(v[s]))
}

function nonNegativeInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a non-negative integer, got ${String(value)}`)
  }
  return value
}

/**
 * Validates and completes pool options. Throws ConfigError (config keys) or InvalidArgumentError
 * (connector, resolver, …) naming the option and the constraint.
 */
export function resolvePoolOptions(input: Config | HotConnPoolOptions = {}): ResolvedPoolOptions {
  if (input === null || typeof input !== 'object') {
    throw new InvalidArgumentError(
      'HotConnPool options must be an object (a Config or config keys plus connector/resolver)',
    )
  }
  const raw = input as Record<string, unknown>
  const rest: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(raw)) {
    if (!(EXTRA_KEYS as readonly string[]).includes(k)) rest[k] = v
  }
  const config = isResolvedConfig(rest) ? (rest as unknown as Config) : resolveConfig(rest as ConfigInput)

  const connector = raw['connector']
  if (connector !== undefined && typeof connector !== 'function') {
    throw new InvalidArgumentError(
      'connector must be a function (opts: { host, ip, port, servername, signal, timeout }) => Promise<Duplex>',
    )
  }
  const resolver = raw['resolver']
  if (resolver !== undefined && (resolver === null || typeof (resolver as Resolver).resolve !== 'function')) {
    throw new InvalidArgumentError('resolver must be an object with resolve(host) => Promise<{ addresses, minTtlMs }>')
  }
  let ca = raw['ca'] as ResolvedPoolOptions['ca']
  if (ca !== undefined) {
    const list = Array.isArray(ca) ? ca : [ca]
    if (!list.every((c) => typeof c === 'string' || Buffer.isBuffer(c))) {
      throw new InvalidArgumentError('ca must be a PEM string, a Buffer or an array of them')
    }
  } else if (config.tls.caFile !== undefined && connector === undefined) {
    try {
      ca = readFileSync(config.tls.caFile)
    } catch (err) {
      throw new ConfigError(
        `tls.ca_file: cannot read ${config.tls.caFile}: ${(err as Error).message}; fix the path`,
        'tls.ca_file',
      )
    }
  }
  const p = config.pool
  return {
    config,
    connector: connector as Connector | undefined,
    resolver: resolver as Resolver | undefined,
    ca,
    drainGraceMs:
      raw['drainGraceMs'] === undefined
        ? Math.min(p.idleTimeoutMs, 30_000)
        : nonNegativeInt('drainGraceMs', raw['drainGraceMs']),
    maxRetries: raw['maxRetries'] === undefined ? 1 : nonNegativeInt('maxRetries', raw['maxRetries']),
    dnsMinRefreshMs:
      raw['dnsMinRefreshMs'] === undefined
        ? Math.min(1000, config.dns.refreshIntervalMs)
        : nonNegativeInt('dnsMinRefreshMs', raw['dnsMinRefreshMs']),
    warmupConcurrency:
      raw['warmupConcurrency'] === undefined
        ? 16
        : Math.max(1, nonNegativeInt('warmupConcurrency', raw['warmupConcurrency'])),
  }
}
