/**
 * Shared fixtures of the pool tests: the demo origin (HTTPS on several 127.x IPs + loopback DNS),
 * a resolver asking that DNS server, and a server-side tracker of simultaneously open
 * connections per IP.
 */
import diagnostics from 'node:diagnostics_channel'
import { Resolver as NodeResolver } from 'node:dns/promises'
import type { Socket } from 'node:net'
import { startDemoOrigin, type DemoOrigin, type DemoOriginOptions } from '../../../src/demo/index.js'
import { request } from 'undici'
import { HotConnPool, type HotConnPoolOptions, type Resolution, type Resolver } from '../../../src/pool/index.js'

/** A resolver that queries the DNS server on 127.0.0.1:`port` (A records, with TTLs). */
export function loopbackResolver(port: number): Resolver & { queries: number } {
  const r = new NodeResolver({ timeout: 1000, tries: 2 })
  r.setServers([`127.0.0.1:${port}`])
  const out = {
    queries: 0,
    async resolve(host: string): Promise<Resolution> {
      out.queries++
      const records = await r.resolve4(host, { ttl: true })
      const addresses = records.map((a) => ({ address: a.address, family: 4 as const, ttlMs: a.ttl * 1000 }))
      return { addresses, minTtlMs: Math.min(...addresses.map((a) => a.ttlMs)) }
    },
  }
  return out
}

/** Counts, on the server side, the TCP connections open at once per local (server) IP and in total. */
export class ServerConnTracker {
  readonly open = new Map<string, number>()
  readonly maxOpen = new Map<string, number>()
  accepted = 0
  openTotal = 0
  maxOpenTotal = 0
  readonly #ips: ReadonlySet<string>
  readonly #onSocket = (msg: unknown): void => {
    const socket = (msg as { socket: Socket }).socket
    const ip = socket.localAddress ?? ''
    if (!this.#ips.has(ip)) return
    this.accepted++
    this.openTotal++
    this.maxOpenTotal = Math.max(this.maxOpenTotal, this.openTotal)
    const n = (this.open.get(ip) ?? 0) + 1
    this.open.set(ip, n)
    this.maxOpen.set(ip, Math.max(this.maxOpen.get(ip) ?? 0, n))
    socket.once('close', () => {
      this.openTotal--
      this.open.set(ip, (this.open.get(ip) ?? 1) - 1)
    })
  }

  constructor(ips: readonly string[]) {
    this.#ips = new Set(ips)
    diagnostics.subscribe('net.server.socket', this.#onSocket)
  }

  dispose(): void {
    diagnostics.unsubscribe('net.server.socket', this.#onSocket)
  }
}

let nextBase = 10 + (process.pid % 200)

/** Distinct loopback IPs for one test file (so parallel files never share an address). */
export function loopbackIps(n: number): string[] {
  const base = nextBase++
  return Array.from({ length: n }, (_, i) => `127.${base % 250}.${(process.pid >> 8) % 250}.${i + 2}`)
}

export interface TestOrigin {
  origin: DemoOrigin
  resolver: Resolver & { queries: number }
  tracker: ServerConnTracker
  close(): Promise<void>
}

/** Starts the demo origin on `ips` with a DNS server (TTL `ttl` s) and a server-side tracker. */
export async function startTestOrigin(options: DemoOriginOptions & { ttl?: number } = {}): Promise<TestOrigin> {
  const ips = options.ips ?? loopbackIps(3)
  const origin = await startDemoOrigin({ ...options, ips, dns: { ttl: options.ttl ?? 30 } })
  const dnsPort = origin.dns?.port
  if (dnsPort === undefined) throw new Error('the demo origin started no DNS server')
  const resolver = loopbackResolver(dnsPort)
  const tracker = new ServerConnTracker(ips)
  return {
    origin,
    resolver,
    tracker,
    async close() {
      tracker.dispose()
      await origin.close()
    },
  }
}

/** Waits until `cond()` holds, polling every 5 ms, at most `timeoutMs`; throws with `what` on timeout. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** A pool for `t`'s origin (its DNS, its CA) with hotconn's own TLS connector; `pool` keys merge over small test defaults. */
export function testPool(t: TestOrigin, options: HotConnPoolOptions = {}): HotConnPool {
  const { pool, ...rest } = options
  return new HotConnPool({
    resolver: t.resolver,
    ca: t.origin.caPem,
    ...rest,
    pool: { warmConnsPerIp: 1, ...(pool ?? {}) },
  })
}

/** GET `path` through `pool`, reading the body; resolves with the status and the serving IP. */
export async function get(pool: HotConnPool, url: string): Promise<{ status: number; ip: string }> {
  const res = await request(url, { dispatcher: pool })
  await res.body.arrayBuffer()
  return { status: res.statusCode, ip: String(res.headers['x-served-by']) }
}
