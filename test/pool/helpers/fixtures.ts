/**
 * Shared fixtures of the pool tests: the demo origin (HTTPS on several 127.x IPs + loopback DNS),
 * a resolver asking that DNS server, and a server-side tracker of simultaneously open
 * connections per IP.
 */
import diagnostics from 'node:diagnostics_channel'
import type { Socket } from 'node:net'
import { startDemoOrigin, type DemoOrigin, type DemoOriginOptions } from '../../../src/demo/index.js'
import { request } from 'undici'
import { HotConnPool, type HotConnPoolOptions } from '../../../src/pool/index.js'

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
  /** "127.0.0.1:port" of the origin's DNS server, for config dns.servers. */
  dnsServer: string
  tracker: ServerConnTracker
  close(): Promise<void>
}

/** Starts the demo origin on `ips` with a DNS server (TTL `ttl` s) and a server-side tracker. */
export async function startTestOrigin(options: DemoOriginOptions & { ttl?: number } = {}): Promise<TestOrigin> {
  const ips = options.ips ?? loopbackIps(3)
  const origin = await startDemoOrigin({ ...options, ips, dns: { ttl: options.ttl ?? 30 } })
  const dnsPort = origin.dns?.port
  if (dnsPort === undefined) throw new Error('the demo origin started no DNS server')
  const tracker = new ServerConnTracker(ips)
  return {
    origin,
    dnsServer: `127.0.0.1:${dnsPort}`,
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

/**
 * A pool for `t`'s origin with the defaults of production: hotconn's DnsResolver asking the
 * origin's DNS server (config dns.servers) and hotconn's TLS connector trusting the origin's CA.
 * `pool` and `dns` keys merge over small test defaults.
 */
export function testPool(t: TestOrigin, options: HotConnPoolOptions = {}): HotConnPool {
  const { pool, dns, ...rest } = options
  return new HotConnPool({
    ca: t.origin.caPem,
    ...rest,
    dns: { servers: [t.dnsServer], ...(dns ?? {}) },
    pool: { warmConnsPerIp: 1, ...(pool ?? {}) },
  })
}

/** GET `path` through `pool`, reading the body; resolves with the status and the serving IP. */
export async function get(pool: HotConnPool, url: string): Promise<{ status: number; ip: string }> {
  const res = await request(url, { dispatcher: pool })
  await res.body.arrayBuffer()
  return { status: res.statusCode, ip: String(res.headers['x-served-by']) }
}
