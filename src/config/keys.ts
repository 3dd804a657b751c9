/**
 * The table of configuration keys, the one source of every key's facts. Each row of a section
 * is keyed by its typed camelCase name (durations end in `Ms`) and gives:
 *   - `toml`: its snake_case name in the TOML file,
 *   - `alias`: the Go original's CamelCase field name, if it has one,
 *   - `default`: the default as it would be written in TOML (`undefined` = unset),
 *   - `read`: the reader that checks a value and types it (values.ts).
 * The row's doc comment is the key's documentation: the typed `Config` and `ConfigInput`
 * (types.ts) are derived from this table and carry it. Cross-key rules live in resolve.ts
 * (`checkCaps`). `config/config.toml` documents the same table; a test keeps the two equal.
 *
 * Adding a key is one row here and one line in `config/config.toml`.
 *
 * Go aliases are accepted both at the top level (the Go original's flat config) and inside
 * their section; setting an alias and its snake_case key (or the alias twice) is an error.
 */

import {
  bool,
  dnsServers,
  duration,
  int,
  oneOf,
  optional,
  statusCodes,
  statusRanges,
  text,
  urlPath,
  type Reader,
} from './values.js'
import { cidr, headerLines, ipAddresses, proxyUrls } from './egress-values.js'

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

/** Whether `name` is a shipped identity name or alias. */
export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name)
}

/** Methods the health check may use. */
export const HEALTH_METHODS = ['HEAD', 'GET'] as const
export type HealthMethod = (typeof HEALTH_METHODS)[number]

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

/** How a pool rotates its egresses (proxies, local addresses) over requests. */
export const ROTATIONS = ['round-robin', 'random', 'sticky'] as const
export type Rotation = (typeof ROTATIONS)[number]

/**
 * Whom a blocking status blames (README "Blame"): `auto` the IP when it is the odd one out, else the
 * (egress, host) pair; `ip` always the IP that answered; `egress` always the pair, never an IP.
 */
export const STATUS_BLAME = ['auto', 'ip', 'egress'] as const
export type StatusBlame = (typeof STATUS_BLAME)[number]

/** Who resolves a target's name through an HTTP proxy: the pool (per-IP pools) or the proxy (by name). */
export const PROXY_RESOLVE = ['local', 'proxy'] as const
export type ProxyResolve = (typeof PROXY_RESOLVE)[number]

/** One row of the table. `default` must be a valid input of `read` (every config build reads it). */
export interface KeySpec<T = unknown, I = unknown> {
  readonly toml: string
  readonly alias?: string
  readonly default: I | undefined
  readonly read: Reader<T, I>
}

/** A table of sections, each a table of rows keyed by camelCase name. */
export type SectionsTable = Readonly<Record<string, Readonly<Record<string, KeySpec<any, any>>>>>

