/**
 * The HTTP clients the harness compares, each behind one small interface: `get(path)` fetches a
 * body over HTTPS/1.1 and resolves to its byte count (throwing on a non-200 answer or a short
 * body). `hot` clients keep connections alive; `cold` clients open a new connection (full TLS 1.3
 * handshake: the origins issue no session tickets) for every request.
 *
 * - hotconn: HotConnPool (chrome profile) through `dispatcher.request()`; cold = `connect()` +
 *   one request on an undici Client pinned to that socket, then close.
 * - undici + node:tls: undici Agent (`connect: { ca, servername }`), the baseline; cold = a new
 *   undici Client per request.
 * - peers (impit, wreq-js, got-scraping): their own APIs; cold = the same client with
 *   `connection: close` on each request (got-scraping: a keep-alive-less agent).
 */
import { Agent as HttpsAgent } from 'node:https'
import type { Duplex } from 'node:stream'
import type * as tls from 'node:tls'
import { Agent, Client, buildConnector, type Dispatcher } from 'undici'
import type { HotConnPool, Resolver } from '../../src/pool/index.js'
import { library } from './library.js'
import type { PeerModule, PeerName } from './peers.js'

/** Where the clients connect: a host name served by `ip:port` with a certificate from `caPem`. */
export interface Target {
  readonly host: string
  readonly ip: string
  readonly port: number
  readonly caPem: string
}

export interface HttpClient {
  /** GET `path`; resolves to the body's byte count. */
  get(path: string): Promise<number>
  close(): Promise<void>
  /**
   * Runs `count` GETs with `concurrency` workers itself (a client in another process) and gives
   * their latencies (ms) and the CPU time it used (µs, user + sys); the load rounds use it when present.
   */
  runBatch?(path: string, count: number, concurrency: number): Promise<{ latencies: number[]; cpuUs: number }>
}

export type ClientRole = 'hotconn' | 'baseline' | 'peer'

export interface ClientKind {
  readonly name: string
  readonly role: ClientRole
  /** How it connects, for the report. */
  readonly detail: string
  /** A keep-alive client allowed `connections` connections to the target. */
  hot(target: Target, connections: number): Promise<HttpClient>
  /** A client that opens a new connection for every request. */
  cold(target: Target): Promise<HttpClient>
}

export const HOTCONN = 'hotconn'
/** hotconn's client run by the project-local Node 24 (native ML-KEM), in the X25519MLKEM768 cold row. */
export const HOTCONN_NODE24 = 'hotconn on Node 24'
export const BASELINE = 'undici + node:tls'
/** The baseline of the HTTP/2 rows: undici's own h2 client over node:tls. */
export const BASELINE_H2 = 'undici + node:tls (allowH2)'

function check(path: string, status: number, bytes: number): number {
  if (status !== 200) throw new Error(`GET ${path} answered ${status}`)
  const want = /\/size\/(\d+)$/.exec(path)
  if (want !== null && Number(want[1]) !== bytes) throw new Error(`GET ${path} gave ${bytes} bytes`)
  return bytes
}

async function dispatcherGet(
  d: Dispatcher,
  origin: string,
  path: string,
  headers?: Record<string, string>,
): Promise<number> {
  const { statusCode, body } = await d.request({ origin, path, method: 'GET', ...(headers ? { headers } : {}) })
  let n = 0
  for await (const chunk of body) n += (chunk as Buffer).length
  return check(path, statusCode, n)
}

function fixedResolver(ips: readonly string[]): Resolver {
  return {
    resolve: async () => ({
      addresses: ips.map((address) => ({ address, family: 4 as const, ttlMs: 3_600_000 })),
      minTtlMs: 3_600_000,
    }),
  }
}

/** A HotConnPool for `target` with room for `connections` connections (exported for the scale scenarios). */
export function hotconnPool(target: Target, connections: number, ips: readonly string[] = [target.ip]): HotConnPool {
  return new (library().HotConnPool)({
    pool: {
      maxConnsPerHost: connections,
      maxIdleConns: connections,
      maxConnections: connections,
      warmConnsPerIp: Math.max(1, Math.ceil(connections / ips.length)),
      idleTimeoutMs: 300_000,
      maxLifetimeMs: 3_600_000,
      healthCheckIntervalMs: 3_600_000,
      cleanupIntervalMs: 3_600_000,
    },
    tls: { profile: 'chrome' },
    ca: target.caPem,
    resolver: fixedResolver(ips),
  })
}

