/**
 * Prometheus metrics (prom-client) of hotconn pools and tile runs, in one Registry you can also
 * use for your own metrics. Pool counters and histograms come from the pool's
 * `node:diagnostics_channel` events (every pool in the process); gauges are read from
 * `pool.stats()` of the pools you `observePool()` at each scrape. Tile-run metrics come from the
 * TileObserver you pass to fetchTiles (`observers: [metrics.tiles]`). Names follow the Prometheus
 * conventions: `hotconn_` prefix, base units (`_seconds`, `_bytes`), `_total` for counters.
 */
import diagnostics from 'node:diagnostics_channel'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import {
  channels,
  type BlacklistEvent,
  type CloseEvent,
  type ConnectEvent,
  type DnsEvent,
  type HealthEvent,
  type HostStats,
  type HotConnPool,
  type RequestEvent,
} from '../pool/index.js'
import { TileMetrics } from './tile-metrics.js'

/** Histogram buckets (seconds) for request and handshake durations: 1 ms to 60 s. */
export const DURATION_BUCKETS_S = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60]

export interface HotConnMetricsOptions {
  /** Where the metrics are registered. Default: a new Registry. */
  registry?: Registry
}

type Handler = (message: unknown) => void

const IP_STATES = ['active', 'draining', 'blacklisted', 'probing'] as const

export class HotConnMetrics {
  readonly registry: Registry
  /** Pass to fetchTiles({ observers: [metrics.tiles] }). */
  readonly tiles: TileMetrics
  readonly #pools = new Set<HotConnPool>()
  readonly #subscriptions: [string, Handler][] = []

  constructor(options: HotConnMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry()
    this.#connectionMetrics()
    this.#hostMetrics()
    this.#statsGauges()
    this.tiles = new TileMetrics(this.registry)
  }

  /** Reports `pool.stats()` as gauges at every scrape (until the pool closes or `forgetPool`). */
  observePool(pool: HotConnPool): void {
    this.#pools.add(pool)
  }

  forgetPool(pool: HotConnPool): void {
    this.#pools.delete(pool)
  }

  /** Stops listening to pool events. The registry keeps its metrics. */
  close(): void {
    for (const [name, handler] of this.#subscriptions) diagnostics.unsubscribe(name, handler)
    this.#subscriptions.length = 0
    this.#pools.clear()
  }

  #on<T>(channel: diagnostics.Channel, handler: (e: T) => void): void {
    const h: Handler = (m) => handler(m as T)
    diagnostics.subscribe(channel.name as string, h)
    this.#subscriptions.push([channel.name as string, h])
  }

