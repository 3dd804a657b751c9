/**
 * The pool over HTTP/2: multiplexing (one connection per IP while the streams limit allows; one
 * connection on a cold pool until ALPN is known), GOAWAY mid-run without losing requests, PING
 * health checks, the HTTP/2 fallback (one stream per connection, the hello unchanged) and back,
 * HTTP/2 off. Real servers on loopback IPs (the demo origin with http2: true, and a small h2 origin
 * that can send GOAWAY and break HTTP/2).
 */
import diagnostics from 'node:diagnostics_channel'
import { afterEach, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { HotConnPool } from '../../src/pool/index.js'
import { startDemoOrigin, type DemoOrigin } from '../../src/demo/index.js'
import { loopbackIps, ServerConnTracker, waitFor } from './helpers/fixtures.js'
import { startH2Origin, type H2Origin } from './helpers/h2-origin.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Runs `total` GETs of `url(i)` through `pool`, `concurrency` at a time; returns statuses and errors. */
async function run(
  pool: HotConnPool,
  url: (i: number) => string,
  total: number,
  concurrency: number,
  onProgress?: (done: number) => void,
) {
  let next = 0
  let done = 0
  const statuses = new Map<number, number>()
  const errors: Error[] = []
  const protocols = new Map<string, number>()
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++
      try {
        const res = await request(url(i), { dispatcher: pool })
        const body = await res.body.text()
        if (!body.startsWith('ok') && !body.includes('hotconn demo origin') && res.statusCode !== 200)
          throw new Error(`bad body ${body}`)
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
        const http = String(res.headers['x-http'] ?? '')
        protocols.set(http, (protocols.get(http) ?? 0) + 1)
      } catch (err) {
        errors.push(err as Error)
      }
      onProgress?.(++done)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => worker()))
  return { statuses, errors, protocols }
}

describe('multiplexing over the demo origin (http2: true)', () => {
  it('2,000 requests at concurrency 64 use one connection per IP, with 0 failures', async () => {
    const ips = loopbackIps(4)
    const origin: DemoOrigin = await startDemoOrigin({ ips, http2: true, dns: { ttl: 60 } })
    const tracker = new ServerConnTracker(ips)
    cleanups.push(async () => {
      tracker.dispose()
      await origin.close()
    })
    const pool = new HotConnPool({
      ca: origin.caPem,
      dns: { servers: [`127.0.0.1:${origin.dns!.port}`] },
      pool: { warmConnsPerIp: 1, maxConnsPerHost: 16, maxConnections: 16, maxIdleConns: 16 },
    })
    cleanups.push(() => pool.close())
    await pool.warmup(origin.url())
    const { statuses, errors } = await run(pool, (i) => origin.url(`/tiles/3/${i % 8}/${i % 5}.png`), 2000, 64)
    expect(errors).toEqual([])
    expect(statuses.get(200)).toBe(2000)
    for (const ip of ips) {
      expect(tracker.maxOpen.get(ip)).toBe(1)
      expect(origin.stats(ip).requests).toBeGreaterThan(100) // load spread over every IP
    }
    expect(tracker.accepted).toBe(4)
    const stats = pool.stats().hosts[`${origin.hostname}:${origin.port}`]!
    expect(stats.ips.every((i) => i.http2 === true)).toBe(true)
    expect(stats.handshakes).toBe(4)
    expect(stats.failures).toBe(0)
  })
})