/** An undici Client (pipelining 1) over one already-connected socket; it never opens another. */
export function pinnedClient(origin: string, socket: Duplex): Client {
  let handed = false
  return new Client(origin, {
    pipelining: 1,
    keepAliveTimeout: 300_000,
    connect: (_o, cb) =>
      queueMicrotask(() => {
        if (handed) return cb(new Error('pinned client: one connection only'), null)
        handed = true
        cb(null, socket as unknown as tls.TLSSocket)
      }),
  })
}

/** hotconn's TLS socket (chrome profile, ALPN http/1.1) to `target`, under a pinned undici Client. */
export async function hotconnPinnedClient(target: Target): Promise<Client> {
  const socket = await library().connect({
    host: target.host,
    ip: target.ip,
    port: target.port,
    profile: 'chrome',
    ca: target.caPem,
    alpn: ['http/1.1'],
  })
  return pinnedClient(`https://${target.host}:${target.port}`, socket)
}

export const hotconnKind: ClientKind = {
  name: HOTCONN,
  role: 'hotconn',
  detail: 'HotConnPool, chrome profile, dispatcher.request(); cold: connect() + undici Client pinned to the socket',
  async hot(target, connections) {
    const pool = hotconnPool(target, connections)
    const origin = `https://${target.host}:${target.port}`
    return { get: (path) => dispatcherGet(pool, origin, path), close: () => pool.close() }
  },
  async cold(target) {
    const origin = `https://${target.host}:${target.port}`
    return {
      async get(path) {
        const client = await hotconnPinnedClient(target)
        try {
          return await dispatcherGet(client, origin, path)
        } finally {
          await client.destroy()
        }
      },
      close: async () => {},
    }
  },
}

export const undiciKind: ClientKind = {
  name: BASELINE,
  role: 'baseline',
  detail:
    'undici Agent, connect: { ca, servername } (node:tls / OpenSSL, default groups); cold: a new undici Client per request, no TLS session cache',
  async hot(target, connections) {
    const agent = new Agent({
      connections,
      keepAliveTimeout: 300_000,
      connect: { ca: target.caPem, servername: target.host, maxCachedSessions: 0 },
    })
    const origin = `https://${target.ip}:${target.port}`
    return { get: (path) => dispatcherGet(agent, origin, path), close: () => agent.close() }
  },
  async cold(target) {
    const origin = `https://${target.ip}:${target.port}`
    const connector = buildConnector({ ca: target.caPem, servername: target.host, maxCachedSessions: 0 })
    return {
      async get(path) {
        const client = new Client(origin, { pipelining: 1, connect: connector })
        try {
          return await dispatcherGet(client, origin, path)
        } finally {
          await client.destroy()
        }
      },
      close: async () => {},
    }
  },
}

/** undici Agent with `allowH2` over node:tls: the baseline of the h2 origin's rows (no cold variant is used). */
export const undiciH2Kind: ClientKind = {
  name: BASELINE_H2,
  role: 'baseline',
  detail:
    'undici Agent, allowH2: true, connect: { ca, servername } (node:tls / OpenSSL, ALPN h2, http/1.1); used on the HTTP/2 origin only',
  async hot(target, connections) {
    const agent = new Agent({
      allowH2: true,
      connections,
      keepAliveTimeout: 300_000,
      connect: { ca: target.caPem, servername: target.host, maxCachedSessions: 0 },
    })
    const origin = `https://${target.ip}:${target.port}`
    return { get: (path) => dispatcherGet(agent, origin, path), close: () => agent.close() }
  },
  cold: (target) => undiciKind.cold(target),
}

// ---- peers: the few calls used, typed locally ----