export const SECTIONS = {
  pool: {
    /** Idle connections kept per host, across its IPs. TOML `max_idle_conns`, default 20. */
    maxIdleConns: { toml: 'max_idle_conns', alias: 'MaxIdleConns', default: 20, read: int(0) },
    /** Connections (idle + in use) per host. TOML `max_conns_per_host`, default 10. */
    maxConnsPerHost: { toml: 'max_conns_per_host', alias: 'MaxConnsPerHost', default: 10, read: int(1) },
    /** Connections across all hosts. TOML `max_connections`, default 100. */
    maxConnections: { toml: 'max_connections', alias: 'MaxConnections', default: 100, read: int(1) },
    /** Connections per (host, IP); `undefined` = only the per-host cap applies. TOML `max_conns_per_ip`. */
    maxConnsPerIp: { toml: 'max_conns_per_ip', default: undefined, read: optional(int(1)) },
    /** An idle connection is closed after this long (ms). TOML `idle_timeout`, default 60 s. */
    idleTimeoutMs: { toml: 'idle_timeout', alias: 'IdleTimeout', default: '60s', read: duration() },
    /** A connection is retired after this long since it opened (ms). TOML `max_lifetime`, default 5 min. */
    maxLifetimeMs: { toml: 'max_lifetime', alias: 'MaxLifetime', default: '5m', read: duration() },
    /** Period of the idle/lifetime housekeeper (ms). TOML `cleanup_interval`, default 60 s. */
    cleanupIntervalMs: { toml: 'cleanup_interval', alias: 'CleanupInterval', default: '60s', read: duration() },
    /** Period of the idle-connection health check (ms). TOML `health_check_interval`, default 30 s. */
    healthCheckIntervalMs: {
      toml: 'health_check_interval',
      alias: 'HealthCheckInterval',
      default: '30s',
      read: duration(),
    },
    /** Connections opened to each IP by warm-up. TOML `warm_conns_per_ip`, default 1. */
    warmConnsPerIp: { toml: 'warm_conns_per_ip', default: 1, read: int(0) },
    /** TCP + TLS handshake deadline (ms). TOML `connect_timeout`, default 10 s. */
    connectTimeoutMs: { toml: 'connect_timeout', alias: 'ConnTimeout', default: '10s', read: duration() },
    /** Requests that may wait for a connection; 0 = fail at once when full. TOML `max_pending`, default 1000. */
    maxPending: { toml: 'max_pending', default: 1000, read: int(0) },
    /** How long a request may wait for a connection (ms). TOML `pending_timeout`, default 30 s. */
    pendingTimeoutMs: { toml: 'pending_timeout', default: '30s', read: duration() },
    /**
     * How long a request waits for the response head once sent (ms), unless the request
     * sets `headersTimeout`. TOML `headers_timeout`, default 30 s. undici's 300 s lets one mute server
     * hold a crawler's slot for five minutes; a server that has not started answering a tile or page
     * within 30 s is stalled (Go's Transport users set ResponseHeaderTimeout to 10-30 s, and a browser
     * user gives up on a blank page well before 300 s). A timed-out request is never retried by the pool.
     * Ends with HeadersTimeoutError (UND_ERR_HEADERS_TIMEOUT) on HTTP/1.1 and HTTP/2.
     */
    headersTimeoutMs: { toml: 'headers_timeout', default: '30s', read: duration() },
    /**
     * How long a response body may go without data (ms, between chunks), unless the
     * request sets `bodyTimeout`. TOML `body_timeout`, default 30 s: a transfer that makes no progress
     * for 30 s is stalled (the same reasoning as headers_timeout); a slow but moving body is not cut.
     * Ends with BodyTimeoutError (UND_ERR_BODY_TIMEOUT) on HTTP/1.1 and HTTP/2, never retried.
     */
    bodyTimeoutMs: { toml: 'body_timeout', default: '30s', read: duration() },
  },
  tls: {
    /** Browser identity, one of PROFILE_NAMES. TOML `profile`, default "chrome-latest-windows". */
    profile: { toml: 'profile', default: 'chrome-latest-windows', read: oneOf(PROFILE_NAMES) },
    /** Verify the server's certificate chain and name. TOML `verify`, default true. */
    verify: { toml: 'verify', default: true, read: bool() },
    /**
     * PEM file of CA certificates that replace the default roots (Node's bundled Mozilla roots and
     * NODE_EXTRA_CA_CERTS); path as written in the config. TOML `ca_file`, default none.
     */
    caFile: { toml: 'ca_file', default: undefined, read: optional(text()) },
    /** PEM file of CA certificates added to the roots in use (default roots, or ca_file). TOML `extra_ca_file`, default none. */
    extraCaFile: { toml: 'extra_ca_file', default: undefined, read: optional(text()) },
    /**
     * Also trust the operating system's certificate store (`tls.getCACertificates('system')`, Node >= 22.15 /
     * 23.8; ERR_TLS_UNSUPPORTED on an older Node). TOML `use_system_ca`, default false.
     */
    useSystemCa: { toml: 'use_system_ca', default: false, read: bool() },
    /**
     * Resume TLS sessions with tickets from earlier connections to the same host, as browsers do
     * (TLS 1.3 PSK, TLS 1.2 RFC 5077). Only verified connections store or use tickets.
     * TOML `session_resumption`, default true.
     */
    sessionResumption: { toml: 'session_resumption', default: true, read: bool() },
  },
  dns: {
    /** Servers as "ip" or "ip:port" ("[v6]:port"); empty = the system resolver. TOML `servers`. */
    servers: { toml: 'servers', default: [], read: dnsServers() },
    /** Upper bound between re-resolutions of a host (ms); record TTLs shorten it. Default 30 min. */
    refreshIntervalMs: { toml: 'refresh_interval', alias: 'DNSUpdateInterval', default: '30m', read: duration() },
    /** Address family: 4, 6 or 0 for both. TOML `family`, default 0. */
    family: { toml: 'family', default: 0, read: oneOf([0, 4, 6]) },
  },
  egress: {
    /**
     * Proxies requests leave through, rotated by `rotation`: `http://`, `https://` (HTTP CONNECT,
     * Basic auth from the URL's user:password), `socks5://` (SOCKS5, the pool resolves the target)
     * and `socks5h://` (SOCKS5, the proxy resolves it). Empty (default): connections go direct.
     */
    proxies: { toml: 'proxies', default: [], read: proxyUrls() },
    /**
     * Through http:// and https:// proxies: `local` (default) resolves the host here and CONNECTs
     * to each IP (hot connections to every IP, SNI = host); `proxy` CONNECTs to host:port and
     * lets the proxy resolve (by name). SOCKS5 proxies follow their scheme (socks5 / socks5h).
     */
    resolve: { toml: 'resolve', default: 'local', read: oneOf(PROXY_RESOLVE) },
    /** How requests pick an egress: `round-robin` (default), `random`, or `sticky` (one egress per host for sticky_ttl). */
    rotation: { toml: 'rotation', default: 'round-robin', read: oneOf(ROTATIONS) },
    /** How long a host keeps its egress under `sticky` rotation (ms). Default 10 min. */
    stickyTtlMs: { toml: 'sticky_ttl', default: '10m', read: duration() },
    /** Extra header lines ("Name: value") sent on every HTTP CONNECT. Default none. */
    connectHeaders: { toml: 'connect_headers', default: [], read: headerLines() },
    /** PEM file of the roots that verify https:// proxies (replaces the system roots). Default none. */
    proxyCaFile: { toml: 'proxy_ca_file', default: undefined, read: optional(text()) },
    /**
     * Local source addresses to bind: without proxies each is an egress of its own (rotated like
     * proxies); with proxies they are the source of the connections to the proxies, in turn. Default none.
     */
    localAddresses: { toml: 'local_addresses', default: [], read: ipAddresses() },
    /** An address prefix ("2001:db8:1::/64") from which `local_prefix_addresses` source addresses are drawn at start. */
    localPrefix: { toml: 'local_prefix', default: undefined, read: optional(cidr()) },
    /** Addresses drawn from `local_prefix`. Default 16. */
    localPrefixAddresses: { toml: 'local_prefix_addresses', default: 16, read: int(1, 65_536) },
    /** Connections through one egress, across hosts; unset (default): only the per-host caps apply. */
    maxConnsPerEgress: { toml: 'max_conns_per_egress', default: undefined, read: optional(int(1)) },
  },
  blacklist: {
    /** Response statuses that count as strikes against an IP. Default [403, 429]. */
    statusCodes: { toml: 'status_codes', default: [403, 429], read: statusCodes() },
    /**
     * Whom a blocking status blames: "auto" (the IP when it is the odd one out, else the (egress,
     * host) pair), "ip" (the IP that answered, always) or "egress" (the pair, never an IP). Default "auto".
     */
    statusBlame: { toml: 'status_blame', default: 'auto', read: oneOf(STATUS_BLAME) },
    /** Strikes in a row that blacklist an IP. TOML `failure_threshold`, default 3. */
    failureThreshold: { toml: 'failure_threshold', default: 3, read: int(1) },
    /** How long an IP stays blacklisted (ms). TOML `ttl`, default 15 min. */
    ttlMs: { toml: 'ttl', default: '15m', read: duration() },
    /** Period of the blacklist expiry / re-probe loop (ms). TOML `check_interval`, default 5 min. */
    checkIntervalMs: { toml: 'check_interval', alias: 'BlacklistCheckInterval', default: '5m', read: duration() },
  },
  health: {
    /** Path the health check requests; starts with "/". Default "/". */
    path: { toml: 'path', default: '/', read: urlPath() },
    /** Method of the health check. Default "HEAD". */
    method: { toml: 'method', default: 'HEAD', read: oneOf(HEALTH_METHODS) },
    /** Statuses that count as healthy: sorted, merged, inclusive ranges. Default 200–399. */
    expect: { toml: 'expect', default: ['2xx', '3xx'], read: statusRanges() },
  },
  http2: {
    /**
     * Multiplex over HTTP/2. ALPN offers h2, http/1.1 either way (the browser's hello); false: a
     * server that picks h2 gets one stream per connection. TOML `enabled`, default true.
     */
    enabled: { toml: 'enabled', default: true, read: bool() },
    /** Streams one HTTP/2 connection carries at once at most; the server's SETTINGS_MAX_CONCURRENT_STREAMS may lower it. Default 100. */
    maxConcurrentStreams: {
      toml: 'max_concurrent_streams',
      default: 100,
      read: int(1, 2 ** 31 - 1),
    },
    /** HTTP/2 failures in a row to an IP after which its new connections carry one stream at a time. Default 3. */
    fallbackThreshold: { toml: 'fallback_threshold', default: 3, read: int(1) },
    /** How long an IP stays without multiplexing after that (ms). TOML `fallback_ttl`, default 10 min. */
    fallbackTtlMs: { toml: 'fallback_ttl', default: '10m', read: duration() },
    /**
     * The identity's default request headers (user-agent, sec-ch-ua, sec-fetch-*, accept, …) by Fetch
     * destination (`document` — alias `navigation` —, `image`, `script`, `style`, `font`, `empty`),
     * applied to HTTP/2 and HTTP/1.1 requests unless the caller sets them; `none` sends only the
     * caller's. Default "image".
     */
    defaultHeaders: { toml: 'default_headers', default: 'image', read: oneOf(DEFAULT_HEADER_KINDS) },
  },
} as const satisfies SectionsTable

