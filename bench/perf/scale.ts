/**
 * Pool scale: acquire + release cost per operation (getConnection/putConnection) on pools of 10 …
 * 10,000 idle connections (in-memory stand-in sockets, so only the pool's own work is timed; the
 * smallest pool is the baseline), and, with real TLS connections to the origin, the heap per idle
 * connection and the warm-up time of 1,000 connections across 50 loopback IPs, against the same
 * number of node:tls connections opened with the same concurrency.
 */
import { Duplex } from 'node:stream'
import * as tls from 'node:tls'
import { Agent } from 'undici'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Connector, HotConnPool, Resolver } from '../../src/pool/index.js'
import { library } from './library.js'
import { pairedRatio, summarize, type PairedRatio, type Summary } from '../lib/stats.js'
import { hotconnPool, type Target } from './clients.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function fullGc(): void {
  for (let i = 0; i < 3; i++) gc()
}

/** A Duplex that accepts writes, never reads and stays open: an idle connection without I/O. */
class IdleDuplex extends Duplex {
  constructor() {
    super()
    // Raw loans add an 'error' listener each (counted in the result); keep the warning out of the output.
    this.setMaxListeners(0)
  }

  override _read(): void {}
  override _write(_c: unknown, _e: BufferEncoding, cb: (err?: Error | null) => void): void {
    cb()
  }
}

const stubConnector: Connector = async () => new IdleDuplex()

function resolverOf(ips: readonly string[]): Resolver {
  return {
    resolve: async () => ({
      addresses: ips.map((address) => ({ address, family: 4 as const, ttlMs: 3_600_000 })),
      minTtlMs: 3_600_000,
    }),
  }
}

export interface AcquireRow {
  readonly connections: number
  /** ns per acquire + release, one value per round. */
  readonly nsPerOp: number[]
  readonly summary: Summary
  /** Operations per second vs the smallest pool (paired per round): 1 = flat. */
  readonly ratio?: PairedRatio
}

export interface AcquireResult {
  readonly ips: number
  readonly opsPerRound: number
  readonly rounds: number
  readonly rows: AcquireRow[]
  /** Raw loans of each connection of the smallest pool, and the 'error' listeners its socket then carries. */
  readonly loansPerConnection: number
  readonly errorListeners: number
}

/** Interleaved rounds over pools of each size; each round: `ops` × (getConnection + putConnection). */
export async function acquireRelease(sizes: readonly number[], ops: number, rounds: number): Promise<AcquireResult> {
  const ipCount = 10
  const ips = Array.from({ length: ipCount }, (_, i) => `127.0.2.${i + 1}`)
  const pools: HotConnPool[] = []
  try {
    for (const n of sizes) {
      const pool = new (library().HotConnPool)({
        pool: {
          maxConnsPerHost: n,
          maxIdleConns: n,
          maxConnections: n,
          warmConnsPerIp: Math.ceil(n / ipCount),
          idleTimeoutMs: 3_600_000,
          maxLifetimeMs: 3_600_000,
          healthCheckIntervalMs: 3_600_000,
          cleanupIntervalMs: 3_600_000,
        },
        connector: stubConnector,
        resolver: resolverOf(ips),
        warmupConcurrency: 256,
      })
      pools.push(pool)
      await pool.warmup('https://scale.test')
      const s = pool.stats()
      if (s.idle < n) throw new Error(`scale pool of ${n}: only ${s.idle} idle connections after warm-up`)
    }
    const loop = async (pool: HotConnPool, count: number): Promise<number> => {
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < count; i++) pool.putConnection(await pool.getConnection('scale.test'))
      return Number(process.hrtime.bigint() - t0) / count
    }
    for (const p of pools) await loop(p, Math.min(ops, 20_000))
    const per: number[][] = sizes.map(() => [])
    for (let r = 0; r < rounds; r++) for (let i = 0; i < pools.length; i++) per[i]!.push(await loop(pools[i]!, ops))
    const base = per[0]!.map((ns) => 1e9 / ns)
    const rows = sizes.map((connections, i) => {
      const nsPerOp = per[i]!
      return {
        connections,
        nsPerOp,
        summary: summarize(nsPerOp),
        ...(i > 0
          ? {
              ratio: pairedRatio(
                nsPerOp.map((ns) => 1e9 / ns),
                base,
              ),
            }
          : {}),
      }
    })
    const probe = await pools[0]!.getConnection('scale.test')
    const errorListeners = probe.socket.listenerCount('error')
    pools[0]!.putConnection(probe)
    const loansPerConnection = Math.round((Math.min(ops, 20_000) + rounds * ops) / sizes[0]!)
    return { ips: ipCount, opsPerRound: ops, rounds, rows, loansPerConnection, errorListeners }
  } finally {
    for (const p of pools) await p.destroy()
  }
}