interface FetchLikeResponse {
  readonly status: number
  arrayBuffer(): Promise<ArrayBuffer>
}
interface ImpitModule {
  Impit: new (o: Record<string, unknown>) => {
    fetch(url: string, init?: Record<string, unknown>): Promise<FetchLikeResponse>
  }
}
interface WreqTransport {
  close(): Promise<void>
}
interface WreqModule {
  createTransport(o: Record<string, unknown>): Promise<WreqTransport>
  fetch(url: string, init: Record<string, unknown>): Promise<FetchLikeResponse>
}
interface GotResponse {
  readonly statusCode: number
  readonly rawBody: Buffer
}
interface GotScrapingModule {
  gotScraping(o: Record<string, unknown>): Promise<GotResponse>
}

const CLOSE = { connection: 'close' }

function impitKind(m: PeerModule): ClientKind {
  const { Impit } = m.module as ImpitModule
  const make = async (target: Target, headers?: Record<string, string>): Promise<HttpClient> => {
    const client = new Impit({ browser: 'chrome', ignoreTlsErrors: true, followRedirects: false })
    const base = `https://${target.ip}:${target.port}`
    return {
      async get(path) {
        const r = await client.fetch(`${base}${path}`, headers ? { headers } : undefined)
        return check(path, r.status, (await r.arrayBuffer()).byteLength)
      },
      close: async () => {},
    }
  }
  return {
    name: `impit ${m.version}`,
    role: 'peer',
    detail:
      "Impit({ browser: 'chrome', ignoreTlsErrors: true }) (rustls); URL by IP (no resolve option, so no SNI); certificate not verified; cold: connection: close",
    hot: (t) => make(t),
    cold: (t) => make(t, CLOSE),
  }
}

function wreqKind(m: PeerModule): ClientKind {
  const w = m.module as WreqModule
  const make = async (target: Target, connections: number, headers?: Record<string, string>): Promise<HttpClient> => {
    const transport = await w.createTransport({
      browser: 'chrome',
      insecure: true,
      resolve: { [target.host]: target.ip },
      poolMaxIdlePerHost: connections,
      poolIdleTimeout: 300_000,
    })
    const base = `https://${target.host}:${target.port}`
    return {
      async get(path) {
        const r = await w.fetch(`${base}${path}`, { transport, ...(headers ? { headers } : {}) })
        return check(path, r.status, (await r.arrayBuffer()).byteLength)
      },
      close: () => transport.close(),
    }
  }
  return {
    name: `wreq-js ${m.version}`,
    role: 'peer',
    detail:
      "createTransport({ browser: 'chrome', insecure: true, resolve }) (BoringSSL); certificate not verified; cold: connection: close",
    hot: (t, c) => make(t, c),
    cold: (t) => make(t, 1, CLOSE),
  }
}

function gotKind(m: PeerModule): ClientKind {
  const { gotScraping } = m.module as GotScrapingModule
  const make = async (target: Target, keepAlive: boolean, connections: number): Promise<HttpClient> => {
    const agent = new HttpsAgent({ keepAlive, maxSockets: connections, keepAliveMsecs: 300_000 })
    const base = `https://${target.ip}:${target.port}`
    return {
      async get(path) {
        const r = await gotScraping({
          url: `${base}${path}`,
          http2: false,
          agent: { https: agent },
          https: { certificateAuthority: target.caPem },
          responseType: 'buffer',
          retry: { limit: 0 },
          throwHttpErrors: false,
          decompress: false,
        })
        return check(path, r.statusCode, r.rawBody.length)
      },
      close: async () => agent.destroy(),
    }
  }
  return {
    name: `got-scraping ${m.version}`,
    role: 'peer',
    detail:
      'gotScraping() (node:tls with its own cipher/sigalg order, generated browser headers), URL by IP (certificate has the IP), keep-alive https.Agent, verifies against the test CA; cold: keepAlive: false agent',
    hot: (t, c) => make(t, true, c),
    cold: (t) => make(t, false, 1),
  }
}

export function peerKind(m: PeerModule): ClientKind {
  const makers: Record<PeerName, (m: PeerModule) => ClientKind> = {
    impit: impitKind,
    'wreq-js': wreqKind,
    'got-scraping': gotKind,
  }
  return makers[m.name](m)
}
