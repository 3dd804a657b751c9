/** The public shapes of the embedded demo origin (see origin.ts). */
import type { DnsServer } from './dns-server.js'
import type { TestKeyType } from '../testing/key-type.js'

export interface DemoOriginOptions {
  /** Addresses to serve on, one server each (default 127.0.0.2 … 127.0.0.5). */
  ips?: readonly string[]
  /** Host name of the certificate and the DNS record (default "tiles.test"). */
  hostname?: string
  /** Port shared by every IP; 0 (default) = a port free on all of them. */
  port?: number
  /** IPs that answer every request with 403 from the start. */
  forbiddenIps?: readonly string[]
  /** Tile bodies are padded to at least this many bytes (default 2048: every demo tile then has this length); the image alone is about 1 KB. */
  tileBytes?: number
  /** Key type of the leaf certificate (default "ecdsa-p256"). */
  keyType?: TestKeyType
  /** Serve HTTP/2 (ALPN "h2") as well as HTTP/1.1 (default false: HTTP/1.1 only). */
  http2?: boolean
  /** Also start a DNS server answering `hostname` with `ips` (A/AAAA by family). */
  dns?: boolean | { host?: string; port?: number; ttl?: number }
  /** Faults from the start; see `setFaults`. */
  faults?: OriginFaults
  /** Called for every request answered (counting at the origin: rates, per-tile fetches, per client). */
  onRequest?: (event: OriginRequestEvent) => void
}

/** Request header naming the client, for behaviours aimed at one client (`IpBehaviour.clients`). */
export const DEMO_CLIENT_HEADER = 'x-demo-client'

/** A request the origin answered. */
export interface OriginRequestEvent {
  ip: string
  method: string
  /** Request target as sent ("/tiles/3/4/5.png"). */
  path: string
  status: number
  /** The DEMO_CLIENT_HEADER value, if sent. */
  client: string | undefined
  /** performance.now() of the answer (ms). */
  atMs: number
}

/** Per-IP counters (since start or the last `resetStats`, except `open`). */
export interface OriginIpStats {
  /** TCP connections accepted. */
  connections: number
  /** TLS handshakes completed. */
  tlsSessions: number
  /** TLS handshakes that failed (client error, alert, timeout). */
  tlsErrors: number
  /** HTTP requests received (all routes, all statuses). */
  requests: number
  /** TCP connections open now. */
  open: number
}

/** Per-IP behaviour switched at runtime. */
export interface IpBehaviour {
  /** Answer every request with this status (403, 429, 503 …) instead of serving it. */
  status?: number
  /** Retry-After in seconds sent with `status` 429 or 503 (default 5). */
  retryAfterS?: number
  /** Wait this long before answering each request (ms). */
  delayMs?: number
  /** Apply `status` and `delayMs` only to requests whose DEMO_CLIENT_HEADER is one of these (others are served normally). */
  clients?: readonly string[]
  /** Apply them only to requests on connections from these source addresses (an egress the origin blocks). */
  sources?: readonly string[]
}

/** Faults applied to every IP. */
export interface OriginFaults {
  /** HTTP/1.1 keep-alive timeout of the servers (ms; Node's default is 5000). */
  keepAliveTimeoutMs?: number
  /** Probability in [0, 1] that the server closes a connection once it has no request in flight. */
  closeAfterResponseProbability?: number
  /** Random source for the probability (default Math.random). */
  random?: () => number
}

export interface DemoOrigin {
  readonly hostname: string
  readonly port: number
  readonly ips: readonly string[]
  /** PEM of the CA that issued the server certificate (trust it in clients). */
  readonly caPem: string
  /** PEM of the server certificate and its private key. */
  readonly certPem: string
  readonly keyPem: string
  /** The DNS server, when started with `dns`. */
  readonly dns: DnsServer | undefined
  /** `https://<hostname>:<port><path>` */
  url(path?: string): string
  /** Counters of one IP (a copy). Throws RangeError for an IP the origin does not serve. */
  stats(ip: string): OriginIpStats
  /** Counters of every IP, by IP (copies). */
  allStats(): Record<string, OriginIpStats>
  /** Sums of every IP's counters. */
  totals(): OriginIpStats
  /** Zeroes the counters (except `open`). */
  resetStats(): void
  /** Sets (or with `undefined` clears) the behaviour of one IP. */
  setBehaviour(ip: string, behaviour: IpBehaviour | undefined): void
  /** Replaces the faults (an empty object clears them). */
  setFaults(faults: OriginFaults): void
  /**
   * Draws these tiles now and keeps their bodies until close(), so that serving them costs no
   * drawing (an origin under load tests: it then answers each tile from memory, like a static
   * file server). Tiles outside the map are ignored. Returns how many tiles it keeps in all.
   */
  prerenderTiles(tiles: Iterable<{ z: number; x: number; y: number }>): number
  /** Closes the connections of `ip` (all IPs if omitted) that have no request in flight; returns how many. */
  closeIdleConnections(ip?: string): number
  /** Stops listening on `ip` and destroys its connections (the IP goes dark: connections are refused). */
  stopIp(ip: string): Promise<void>
  /** Listens on `ip` again, on the same port. */
  startIp(ip: string): Promise<void>
  /** Whether `ip` is listening. */
  isRunning(ip: string): boolean
  /** Stops every server and the DNS server, destroying all connections. Idempotent. */
  close(): Promise<void>
}
