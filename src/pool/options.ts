/**
 * Options of HotConnPool: the typed Config (or a ConfigInput to resolve) plus the pool's
 * plug-ins (connector, resolver) and a few knobs that have no TOML key. Validated up front.
 */
import { readFileSync } from 'node:fs'
import type { Duplex } from 'node:stream'
import { resolveConfig, SECTION_NAMES, type Config, type ConfigInput, type ProfileName } from '../config/index.js'
import type { Egress } from '../egress/index.js'
import { ConfigError, InvalidArgumentError } from '../errors.js'
import { trustStoreFor } from '../tls/cert/roots.js'

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
  /**
   * ALPN protocols to offer instead of the profile's. The pool never sets it: the ClientHello is
   * the identity's on every path (HTTP/2 off, HTTP/2 fallback, retries, resumption).
   */
  alpn?: readonly string[]
  /**
   * The identity of the connection's partition (an identity name: `chrome-156-windows`): its
   * ClientHello must be that identity's. Custom connectors that speak one fingerprint may ignore it.
   */
  profile?: ProfileName
  /**
   * How the connection leaves (default direct): from a local address, or through a proxy. A
   * custom connector must open its stream with `openTunnel(egress, { host: ip, port }, …)` (or
   * its own equivalent) and run TLS over it; in a partition whose proxy resolves names, `ip` is
   * the host name.
   */
  egress?: Egress
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
  /** PEM trust anchors for the default connector (replace the default roots); default: config.tls.caFile. */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>
  /** PEM roots that verify https:// proxies (replace the system roots); default: config.egress.proxyCaFile. */
  proxyCa?: string | Buffer | ReadonlyArray<string | Buffer>
  /** PEM trust anchors added to the roots in use by the default connector; default: config.tls.extraCaFile. */
  extraCa?: string | Buffer | ReadonlyArray<string | Buffer>
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
  proxyCa: string | Buffer | ReadonlyArray<string | Buffer> | undefined
  extraCa: string | Buffer | ReadonlyArray<string | Buffer> | undefined
  drainGraceMs: number
  maxRetries: number
  dnsMinRefreshMs: number
  warmupConcurrency: number
}

const EXTRA_KEYS = [
  'connector',
  'resolver',
  'ca',
  'proxyCa',
  'extraCa',
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
  const ca = trustAnchors(raw, 'ca', 'tls.ca_file', config.tls.caFile, connector === undefined)
  const extraCa = trustAnchors(raw, 'extraCa', 'tls.extra_ca_file', config.tls.extraCaFile, connector === undefined)
  const proxyCa = trustAnchors(
    raw,
    'proxyCa',
    'egress.proxy_ca_file',
    config.egress.proxyCaFile,
    connector === undefined,
  )
  // Fail at construction, not at the first connection: PEM that does not decode, no OS store on this Node.
  if (connector === undefined && config.tls.verify) trustStoreFor({ ca, extraCa, useSystemCa: config.tls.useSystemCa })
  const p = config.pool
  return {
    config,
    connector: connector as Connector | undefined,
    resolver: resolver as Resolver | undefined,
    ca,
    extraCa,
    proxyCa,
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

/** The `ca` / `extraCa` option, else the PEM file its config key names (read when the default connector is used). */
function trustAnchors(
  raw: Record<string, unknown>,
  option: 'ca' | 'extraCa' | 'proxyCa',
  key: 'tls.ca_file' | 'tls.extra_ca_file' | 'egress.proxy_ca_file',
  file: string | undefined,
  read: boolean,
): ResolvedPoolOptions['ca'] {
  const given = raw[option] as ResolvedPoolOptions['ca']
  if (given !== undefined) {
    const list = Array.isArray(given) ? given : [given]
    if (!list.every((c) => typeof c === 'string' || Buffer.isBuffer(c))) {
      throw new InvalidArgumentError(`${option} must be a PEM string, a Buffer or an array of them`)
    }
    return given
  }
  if (file === undefined || !read) return undefined
  try {
    return readFileSync(file)
  } catch (err) {
    throw new ConfigError(`${key}: cannot read ${file}: ${(err as Error).message}; fix the path`, key)
  }
}
