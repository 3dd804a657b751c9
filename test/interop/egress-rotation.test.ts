/**
 * Rotation over three squid proxies on loopback: round-robin evenness, sticky-per-host
 * stability (and the move after the ttl), and one proxy killed mid-run (SIGKILL) with no
 * idempotent request lost.
 */
import diagnostics from 'node:diagnostics_channel'
import PQueue from 'p-queue'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemoOrigin, type DemoOrigin } from '../../src/demo/index.js'
import { HotConnPool, type RequestEvent } from '../../src/pool/index.js'
import { countingResolver } from '../egress/helpers.js'
import { loopbackIps } from '../pool/helpers/fixtures.js'
import { skipReason, startSquid, type ProxyProcess } from './proxies.js'

const skip = skipReason({ squid: true })
if (skip !== undefined) console.warn(`skipping the rotation tests: ${skip}`)

const HOSTS = ['a.tiles.test', 'b.tiles.test', 'c.tiles.test']
let origins: DemoOrigin[] = []
let squids: ProxyProcess[] = []
const pools: HotConnPool[] = []

describe.skipIf(skip !== undefined)('rotation over three squid proxies', () => {
  beforeAll(async () => {
    origins = await Promise.all(HOSTS.map((hostname) => startDemoOrigin({ hostname, ips: loopbackIps(2) })))
    const hosts = Object.fromEntries(origins.map((o) => [o.hostname, o.ips]))
    squids = await Promise.all(
      ['127.0.0.93', '127.0.0.94', '127.0.0.95'].map((outgoingAddress) => startSquid({ outgoingAddress, hosts })),
    )
  }, 90_000)
  afterAll(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close()))
    await Promise.all(squids.map((s) => s.close()))
    await Promise.all(origins.map((o) => o.close()))
  })

  function pool(egress: Record<string, unknown>): HotConnPool {
    const names = Object.fromEntries(origins.map((o) => [o.hostname, o.ips]))
    const p = new HotConnPool({
      resolver: countingResolver(names),
      ca: origins.map((o) => o.caPem),
      pool: { warmConnsPerIp: 0, maxConnsPerHost: 32, maxConnections: 200 },
      egress: { proxies: squids.map((s) => s.url), ...egress },
    })
    pools.push(p)
    return p
  }

  /** Requests by egress, from the pool's request events. */
  function recordEgresses(): { byEgress: Map<string, number>; perHost: Map<string, string[]>; stop(): void } {
    const byEgress = new Map<string, number>()
    const perHost = new Map<string, string[]>()
    const on = (m: unknown): void => {
      const e = m as RequestEvent
      if (e.statusCode === undefined || e.egress === undefined) return
      byEgress.set(e.egress, (byEgress.get(e.egress) ?? 0) + 1)
      perHost.set(e.host, [...(perHost.get(e.host) ?? []), e.egress])
    }
    diagnostics.subscribe('hotconn:pool:request', on)
    return { byEgress, perHost, stop: () => diagnostics.unsubscribe('hotconn:pool:request', on) }
  }

  async function get(p: HotConnPool, origin: DemoOrigin, path: string): Promise<number> {
    const res = await request(origin.url(path), { dispatcher: p })
    await res.body.arrayBuffer()
    return res.statusCode
  }

  it('round-robin: 90 requests, 30 through each proxy; at concurrency 9, within one of even', async () => {
    const p = pool({ rotation: 'round-robin' })
    const rec = recordEgresses()
    try {
      for (let i = 0; i < 90; i++) expect(await get(p, origins[i % 3]!, `/tiles/8/${i}/1.png`)).toBe(200)
      expect([...rec.byEgress.values()]).toEqual([30, 30, 30])
      rec.byEgress.clear()
      const queue = new PQueue({ concurrency: 9 })
      const statuses = await Promise.all(
        Array.from({ length: 90 }, (_, i) => queue.add(() => get(p, origins[0]!, `/tiles/8/${i}/2.png`))),
      )
      expect(statuses.every((s) => s === 200)).toBe(true)
      const counts = [...rec.byEgress.values()]
      expect(counts).toHaveLength(3)
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1)
    } finally {
      rec.stop()
    }
  })

  it('sticky: each host keeps one proxy for the ttl, then moves to another', async () => {
    const p = pool({ rotation: 'sticky', stickyTtlMs: 1500 })
    const rec = recordEgresses()
    try {
      for (let round = 0; round < 10; round++) {
        for (const o of origins) expect(await get(p, o, `/tiles/5/${round}/3.png`)).toBe(200)
      }
      const first = new Map([...rec.perHost].map(([host, list]) => [host, new Set(list)]))
      for (const set of first.values()) expect(set.size).toBe(1)
      // Three hosts, three proxies, assigned in turn: each host has its own.
      expect(new Set([...first.values()].map((s) => [...s][0])).size).toBe(3)
      await new Promise((r) => setTimeout(r, 1600))
      rec.perHost.clear()
      for (const o of origins) expect(await get(p, o, '/tiles/5/0/4.png')).toBe(200)
      for (const [host, list] of rec.perHost) expect(first.get(host)?.has(list[0]!)).toBe(false)
    } finally {
      rec.stop()
    }
  })

  it('one proxy killed mid-run: 300 GETs at concurrency 8, none lost; the dead proxy gets no request after', async () => {
    const p = pool({ rotation: 'round-robin' })
    const rec = recordEgresses()
    const victim = squids[1]!
    const victimId = victim.url
    let done = 0
    let afterKill = 0
    let killed = false
    const failures: unknown[] = []
    const queue = new PQueue({ concurrency: 8 })
    try {
      const jobs = Array.from({ length: 300 }, (_, i) =>
        queue.add(async () => {
          try {
            const status = await get(p, origins[i % 3]!, `/tiles/9/${i}/5.png`)
            if (status !== 200) failures.push(status)
          } catch (err) {
            failures.push(err)
          }
          if (++done === 100) {
            killed = true
            const before = rec.byEgress.get(victimId) ?? 0
            await victim.kill()
            afterKill = before
          }
        }),
      )
      await Promise.all(jobs)
      expect(killed).toBe(true)
      expect(failures).toEqual([])
      expect(done).toBe(300)
      // Requests already running on its connections when it died may have completed; none after.
      const settled = rec.byEgress.get(victimId) ?? 0
      expect(settled - afterKill).toBeLessThanOrEqual(8)
      const others = [...rec.byEgress].filter(([id]) => id !== victimId).map(([, n]) => n)
      expect(others.reduce((a, b) => a + b, 0) + settled).toBe(300)
      console.info(
        `proxy killed after 100 of 300 GETs: 0 lost; by proxy ${JSON.stringify(Object.fromEntries(rec.byEgress))}; ` +
          `${settled - afterKill} answered through the killed proxy after the kill began`,
      )
    } finally {
      rec.stop()
    }
  })
})
