/**
 * The embedded demo origin: one HTTPS server per loopback IP, all on the same port and all
 * serving the same host name with a certificate from a CA created at start. Used by
 * `npm start` and by the pool's integration tests, which read its per-IP counters and switch
 * per-IP behaviour (403/429 answers, delays, stopping an IP, closing idle connections).
 *
 * Routes: `/` (200 text), `/tiles/{z}/{x}/{y}.png` (a valid PNG of the tile, see `tileBody`),
 * `/pages/1` … `/pages/20` (linked HTML pages behind a session cookie, for crawlers: see pages.ts),
 * anything else 404. HEAD works on every route. Every response carries `x-served-by: <ip>`.
 */
import { isIP } from 'node:net'
import { createCA, issueLeaf } from '../testing/pki.js'
import { startDnsServer, type DnsServer } from './dns-server.js'
import { IpServer, zeroStats, type OriginShared } from './origin-ip.js'
import type { DemoOrigin, DemoOriginOptions, IpBehaviour, OriginFaults, OriginIpStats } from './origin-types.js'
import { DEFAULT_TILE_BYTES, route, tileBody } from './tiles.js'

export type {
  DemoOrigin,
  DemoOriginOptions,
  IpBehaviour,
  OriginFaults,
  OriginIpStats,
  OriginRequestEvent,
} from './origin-types.js'
export { DEMO_CLIENT_HEADER } from './origin-types.js'

const DEFAULT_IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'] as const
const MAX_PORT_ATTEMPTS = 20

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
  const shared: OriginShared = {
    hostname,
    tileBytes,
    faults: { ...options.faults },
    timers: new Set(),
    onRequest: options.onRequest,
    sessions: new Set(),
    prerendered: new Map(),
  }
  const servers = new Map<string, IpServer>()
  for (const ip of ips) {
    const behaviour: IpBehaviour = options.forbiddenIps?.includes(ip) === true ? { status: 403 } : {}
    const tls = { cert: leaf.chainPem, key: leaf.keyPem }
    servers.set(ip, new IpServer(ip, tls, options.http2 === true, behaviour, shared))
  }
  const port = await listenAll([...servers.values()], options.port ?? 0)
  let dns: DnsServer | undefined
  try {
    dns = await startDns(options, hostname, ips)
  } catch (err) {
    await Promise.all([...servers.values()].map((s) => s.stop()))
    throw err
  }
  return new Origin(
    { hostname, port, ips, caPem: ca.certPem, certPem: leaf.certPem, keyPem: leaf.keyPem, dns },
    servers,
    shared,
  )
}

async function startDns(options: DemoOriginOptions, hostname: string, ips: string[]): Promise<DnsServer | undefined> {
  if (options.dns === undefined || options.dns === false) return undefined
  const d = options.dns === true ? {} : options.dns
  return startDnsServer({
    ...(d.host === undefined ? {} : { host: d.host }),
    ...(d.port === undefined ? {} : { port: d.port }),
    records: {
      [hostname]: { A: ips.filter((ip) => isIP(ip) === 4), AAAA: ips.filter((ip) => isIP(ip) === 6), ttl: d.ttl ?? 30 },
    },
  })
}

type Facts = Pick<DemoOrigin, 'hostname' | 'port' | 'ips' | 'caPem' | 'certPem' | 'keyPem' | 'dns'>

class Origin implements DemoOrigin {
  readonly hostname: string
  readonly port: number
  readonly ips: readonly string[]
  readonly caPem: string
  readonly certPem: string
  readonly keyPem: string
  readonly dns: DnsServer | undefined
  readonly #servers: Map<string, IpServer>
  readonly #shared: OriginShared
  #closing: Promise<void> | undefined

  constructor(facts: Facts, servers: Map<string, IpServer>, shared: OriginShared) {
    this.hostname = facts.hostname
    this.port = facts.port
    this.ips = facts.ips
    this.caPem = facts.caPem
    this.certPem = facts.certPem
    this.keyPem = facts.keyPem
    this.dns = facts.dns
    this.#servers = servers
    this.#shared = shared
  }

  #get(ip: string): IpServer {
    const s = this.#servers.get(ip)
    if (s === undefined) throw new RangeError(`the demo origin does not serve ${ip}; it serves ${this.ips.join(', ')}`)
    return s
  }

  url(path = '/'): string {
    return `https://${this.hostname}:${this.port}${path}`
  }

  stats(ip: string): OriginIpStats {
    return { ...this.#get(ip).stats }
  }

  allStats(): Record<string, OriginIpStats> {
    return Object.fromEntries([...this.#servers].map(([ip, s]) => [ip, { ...s.stats }]))
  }

  totals(): OriginIpStats {
    const sum = zeroStats()
    for (const s of this.#servers.values()) {
      for (const k of Object.keys(sum) as Array<keyof OriginIpStats>) sum[k] += s.stats[k]
    }
    return sum
  }

  resetStats(): void {
    for (const s of this.#servers.values()) Object.assign(s.stats, { ...zeroStats(), open: s.stats.open })
  }

  setBehaviour(ip: string, behaviour: IpBehaviour | undefined): void {
    this.#get(ip).behaviour = { ...behaviour }
  }

  setFaults(faults: OriginFaults): void {
    this.#shared.faults = { ...faults }
    for (const s of this.#servers.values()) s.applyFaults()
  }

  prerenderTiles(tiles: Iterable<{ z: number; x: number; y: number }>): number {
    const kept = this.#shared.prerendered
    for (const { z, x, y } of tiles) {
      const r = route(`/tiles/${z}/${x}/${y}.png`)
      if (r.kind === 'tile') kept.set(`${z}/${x}/${y}`, tileBody(z, x, y, this.#shared.tileBytes))
    }
    return kept.size
  }

  closeIdleConnections(ip?: string): number {
    const list = ip === undefined ? [...this.#servers.values()] : [this.#get(ip)]
    return list.reduce((n, s) => n + s.closeIdle(), 0)
  }

  stopIp(ip: string): Promise<void> {
    return this.#get(ip).stop()
  }

  async startIp(ip: string): Promise<void> {
    const s = this.#get(ip)
    if (!s.running) await s.listen(this.port)
  }

  isRunning(ip: string): boolean {
    return this.#get(ip).running
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const t of this.#shared.timers) clearTimeout(t)
      this.#shared.timers.clear()
      this.#shared.prerendered.clear()
      await Promise.all([...this.#servers.values()].map((s) => s.stop()))
      await this.dns?.close()
    })()
    return this.#closing
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
  if (!Number.isInteger(tileBytes) || tileBytes < 0)
    throw new TypeError(`tileBytes must be an integer >= 0, got ${tileBytes}`)
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TypeError(`port must be an integer in [0, 65535], got ${port}`)
}

/** Listens on every IP with one port: a free port of the first IP, retried while another IP has it taken. */
async function listenAll(servers: readonly IpServer[], requested: number): Promise<number> {
  let lastError: unknown
  for (let attempt = 0; attempt < (requested === 0 ? MAX_PORT_ATTEMPTS : 1); attempt++) {
    const [first, ...rest] = servers
    if (first === undefined) throw new TypeError('no IPs')
    try {
      const port = await first.listen(requested)
      for (const s of rest) await s.listen(port)
      return port
    } catch (err) {
      lastError = err
      await Promise.all(servers.map((s) => s.stop()))
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') break
    }
  }
  throw lastError
}