describe('the streams limit and GOAWAY (h2 origin)', () => {
  async function setup(
    options: {
      maxConcurrentStreams?: number
      delayMs?: number
      pool?: Record<string, unknown>
      http2?: Record<string, unknown>
    } = {},
  ): Promise<{ origin: H2Origin; pool: HotConnPool }> {
    const origin = await startH2Origin({ ips: loopbackIps(4), ...options })
    cleanups.push(() => origin.close())
    const pool = new HotConnPool({
      ca: origin.caPem,
      resolver: origin.resolver,
      pool: { warmConnsPerIp: 1, maxConnsPerHost: 16, maxConnections: 16, maxIdleConns: 16, ...(options.pool ?? {}) },
      ...(options.http2 !== undefined ? { http2: options.http2 } : {}),
    })
    cleanups.push(() => pool.close())
    return { origin, pool }
  }

  it('opens more connections to an IP only when SETTINGS_MAX_CONCURRENT_STREAMS forces it', async () => {
    const { origin, pool } = await setup({ maxConcurrentStreams: 8, delayMs: 5 })
    await pool.warmup(origin.url())
    const { errors, statuses } = await run(pool, (i) => origin.url(`/${i}`), 1000, 64)
    expect(errors).toEqual([])
    expect(statuses.get(200)).toBe(1000)
    // 64 in flight over 4 IPs at 8 streams per connection: 2 connections per IP are needed.
    const opened = Object.values(origin.counters).map((c) => c.maxOpen)
    expect(Math.max(...opened)).toBeGreaterThanOrEqual(2)
    expect(Math.max(...opened)).toBeLessThanOrEqual(3)
    expect(Object.values(origin.counters).reduce((n, c) => n + c.connections, 0)).toBeLessThanOrEqual(16)
  })

  it('a GOAWAY sent to every connection mid-run loses 0 of 2,000 requests', async () => {
    const { origin, pool } = await setup({ delayMs: 4 })
    await pool.warmup(origin.url())
    let hit = 0
    let refused = 0
    const onRequest = (e: unknown): void => {
      if (String((e as { error?: Error }).error?.message).includes('not processed')) refused++
    }
    diagnostics.subscribe('hotconn:pool:request', onRequest)
    cleanups.push(async () => {
      diagnostics.unsubscribe('hotconn:pool:request', onRequest)
    })
    const { errors, statuses, protocols } = await run(
      pool,
      (i) => origin.url(`/${i}`),
      2000,
      64,
      (done) => {
        if (done === 600 || done === 1400) hit += origin.goawayAll()
      },
    )
    expect(hit).toBeGreaterThanOrEqual(4)
    expect(errors.map((e) => e.message).slice(0, 3)).toEqual([])
    expect(statuses.get(200)).toBe(2000)
    expect(protocols.get('2.0')).toBe(2000)
    // Each GOAWAY'd connection was replaced, not more: 4 warm + at most 4 per GOAWAY round.
    expect(Object.values(origin.counters).reduce((n, c) => n + c.connections, 0)).toBeLessThanOrEqual(12)
    expect(refused).toBeGreaterThan(0) // streams sent after a GOAWAY were refused, then served elsewhere
    expect(Object.values(origin.counters).reduce((n, c) => n + c.h2Requests, 0)).toBe(2000)
  })

  it('checks idle HTTP/2 connections with PING and keeps them', async () => {
    const { origin, pool } = await setup()
    await pool.warmup(origin.url())
    await run(pool, (i) => origin.url(`/${i}`), 8, 4)
    const before = Object.values(origin.counters).reduce((n, c) => n + c.h2Requests, 0)
    await pool.checkHealth()
    const after = Object.values(origin.counters).reduce((n, c) => n + c.h2Requests, 0)
    expect(after).toBe(before) // PING, not a request
    expect(Object.values(origin.counters).reduce((n, c) => n + c.connections, 0)).toBe(4)
    expect(pool.stats().idle).toBe(4)
  })

  it('after fallback_threshold HTTP/2 failures to an IP, its new connections carry one stream at a time, and multiplex again after fallback_ttl', async () => {
    const { origin } = await setup()
    origin.breakH2 = true
    const ip = origin.ips[0]!
    const host = `${origin.hostname}:${origin.port}`
    // One IP in play, so that every HTTP/2 failure counts against it.
    const one = new HotConnPool({
      ca: origin.caPem,
      resolver: { resolve: async () => ({ addresses: [{ address: ip, family: 4, ttlMs: 60_000 }], minTtlMs: 60_000 }) },
      http2: { fallbackThreshold: 2, fallbackTtlMs: 1000 },
      pool: { warmConnsPerIp: 0 },
    })
    cleanups.push(() => one.close())
    // The server breaks every HTTP/2 session (as it would a browser's: the hello offers h2 on every path).
    await run(one, (i) => origin.url(`/${i}`), 2, 1)
    const c = origin.counters[ip]!
    expect(c.h2Sessions).toBeGreaterThanOrEqual(2)
    expect(c.h1Requests).toBe(0)
    expect(one.stats().hosts[host]!.ips[0]!.http1FallbackUntil).toBeInstanceOf(Date)
    // HTTP/2 is mended; within the window each connection carries one request at a time.
    origin.breakH2 = false
    origin.dropAll()
    await waitFor(() => one.stats().connections === 0, 'the dropped connections to close')
    const connectionsBefore = c.connections
    const during = await run(one, (i) => origin.url(`/d${i}`), 8, 4)
    expect(during.errors).toEqual([])
    expect(during.protocols.get('2.0')).toBe(8)
    expect(c.connections - connectionsBefore).toBeGreaterThanOrEqual(4)
    // After the window, connections multiplex again: one carries the concurrent requests.
    await new Promise((r) => setTimeout(r, 1050))
    origin.dropAll()
    await waitFor(() => one.stats().connections === 0, 'the dropped connections to close')
    const afterBefore = c.connections
    const after = await run(one, (i) => origin.url(`/a${i}`), 8, 4)
    expect(after.errors).toEqual([])
    expect(after.protocols.get('2.0')).toBe(8)
    expect(c.connections - afterBefore).toBe(1)
    expect(one.stats().hosts[host]!.ips[0]!.http1FallbackUntil).toBeUndefined()
  })

  it('with http2.enabled = false the hello still offers h2: a server that picks it gets one stream per connection', async () => {
    const { origin, pool } = await setup({ http2: { enabled: false }, pool: { warmConnsPerIp: 0 } })
    const total = (): number => Object.values(origin.counters).reduce((n, c) => n + c.connections, 0)
    const r = await run(pool, (i) => origin.url(`/${i}`), 8, 4)
    expect(r.errors).toEqual([])
    expect(r.protocols.get('2.0')).toBe(8)
    expect(total()).toBeGreaterThanOrEqual(4)
  })

  it('a cold pool opens one connection to an h2 origin until its ALPN answer, then multiplexes on it', async () => {
    const { origin, pool } = await setup({ pool: { warmConnsPerIp: 0, maxConnsPerHost: 10 } })
    const total = (): number => Object.values(origin.counters).reduce((n, c) => n + c.connections, 0)
    const r = await run(pool, (i) => origin.url(`/${i}`), 32, 32)
    expect(r.errors).toEqual([])
    expect(r.protocols.get('2.0')).toBe(32)
    expect(total()).toBe(1)
    expect(pool.stats().hosts[`${origin.hostname}:${origin.port}`]!.handshakes).toBe(1)
  })
})