export interface MemorySample {
  /** Warm-up wall time, ms. */
  readonly warmupMs: number
  /** After − before, divided by the connection count, bytes (after full GCs). */
  readonly heapPerConn: number
  readonly externalPerConn: number
  readonly rssPerConn: number
  readonly opened: number
}

export interface MemoryResult {
  readonly connections: number
  readonly ips: number
  readonly concurrency: number
  readonly rounds: number
  readonly hotconn: MemorySample[]
  readonly nodeTls: MemorySample[]
  /** undici Agent over node:tls holding the same count of idle keep-alive connections (one GET each opened them). */
  readonly undiciPooled?: MemorySample[]
  readonly warmupRatio: PairedRatio
  readonly heapRatio: PairedRatio
  /** (heap + external) per connection, hotconn over node:tls. */
  readonly heapExternalRatio?: PairedRatio
  /** (heap + external) per connection, hotconn over the undici pool's. */
  readonly heapExternalVsUndici?: PairedRatio
  readonly rssRatio: PairedRatio
  readonly hotconnWarmup: Summary
  readonly nodeTlsWarmup: Summary
}

function snapshot(): { heap: number; external: number; rss: number } {
  fullGc()
  const m = process.memoryUsage()
  return { heap: m.heapUsed, external: m.external + m.arrayBuffers, rss: m.rss }
}

async function hotconnSample(target: Target, ips: readonly string[], n: number): Promise<MemorySample> {
  const before = snapshot()
  const t0 = performance.now()
  const pool = hotconnPool(target, n, ips)
  try {
    const result = await pool.warmup(`https://${target.host}:${target.port}`)
    const warmupMs = performance.now() - t0
    const opened = result.ips.reduce((s, i) => s + i.opened, 0)
    const failed = result.ips.filter((i) => i.error !== undefined).map((i) => `${i.ip}: ${i.error!.message}`)
    if (opened < n)
      throw new Error(
        `hotconn warm-up opened ${opened} of ${n}${failed.length ? ` (${failed.slice(0, 2).join('; ')})` : ''}`,
      )
    const after = snapshot()
    return {
      warmupMs,
      opened,
      heapPerConn: (after.heap - before.heap) / opened,
      externalPerConn: (after.external - before.external) / opened,
      rssPerConn: (after.rss - before.rss) / opened,
    }
  } finally {
    await pool.destroy()
  }
}

async function nodeTlsSample(
  target: Target,
  ips: readonly string[],
  n: number,
  concurrency: number,
): Promise<MemorySample> {
  const before = snapshot()
  const t0 = performance.now()
  const sockets: tls.TLSSocket[] = []
  const open = (ip: string): Promise<tls.TLSSocket> =>
    new Promise((resolve, reject) => {
      const s = tls.connect(
        { host: ip, port: target.port, servername: target.host, ca: target.caPem, ALPNProtocols: ['http/1.1'] },
        () => {
          s.off('error', reject)
          resolve(s)
        },
      )
      s.once('error', reject)
    })
  let next = 0
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          const i = next++
          const s = await open(ips[i % ips.length]!)
          s.on('error', () => {})
          sockets.push(s)
        }
      }),
    )
    const warmupMs = performance.now() - t0
    const after = snapshot()
    return {
      warmupMs,
      opened: sockets.length,
      heapPerConn: (after.heap - before.heap) / sockets.length,
      externalPerConn: (after.external - before.external) / sockets.length,
      rssPerConn: (after.rss - before.rss) / sockets.length,
    }
  } finally {
    for (const s of sockets) s.destroy()
  }
}