export type SectionName = keyof typeof SECTIONS

export const SECTION_NAMES = Object.keys(SECTIONS) as SectionName[]

/** One row of a table with its place: section, camelCase name and canonical key ("pool.max_idle_conns"). */
export interface Row {
  readonly section: string
  readonly name: string
  readonly key: string
  readonly spec: KeySpec
}

const rowCache = new WeakMap<SectionsTable, readonly Row[]>()

/** Every row of `table`, in order. */
export function rowsOf(table: SectionsTable): readonly Row[] {
  let rows = rowCache.get(table)
  if (rows === undefined) {
    rows = Object.entries(table).flatMap(([section, keys]) =>
      Object.entries(keys).map(([name, spec]) => ({ section, name, key: `${section}.${spec.toml}`, spec })),
    )
    rowCache.set(table, rows)
  }
  return rows
}

const aliasCache = new WeakMap<SectionsTable, ReadonlyMap<string, Row>>()

/** Go alias -> row ("MaxIdleConns" -> the pool.max_idle_conns row) of `table`. */
export function aliasesOf(table: SectionsTable): ReadonlyMap<string, Row> {
  let aliases = aliasCache.get(table)
  if (aliases === undefined) {
    aliases = new Map(rowsOf(table).flatMap((row) => (row.spec.alias === undefined ? [] : [[row.spec.alias, row]])))
    aliasCache.set(table, aliases)
  }
  return aliases
}