  #connectionMetrics(): void {
    const registers = [this.registry]
    const handshakes = new Counter({
      name: 'hotconn_pool_handshakes_total',
      help: 'TLS connections opened (handshakes done or failed)',
      labelNames: ['host', 'ip', 'result'],
      registers,
    })
    const handshakeSeconds = new Histogram({
      name: 'hotconn_pool_handshake_duration_seconds',
      help: 'TCP connect + TLS handshake time',
      labelNames: ['host'],
      buckets: DURATION_BUCKETS_S,
      registers,
    })
    const requests = new Counter({
      name: 'hotconn_pool_requests_total',
      help: 'Requests finished on pooled connections',
      labelNames: ['host', 'ip', 'status', 'reused'],
      registers,
    })
    const requestSeconds = new Histogram({
      name: 'hotconn_pool_request_duration_seconds',
      help: 'Request time on a pooled connection, to the end of the response',
      labelNames: ['host'],
      buckets: DURATION_BUCKETS_S,
      registers,
    })
    const closed = new Counter({
      name: 'hotconn_pool_connections_closed_total',
      help: 'Connections closed, by reason',
      labelNames: ['host', 'ip', 'reason'],
      registers,
    })
    this.#on<ConnectEvent>(channels.connect, (e) => {
      handshakes.inc({ host: e.host, ip: e.ip, result: e.error === undefined ? 'ok' : 'error' })
      if (e.error === undefined) handshakeSeconds.observe({ host: e.host }, e.durationMs / 1000)
    })
    this.#on<RequestEvent>(channels.request, (e) => {
      const status = e.statusCode === undefined ? 'error' : String(e.statusCode)
      requests.inc({ host: e.host, ip: e.ip, status, reused: String(e.reused) })
      requestSeconds.observe({ host: e.host }, e.durationMs / 1000)
    })
    this.#on<CloseEvent>(channels.close, (e) => closed.inc({ host: e.host, ip: e.ip, reason: e.reason }))
  }

  #hostMetrics(): void {
    const registers = [this.registry]
    const blacklist = new Counter({
      name: 'hotconn_pool_blacklist_events_total',
      help: 'IPs blacklisted, probed and readmitted',
      labelNames: ['host', 'ip', 'action'],
      registers,
    })
    const dns = new Counter({
      name: 'hotconn_pool_dns_refreshes_total',
      help: 'Host resolutions (first and refreshes)',
      labelNames: ['host', 'result'],
      registers,
    })
    const dnsChanges = new Counter({
      name: 'hotconn_pool_dns_address_changes_total',
      help: 'Addresses that appeared in or left a host resolution',
      labelNames: ['host', 'change'],
      registers,
    })
    const health = new Counter({
      name: 'hotconn_pool_health_checks_total',
      help: 'Health checks and re-probes',
      labelNames: ['host', 'ip', 'kind', 'result'],
      registers,
    })
    this.#on<BlacklistEvent>(channels.blacklist, (e) => blacklist.inc({ host: e.host, ip: e.ip, action: e.action }))
    this.#on<DnsEvent>(channels.dns, (e) => {
      dns.inc({ host: e.host, result: e.error === undefined ? 'ok' : 'error' })
      if (e.added.length > 0) dnsChanges.inc({ host: e.host, change: 'added' }, e.added.length)
      if (e.removed.length > 0) dnsChanges.inc({ host: e.host, change: 'removed' }, e.removed.length)
    })
    this.#on<HealthEvent>(channels.health, (e) =>
      health.inc({ host: e.host, ip: e.ip, kind: e.kind, result: e.ok ? 'ok' : 'failed' }),
    )
  }

  #statsGauges(): void {
    const registers = [this.registry]
    // Registered first: its collect() sets the other gauges before the registry reads them.
    new Gauge({
      name: 'hotconn_pool_connections',
      help: 'Open connections by state (idle, in_use, connecting)',
      labelNames: ['host', 'ip', 'state'],
      registers,
      collect() {
        read(this)
      },
    })
    const ipState = new Gauge({
      name: 'hotconn_pool_ip_state',
      help: '1 for the state each IP is in (active, draining, blacklisted, probing)',
      labelNames: ['host', 'ip', 'state'],
      registers,
    })
    const pending = new Gauge({
      name: 'hotconn_pool_pending_requests',
      help: 'Requests waiting for a connection',
      labelNames: ['host'],
      registers,
    })
    const reuse = new Gauge({
      name: 'hotconn_pool_reuse_ratio',
      help: '(requests - handshakes) / requests of each host',
      labelNames: ['host'],
      registers,
    })
    const read = (connections: Gauge<'host' | 'ip' | 'state'>): void => {
      for (const g of [connections, ipState, pending, reuse]) g.reset()
      for (const pool of [...this.#pools]) {
        if (pool.closed) this.#pools.delete(pool)
        else for (const h of Object.values(pool.stats().hosts)) this.#setHost(h, connections, ipState, pending, reuse)
      }
    }
  }

  #setHost(
    h: HostStats,
    connections: Gauge<'host' | 'ip' | 'state'>,
    ipState: Gauge<'host' | 'ip' | 'state'>,
    pending: Gauge<'host'>,
    reuse: Gauge<'host'>,
  ): void {
    pending.set({ host: h.host }, h.pending)
    reuse.set({ host: h.host }, h.reuseRate)
    for (const i of h.ips) {
      const labels = { host: h.host, ip: i.ip }
      connections.set({ ...labels, state: 'idle' }, i.idle)
      connections.set({ ...labels, state: 'in_use' }, i.inUse)
      connections.set({ ...labels, state: 'connecting' }, i.connecting)
      for (const s of IP_STATES) ipState.set({ ...labels, state: s }, i.state === s ? 1 : 0)
    }
  }
}