/** `n` idle keep-alive connections in an undici Agent (node:tls), opened by `concurrency`-wide GETs per IP. */
async function undiciPooledSample(target: Target, ips: readonly string[], n: number): Promise<MemorySample> {
  const perIp = Math.ceil(n / ips.length)
  const before = snapshot()
  const t0 = performance.now()
  const agent = new Agent({
    connections: perIp,
    keepAliveTimeout: 300_000,
    connect: { ca: target.caPem, servername: target.host, maxCachedSessions: 0 },
  })
  try {
    let opened = 0
    await Promise.all(
      ips.map(async (ip) => {
        const origin = `https://${ip}:${target.port}`
        await Promise.all(
          Array.from({ length: perIp }, async () => {
            const { body } = await agent.request({ origin, path: '/size/1024', method: 'GET' })
            for await (const _ of body);
            opened++
          }),
        )
      }),
    )
    const warmupMs = performance.now() - t0
    const after = snapshot()
    return {
      warmupMs,
      opened,
      heapPerConn: (after.heap - before.heap) / opened,
      externalPerConn: (after.external - before.external) / opened,
      rssPerConn: (after.rss - before.rss) / opened,
    }
  } finally {
    await agent.destroy()
  }
}

/** Warm-up time and memory of `n` idle connections across `ips`, interleaved with node:tls, `rounds` times. */
export async function memoryAndWarmup(
  target: Target,
  ips: readonly string[],
  n: number,
  rounds: number,
  log: (m: string) => void,
): Promise<MemoryResult> {
  const concurrency = 16 // HotConnPool's default warmupConcurrency
  const hot: MemorySample[] = []
  const nat: MemorySample[] = []
  const und: MemorySample[] = []
  for (let r = 0; r < rounds; r++) {
    log(`  round ${r + 1}/${rounds}: hotconn warm-up of ${n} connections…`)
    hot.push(await hotconnSample(target, ips, n))
    await new Promise((res) => setTimeout(res, 300))
    log(`  round ${r + 1}/${rounds}: ${n} node:tls connections…`)
    nat.push(await nodeTlsSample(target, ips, n, concurrency))
    await new Promise((res) => setTimeout(res, 300))
    log(`  round ${r + 1}/${rounds}: ${n} idle connections in an undici Agent…`)
    und.push(await undiciPooledSample(target, ips, n))
    await new Promise((res) => setTimeout(res, 300))
  }
  const he = (xs: MemorySample[]): number[] => xs.map((s) => s.heapPerConn + s.externalPerConn)
  return {
    connections: n,
    ips: ips.length,
    concurrency,
    rounds,
    hotconn: hot,
    nodeTls: nat,
    undiciPooled: und,
    heapExternalRatio: pairedRatio(he(hot), he(nat)),
    heapExternalVsUndici: pairedRatio(he(hot), he(und)),
    warmupRatio: pairedRatio(
      hot.map((s) => 1 / s.warmupMs),
      nat.map((s) => 1 / s.warmupMs),
    ),
    heapRatio: pairedRatio(
      hot.map((s) => s.heapPerConn),
      nat.map((s) => s.heapPerConn),
    ),
    rssRatio: pairedRatio(
      hot.map((s) => s.rssPerConn),
      nat.map((s) => s.rssPerConn),
    ),
    hotconnWarmup: summarize(hot.map((s) => s.warmupMs)),
    nodeTlsWarmup: summarize(nat.map((s) => s.warmupMs)),
  }
}
