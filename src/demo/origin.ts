/**
 * The embedded demo origin: one HTTPS server per loopback IP, all on the same port and all
 * serving the same host name with a certificate from a CA created at start. Used by
 * `npm start` and by the pool's integration tests, which read its per-IP counters and switch
 * per-IP behaviour (403/429 answers, delays, stopping an IP, closing idle connections).
 *
 * Routes: `/` (200 text), `/tiles/{z}/{x}/{y}.png` (deterministic `image/png` bytes, see
 * `tileBody`), anything else 404. HEAD works on every route. Every response carries
 * `x-served-by: <ip>`.
 */

import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import {
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2'
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { isIP, type Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { createCA, issueLeaf, type TestKeyType } from '../testing/pki.js'
import { startDnsServer, type DnsServer } from './dns-server.js'
import { DEFAULT_TILE_BYTES, route, tileBody } from './tiles.js'

export interface DemoOriginOptions {
  /** Addresses to serve on, one server each (default 127.0.0.2 … 127.0.0.5). */
  ips?: readonly string[]
  /** Host name of the certificate and the DNS record (default "tiles.test"). */
  hostname?: string
  /** Port shared by every IP; 0 (default) = a port free on all of them. */
  port?: number
  /** IPs that answer every request with 403 from the start. */
  forbiddenIps?: readonly string[]
  /** Size of a tile body in bytes (default 2048, at least 8). */
  tileBytes?: number
  /** Key type of the leaf certificate (default "ecdsa-p256"). */
  keyType?: TestKeyType
  /** Serve HTTP/2 (ALPN "h2") as well as HTTP/1.1 (default false: HTTP/1.1 only). */
  http2?: boolean
  /** Also start a DNS server answering `hostname` with `ips` (A/AAAA by family). */
  dns?: boolean | { host?: string; port?: number; ttl?: number }
  /** Faults from the start; see `setFaults`. */
  faults?: OriginFaults
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

const DEFAULT_IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'] as const
const DEFAULT_RETRY_AFTER_S = 5
const MAX_PORT_ATTEMPTS = 20

type AnyServer = HttpsServer | Http2SecureServer
type AnyRequest = IncomingMessage | Http2ServerRequest
type AnyResponse = ServerResponse | Http2ServerResponse

/** A client connection as the server sees it: an HTTP/1.1 TLS socket or an HTTP/2 session. */
interface Conn {
  active: number
  close(): void
}

interface IpState {
  readonly ip: string
  readonly server: AnyServer
  readonly stats: OriginIpStats
  readonly sockets: Set<Socket>
  readonly conns: Map<object, Conn>
  behaviour: IpBehaviour
  running: boolean
}

/**
 * Starts the demo origin; resolves once every IP (and the DNS server) is listening.
 * @throws TypeError on invalid options; the listen error when a fixed port is taken, or when
 *   no port was free on every IP after 20 attempts
 */
export async function startDemoOrigin(options: DemoOriginOptions = {}): Promise<DemoOrigin> {
  const ips = [...(options.ips ?? DEFAULT_IPS)]
  const hostname = options.hostname ?? 'tiles.test'
  const tileBytes = options.tileBytes ?? DEFAULT_TILE_BYTES
  validateOptions(ips, options, tileBytes)

  const ca = createCA({ name: 'hotconn demo CA' })
  const leaf = issueLeaf(ca, { hosts: [hostname, ...ips], keyType: options.keyType ?? 'ecdsa-p256' })
  let faults: OriginFaults = { ...options.faults }
  const timers = new Set<NodeJS.Timeout>()
  const states = new Map<string, IpState>()

  for (const ip of ips) {
    const behaviour: IpBehaviour = options.forbiddenIps?.includes(ip) === true ? { status: 403 } : {}
    const server: AnyServer =
      options.http2 === true
        ? createSecureServer({ cert: leaf.chainPem, key: leaf.keyPem, allowHTTP1: true })
        : createHttpsServer({ cert: leaf.chainPem, key: leaf.keyPem, ALPNProtocols: ['http/1.1'] })
    const state: IpState = {
      ip,
      server,
      stats: { connections: 0, tlsSessions: 0, tlsErrors: 0, requests: 0, open: 0 },
      sockets: new Set(),
      conns: new Map(),
      behaviour,
      running: false,
    }
    states.set(ip, state)
    instrument(state)
    server.on('request', (req: AnyRequest, res: AnyResponse) => {
      handle(state, req, res)
    })
  }

  const instrumentFaults = (): void => {
    for (const s of states.values()) {
      if ('keepAliveTimeout' in s.server) s.server.keepAliveTimeout = faults.keepAliveTimeoutMs ?? 5000
    }
  }
  instrumentFaults()

  function instrument(state: IpState): void {
    const { server, stats } = state
    server.on('connection', (socket: Socket) => {
      stats.connections++
      stats.open++
      state.sockets.add(socket)
      socket.once('close', () => {
        stats.open--
        state.sockets.delete(socket)
      })
    })
    server.on('secureConnection', (tls: TLSSocket) => {
      stats.tlsSessions++
      if (tls.alpnProtocol === 'h2') return
      const conn: Conn = { active: 0, close: () => tls.end() }
      state.conns.set(tls, conn)
      tls.once('close', () => state.conns.delete(tls))
    })
    server.on('tlsClientError', () => {
      stats.tlsErrors++
    })
    server.on('session', (session: ServerHttp2Session) => {
      const conn: Conn = { active: 0, close: () => session.close() }
      state.conns.set(session, conn)
      session.once('close', () => state.conns.delete(session))
    })
  }

  function handle(state: IpState, req: AnyRequest, res: AnyResponse): void {
    state.stats.requests++
    const key: object = req.httpVersionMajor === 2 ? ((req as Http2ServerRequest).stream.session ?? req) : req.socket
    const conn = state.conns.get(key)
    if (conn !== undefined) {
      conn.active++
      res.once('close', () => {
        conn.active--
        const p = faults.closeAfterResponseProbability ?? 0
        if (conn.active === 0 && p > 0 && (faults.random ?? Math.random)() < p) conn.close()
      })
    }
    const delay = state.behaviour.delayMs ?? 0
    if (delay <= 0) return answer(state, req, res)
    const timer = setTimeout(() => {
      timers.delete(timer)
      if (!res.destroyed) answer(state, req, res)
    }, delay)
    timers.add(timer)
  }

  function answer(state: IpState, req: AnyRequest, res: AnyResponse): void {
    const head = req.method === 'HEAD'
    const base: OutgoingHttpHeaders = { 'x-served-by': state.ip }
    const { status } = state.behaviour
    if (status !== undefined) {
      const headers: OutgoingHttpHeaders = { ...base, 'content-type': 'text/plain; charset=utf-8' }
      if (status === 429 || status === 503)
        headers['retry-after'] = String(state.behaviour.retryAfterS ?? DEFAULT_RETRY_AFTER_S)
      return send(res, status, headers, Buffer.from(`${status} from ${state.ip}\n`), head)
    }
    if (req.method !== 'GET' && !head) {
      return send(
        res,
        405,
        { ...base, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' },
        Buffer.from('method not allowed\n'),
        head,
      )
    }
    const r = route(req.url ?? '/')
    switch (r.kind) {
      case 'root':
        return send(
          res,
          200,
          { ...base, 'content-type': 'text/plain; charset=utf-8' },
          Buffer.from(`hotconn demo origin ${hostname} at ${state.ip}\n`),
          head,
        )
      case 'tile':
        return send(
          res,
          200,
          { ...base, 'content-type': 'image/png', 'cache-control': 'public, max-age=86400' },
          tileBody(r.z, r.x, r.y, tileBytes),
          head,
        )
      case 'not_found':
        return send(
          res,
          404,
          { ...base, 'content-type': 'text/plain; charset=utf-8' },
          Buffer.from('not found\n'),
          head,
        )
    }
  }

  const port = await listenAll([...states.values()], options.port ?? 0)
  let dns: DnsServer | undefined
  try {
    if (options.dns !== undefined && options.dns !== false) {
      const d = options.dns === true ? {} : options.dns
      const ttl = d.ttl ?? 30
      dns = await startDnsServer({
        ...(d.host === undefined ? {} : { host: d.host }),
        ...(d.port === undefined ? {} : { port: d.port }),
        records: {
          [hostname]: { A: ips.filter((ip) => isIP(ip) === 4), AAAA: ips.filter((ip) => isIP(ip) === 6), ttl },
        },
      })
    }
  } catch (err) {
    await Promise.all([...states.values()].map((s) => stopState(s)))
    throw err
  }

  const get = (ip: string): IpState => {
    const s = states.get(ip)
    if (s === undefined) throw new RangeError(`the demo origin does not serve ${ip}; it serves ${ips.join(', ')}`)
    return s
  }
  let closing: Promise<void> | undefined

  return {
    hostname,
    port,
    ips,
    caPem: ca.certPem,
    certPem: leaf.certPem,
    keyPem: leaf.keyPem,
    dns,
    url: (path = '/') => `https://${hostname}:${port}${path}`,
    stats: (ip) => ({ ...get(ip).stats }),
    allStats: () => Object.fromEntries([...states].map(([ip, s]) => [ip, { ...s.stats }])),
    totals: () => {
      const sum: OriginIpStats = { connections: 0, tlsSessions: 0, tlsErrors: 0, requests: 0, open: 0 }
      for (const s of states.values()) {
        for (const k of Object.keys(sum) as Array<keyof OriginIpStats>) sum[k] += s.stats[k]
      }
      return sum
    },
    resetStats: () => {
      for (const s of states.values())
        Object.assign(s.stats, { connections: 0, tlsSessions: 0, tlsErrors: 0, requests: 0 })
    },
    setBehaviour: (ip, behaviour) => {
      get(ip).behaviour = { ...behaviour }
    },
    setFaults: (next) => {
      faults = { ...next }
      instrumentFaults()
    },
    closeIdleConnections: (ip) => {
      let closed = 0
      for (const s of ip === undefined ? states.values() : [get(ip)]) {
        for (const conn of s.conns.values()) {
          if (conn.active === 0) {
            conn.close()
            closed++
          }
        }
      }
      return closed
    },
    stopIp: (ip) => stopState(get(ip)),
    startIp: async (ip) => {
      const s = get(ip)
      if (s.running) return
      await listen(s, port)
    },
    isRunning: (ip) => get(ip).running,
    close: () => {
      closing ??= (async () => {
        for (const t of timers) clearTimeout(t)
        timers.clear()
        await Promise.all([...states.values()].map((s) => stopState(s)))
        await dns?.close()
      })()
      return closing
    },
  }
}

function validateOptions(ips: readonly string[], options: DemoOriginOptions, tileBytes: number): void {
  if (ips.length === 0) throw new TypeError('ips must list at least one IP address')
  for (const ip of ips) {
    if (isIP(ip) === 0) throw new TypeError(`ips must be IP addresses, got ${JSON.stringify(ip)}`)
  }
  if (new Set(ips).size !== ips.length) throw new TypeError(`ips must not repeat an address: ${ips.join(', ')}`)
  for (const ip of options.forbiddenIps ?? []) {
    if (!ips.includes(ip)) throw new TypeError(`forbiddenIps lists ${ip}, which is not in ips (${ips.join(', ')})`)
  }
  if (!Number.isInteger(tileBytes) || tileBytes < 8)
    throw new TypeError(`tileBytes must be an integer >= 8, got ${tileBytes}`)
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TypeError(`port must be an integer in [0, 65535], got ${port}`)
}

function send(res: AnyResponse, status: number, headers: OutgoingHttpHeaders, body: Buffer, head: boolean): void {
  const out = res as { writeHead(status: number, headers: OutgoingHttpHeaders): unknown; end(body?: Buffer): unknown }
  out.writeHead(status, { ...headers, 'content-length': String(body.length) })
  out.end(head ? undefined : body)
}

async function listen(state: IpState, port: number): Promise<number> {
  const { server } = state
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening)
      reject(err)
    }
    const onListening = (): void => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, state.ip)
  })
  state.running = true
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error(`server on ${state.ip} has no port`)
  return address.port
}

/** Listens on every IP with one port: a free port of the first IP, retried while another IP has it taken. */
async function listenAll(states: readonly IpState[], requested: number): Promise<number> {
  let lastError: unknown
  for (let attempt = 0; attempt < (requested === 0 ? MAX_PORT_ATTEMPTS : 1); attempt++) {
    const [first, ...rest] = states
    if (first === undefined) throw new TypeError('no IPs')
    try {
      const port = await listen(first, requested)
      for (const s of rest) await listen(s, port)
      return port
    } catch (err) {
      lastError = err
      await Promise.all(states.map((s) => stopState(s)))
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') break
    }
  }
  throw lastError
}

async function stopState(state: IpState): Promise<void> {
  if (!state.running) return
  state.running = false
  const closed = new Promise<void>((resolve) => state.server.close(() => resolve()))
  for (const socket of state.sockets) socket.destroy()
  for (const conn of state.conns.keys()) {
    if ('destroy' in conn && typeof conn.destroy === 'function') (conn as { destroy(): void }).destroy()
  }
  await closed
}
