/**
 * A scriptable HTTPS origin for the HTTP-layer tests: one node:http2 secure server per loopback IP
 * (ALPN h2 and http/1.1, Node's compatibility API, so one route function serves both protocols),
 * and as many that select only http/1.1 on other IPs (`h1Ips`), all on one port and one host
 * name, a CA the clients trust, and the three kinds of clients the tests compare: a HotConnPool
 * that speaks HTTP/2, one that speaks HTTP/1.1 (its resolver answers the http/1.1-only IPs: the
 * pool's ClientHello offers h2 on every path, as a browser's does, so only the server can pick
 * HTTP/1.1), and undici's own Agent (over node:tls, with or without allowH2) dialing the h2 IPs.
 *
 * A route gets `(req, res, ctx)`; `ctx.hits(path)` counts requests per path, `ctx.cut(res)` ends
 * the connection under a response without close_notify or END_STREAM, `ctx.reset(res)` resets it
 * (TCP RST).
 */
import {
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { Agent } from 'undici'
import { HotConnPool, type HotConnPoolOptions } from '../../src/pool/index.js'
import { createCA, issueLeaf } from '../../src/testing/pki.js'
import { loopbackIps } from '../pool/helpers/fixtures.js'

export interface RouteContext {
  /** Requests seen for `path` so far (this one included). */
  hits(path: string): number
  /** The IP the request came in on. */
  ip: string
  /** Ends the connection under the response at once, without close_notify or END_STREAM (a FIN). */
  cut(res: Http2ServerResponse): void
  /** Resets the TCP connection under the response (RST). */
  reset(res: Http2ServerResponse): void
}

export type Route = (req: Http2ServerRequest, res: Http2ServerResponse, ctx: RouteContext) => void

export interface HttpOrigin {
  readonly hostname: string
  readonly port: number
  readonly ips: readonly string[]
  /** The IPs whose servers select only http/1.1 (what `pool(false)` resolves to). */
  readonly h1Ips: readonly string[]
  readonly caPem: string
  url(path?: string, ip?: string): string
  /** Requests seen per path. */
  readonly hits: Map<string, number>
  /** TCP connections accepted so far (all IPs). */
  readonly accepted: number
  /** A pool for this origin: over HTTP/2 when `h2`, else over HTTP/1.1 (to the http/1.1-only IPs). */
  pool(h2: boolean, options?: HotConnPoolOptions): HotConnPool
  /** undici's Agent over node:tls for this origin (`allowH2` when `h2`). */
  agent(h2: boolean): Agent
  close(): Promise<void>
}

function rawSocket(res: Http2ServerResponse): Socket {
  const stream = res.stream as { session?: { socket?: Socket } } | undefined
  const tls = (stream?.session?.socket ?? res.socket) as TLSSocket & { _parent?: Socket }
  return tls._parent ?? tls
}

export async function startHttpOrigin(
  route: Route,
  options: { ips?: readonly string[]; hostname?: string } = {},
): Promise<HttpOrigin> {
  const hostname = options.hostname ?? 'origin.test'
  const ips = options.ips ?? loopbackIps(2)
  const h1Ips = loopbackIps(ips.length)
  const ca = createCA({ name: 'http origin CA' })
  const leaf = issueLeaf(ca, { hosts: [hostname, 'other.test'] })
  const hits = new Map<string, number>()
  const servers: Http2SecureServer[] = []
  const sockets = new Set<Socket>()
  const closers: Array<() => Promise<void>> = []
  let accepted = 0
  for (const ip of [...ips, ...h1Ips]) {
    const server = createSecureServer({ cert: leaf.chainPem, key: leaf.keyPem, allowHTTP1: true })
    // node:http2 always lists h2 first; the http/1.1-only servers select from this list instead.
    if (h1Ips.includes(ip)) (server as unknown as { ALPNProtocols: Buffer }).ALPNProtocols = Buffer.from('\x08http/1.1')
    server.on('connection', (s: Socket) => {
      accepted++
      sockets.add(s)
      s.once('close', () => sockets.delete(s))
      s.on('error', () => {})
    })
    server.on('secureConnection', (s: TLSSocket) => s.on('error', () => {}))
    server.on('session', (s) => s.on('error', () => {}))
    server.on('stream', (s) => s.on('error', () => {}))
    server.on('request', (req, res) => {
      const path = req.url ?? '/'
      hits.set(path, (hits.get(path) ?? 0) + 1)
      const ctx: RouteContext = {
        hits: (p) => hits.get(p) ?? 0,
        ip,
        cut: (r) => rawSocket(r).destroy(),
        reset: (r) => rawSocket(r).resetAndDestroy(),
      }
      route(req, res, ctx)
    })
    servers.push(server)
  }
  let port = 0
  const all = [...ips, ...h1Ips]
  for (const [i, server] of servers.entries()) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, all[i], () => resolve())
    })
    port = (server.address() as { port: number }).port
  }
  const resolverOf = (list: readonly string[]) => ({
    resolve: async () => ({
      addresses: list.map((address) => ({ address, family: 4 as const, ttlMs: 60_000 })),
      minTtlMs: 60_000,
    }),
  })
  return {
    hostname,
    port,
    ips,
    h1Ips,
    caPem: ca.certPem,
    hits,
    get accepted() {
      return accepted
    },
    url: (path = '/', ip?: string) => `https://${ip ?? hostname}:${port}${path}`,
    pool(h2, extra = {}) {
      const p = new HotConnPool({
        ca: ca.certPem,
        resolver: resolverOf(h2 ? ips : h1Ips),
        ...extra,
        pool: { warmConnsPerIp: 0, ...((extra as { pool?: object }).pool ?? {}) },
      })
      closers.push(() => p.close())
      return p
    },
    agent(h2) {
      const a = new Agent({
        allowH2: h2,
        connect: {
          ca: ca.certPem,
          // Every name resolves to the origin's first IP (node:net asks for a list when it races families).
          lookup: (_host: string, o: { all?: boolean }, cb: (err: null, a: unknown, family?: number) => void) =>
            o.all === true ? cb(null, [{ address: ips[0], family: 4 }]) : cb(null, ips[0], 4),
        } as never,
      })
      closers.push(() => a.close())
      return a
    },
    async close() {
      for (const c of closers.splice(0)) await c().catch(() => {})
      for (const s of sockets) s.destroy()
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    },
  }
}
