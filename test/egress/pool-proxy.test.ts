/**
 * The pool through proxies and local addresses, against the demo origin (HTTPS on several
 * loopback IPs) and CONNECT proxies written in Node: per-IP and by-name pools, the ClientHello
 * inside the tunnel, typed proxy failures, failover to another proxy, source address rotation.
 * squid and dante run the same scenarios in test/interop/egress-*.test.ts.
 */
import diagnostics from 'node:diagnostics_channel'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fetch, request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { errorCode } from '../../src/util/error-code.js'
import type { BlacklistEvent, CloseEvent, ConnectEvent, HotConnPool, RequestEvent } from '../../src/pool/index.js'
import { startConnectProxy, type ConnectProxy, type ConnectProxyOptions } from '../helpers/connect-proxy.js'
import { loopbackIps, startTestOrigin, testPool, type TestOrigin } from '../pool/helpers/fixtures.js'
import { captureHello, countingResolver, expectSameHello, PeerTracker } from './helpers.js'

let t: TestOrigin
let peers: PeerTracker
const proxies: ConnectProxy[] = []
const pools: HotConnPool[] = []

beforeAll(async () => {
  t = await startTestOrigin({ ips: loopbackIps(4) })
  peers = new PeerTracker(t.origin.ips)
})
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()))
  await Promise.all(proxies.splice(0).map((p) => p.close()))
  peers.peers.clear()
})
afterAll(async () => {
  peers.dispose()
  await t.close()
})

async function proxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const p = await startConnectProxy(options)
  proxies.push(p)
  return p
}

function pool(options: Parameters<typeof testPool>[1] = {}): HotConnPool {
  const p = testPool(t, options)
  pools.push(p)
  return p
}

async function get(p: HotConnPool, path = '/'): Promise<{ status: number; ip: string }> {
  const res = await request(t.origin.url(path), { dispatcher: p })
  await res.body.arrayBuffer()
  return { status: res.statusCode, ip: String(res.headers['x-served-by']) }
}

describe('per-IP pools through a proxy', () => {
  it('warm every IP through the proxy: CONNECT ip:port, SNI = host, the origin sees the proxy', async () => {
    const p = await proxy({ outgoingAddress: '127.0.0.20' })
    const hc = pool({ egress: { proxies: [p.url] }, pool: { warmConnsPerIp: 2 } })
    const warm = await hc.warmup(t.origin.url())
    expect(warm.ips.map((i) => [i.ip, i.opened, i.egress])).toEqual(t.origin.ips.map((ip) => [ip, 2, p.url]))
    expect(p.requests.map((r) => r.authority).sort()).toEqual(
      t.origin.ips.flatMap((ip) => [`${ip}:${t.origin.port}`, `${ip}:${t.origin.port}`]).sort(),
    )
    for (const ip of t.origin.ips) expect(peers.peers.get(ip)).toEqual(['127.0.0.20', '127.0.0.20'])
    const stats = hc.stats().hosts[`${t.origin.hostname}:${t.origin.port} via ${p.url}`]
    expect(stats?.egress).toBe(p.url)
    expect(stats?.ips.map((i) => i.idle)).toEqual([2, 2, 2, 2])
    // Requests ride the warmed tunnels: no new CONNECT.
    for (let i = 0; i < 8; i++) expect((await get(hc, `/tiles/3/${i}/1.png`)).status).toBe(200)
    expect(p.requests).toHaveLength(8)
  })

  it('send the same ClientHello inside the tunnel as direct', async () => {
    const [ip] = loopbackIps(1)
    const direct = await captureHello(ip!)
    const p = await proxy()
    const proxied = await captureHello(ip!, { proxies: [p.url] })
    expect(p.requests[0]?.authority).toMatch(new RegExp(`^${ip!.replaceAll('.', '\\.')}:\\d+$`))
    expectSameHello(proxied, direct)
    expect(proxied.serverName).toBe('tiles.test')
  })
})

describe('http:// through a proxy', () => {
  it("warms a tunnel to every IP (CONNECT ip:port), the origin sees the proxy and the identity's headers", async () => {
    const ips = ['127.0.0.41', '127.0.0.42']
    const seen: Array<{ ip: string; peer: string; ua: string | undefined; host: string | undefined }> = []
    const servers = ips.map((ip) =>
      createServer((req, res) => {
        seen.push({ ip, peer: req.socket.remoteAddress ?? '', ua: req.headers['user-agent'], host: req.headers.host })
        res.end(`plain ${req.url}`)
      }),
    )
    await new Promise<void>((r) => servers[0]!.listen(0, ips[0], r))
    const port = (servers[0]!.address() as AddressInfo).port
    await new Promise<void>((r) => servers[1]!.listen(port, ips[1], r))
    try {
      const p = await proxy({ outgoingAddress: '127.0.0.22' })
      const hc = pool({ resolver: countingResolver({ 'plain.test': ips }), egress: { proxies: [p.url] } })
      const warm = await hc.warmup(`http://plain.test:${port}`)
      expect(warm.ips.map((i) => [i.ip, i.opened])).toEqual(ips.map((ip) => [ip, 1]))
      for (let i = 0; i < 4; i++) {
        const res = await request(`http://plain.test:${port}/p${i}`, { dispatcher: hc })
        expect(await res.body.text()).toBe(`plain /p${i}`)
      }
      expect(new Set(p.requests.map((r) => r.authority))).toEqual(new Set(ips.map((ip) => `${ip}:${port}`)))
      expect(new Set(seen.map((s) => s.ip))).toEqual(new Set(ips))
      expect(seen.every((s) => s.peer === '127.0.0.22' && s.host === `plain.test:${port}`)).toBe(true)
      expect(seen[0]!.ua).toMatch(/^Mozilla\/5\.0 \(Windows NT 10\.0; Win64; x64\)/)
      const stats = hc.stats().hosts[`http://plain.test:${port} via ${p.url}`]
      expect(stats?.ips.map((i) => i.ip).sort()).toEqual(ips)
    } finally {
      for (const s of servers) s.closeAllConnections()
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
    }
  })
})

describe('by-name pools', () => {
  it('CONNECT host:port and let the proxy resolve: the local resolver is not asked', async () => {
    const p = await proxy({ names: { [t.origin.hostname]: t.origin.ips[1]! } })
    const resolver = countingResolver({})
    const hc = pool({ resolver, egress: { proxies: [p.url], resolve: 'proxy' } })
    for (let i = 0; i < 4; i++)
      expect(await get(hc, `/tiles/2/${i}/0.png`)).toEqual({ status: 200, ip: t.origin.ips[1] })
    expect(resolver.asked).toEqual([])
    expect(p.requests[0]?.authority).toBe(`${t.origin.hostname}:${t.origin.port}`)
    const stats = hc.stats().hosts[`${t.origin.hostname}:${t.origin.port} via ${p.url} by name`]
    expect(stats?.ips.map((i) => [i.ip, i.family])).toEqual([[t.origin.hostname, 0]])
  })
})

describe('proxy failures', () => {
  it('407: the request fails with ERR_PROXY_AUTH and nothing is struck', async () => {
    const p = await proxy({ credentials: { user: 'u', password: 'right' } })
    const hc = pool({ egress: { proxies: [p.url.replace('right', 'wrong')] } })
    const err = await fetch(t.origin.url('/'), { dispatcher: hc }).catch((e: unknown) => e)
    expect(errorCode(err)).toBe('ERR_PROXY_AUTH')
    const host = Object.values(hc.stats().hosts)[0]
    expect(host?.blacklisted).toEqual([])
    expect(host?.ips.every((i) => i.state === 'active')).toBe(true)
  })

  it('a stalled CONNECT is bounded by connect_timeout (ERR_PROXY_TIMEOUT)', async () => {
    const p = await proxy({ mode: 'stall' })
    const hc = pool({ egress: { proxies: [p.url] }, pool: { connectTimeoutMs: 300 } })
    const started = performance.now()
    const err = await fetch(t.origin.url('/'), { dispatcher: hc }).catch((e: unknown) => e)
    expect(errorCode(err)).toBe('ERR_PROXY_TIMEOUT')
    expect(performance.now() - started).toBeLessThan(3000)
  })

  it('a dead or failing proxy costs no request: they move to the other proxy', async () => {
    const good = await proxy()
    const closing = await proxy({ mode: 'close' })
    const dead = await proxy()
    await dead.close()
    const hc = pool({ egress: { proxies: [closing.url, dead.url, good.url] } })
    const connects: ConnectEvent[] = []
    const onConnect = (m: unknown): void => void connects.push(m as ConnectEvent)
    diagnostics.subscribe('hotconn:pool:connect', onConnect)
    try {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => get(hc, `/tiles/4/${i}/2.png`)))
      expect(results.every((r) => r.status === 200)).toBe(true)
    } finally {
      diagnostics.unsubscribe('hotconn:pool:connect', onConnect)
    }
    const failed = connects.filter((c) => c.error !== undefined)
    expect(new Set(failed.map((c) => c.egress))).toEqual(new Set([closing.url, dead.url]))
    expect(connects.filter((c) => c.error === undefined).every((c) => c.egress === good.url)).toBe(true)
  })
})

describe('local source addresses', () => {
  it('take turns: the origin sees 127.0.0.10, .11, .12 and .13 in rotation', async () => {
    const sources = ['127.0.0.10', '127.0.0.11', '127.0.0.12', '127.0.0.13']
    const hc = pool({ egress: { localAddresses: sources }, pool: { warmConnsPerIp: 0, maxConnsPerHost: 16 } })
    const seen: string[] = []
    for (let i = 0; i < 8; i++) {
      const before = peers.all().length
      await get(hc, `/tiles/5/${i}/3.png`)
      seen.push(...peers.all().slice(before))
    }
    // Round-robin over four egresses, one partition each: the first four requests open one
    // connection from each address, the next four reuse them.
    expect(seen).toEqual(sources)
    const egresses = Object.values(hc.stats().hosts).map((h) => [h.egress, h.requests])
    expect(egresses).toEqual(sources.map((s) => [`direct from ${s}`, 2]))
  })

  it('an address that cannot be bound fails the request with ERR_LOCAL_ADDRESS, striking nothing', async () => {
    const hc = pool({ egress: { localAddresses: ['192.0.2.10'] } })
    const err = await fetch(t.origin.url('/'), { dispatcher: hc }).catch((e: unknown) => e)
    expect(errorCode(err)).toBe('ERR_LOCAL_ADDRESS')
    expect(Object.values(hc.stats().hosts)[0]?.ips.every((i) => i.state === 'active' && i.failures >= 0)).toBe(true)
  })

  it('per request: the dispatch option and forEgress() pick the egress', async () => {
    const p = await proxy({ outgoingAddress: '127.0.0.21' })
    const hc = pool()
    const direct = peers.all().length
    await get(hc)
    expect(peers.all().slice(direct)).toEqual(['127.0.0.1'])
    const res = await request(t.origin.url('/'), { dispatcher: hc.forEgress({ localAddress: '127.0.0.14' }) })
    await res.body.arrayBuffer()
    await (await fetch(t.origin.url('/tiles/1/0/0.png'), { dispatcher: hc.forEgress(p.url) })).arrayBuffer()
    const opts = { origin: new URL(t.origin.url()).origin, path: '/', method: 'GET', egress: p.url } as const
    await new Promise<void>((resolve, reject) =>
      hc.dispatch(opts, {
        onRequestStart: () => {},
        onResponseStart: () => {},
        onResponseData: () => {},
        onResponseEnd: () => resolve(),
        onResponseError: (_c, err) => reject(err),
      }),
    )
    expect(peers.all().slice(direct + 1)).toEqual(['127.0.0.14', '127.0.0.21'])
    expect(p.requests).toHaveLength(1)
    expect(Object.values(hc.stats().hosts).map((h) => h.egress)).toEqual(['direct', 'direct from 127.0.0.14', p.url])
  })
})

describe('blocking statuses blame the egress', () => {
  it('403s through one source address move the requests to the other and leave every IP active', async () => {
    const [blocked, open] = ['127.0.0.10', '127.0.0.11']
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, { status: 403, sources: [blocked] })
    const events = { request: [] as RequestEvent[], blacklist: [] as BlacklistEvent[], close: [] as CloseEvent[] }
    const listeners = (Object.keys(events) as (keyof typeof events)[]).map((name) => {
      const fn = (m: unknown): void => void (events[name] as unknown[]).push(m)
      diagnostics.subscribe(`hotconn:pool:${name}`, fn)
      return () => diagnostics.unsubscribe(`hotconn:pool:${name}`, fn)
    })
    try {
      const hc = pool({
        egress: { localAddresses: [blocked, open] },
        blacklist: { failureThreshold: 3, ttlMs: 60_000 },
        pool: { warmConnsPerIp: 0 },
      })
      const statuses: number[] = []
      for (let i = 0; i < 24; i++) statuses.push((await get(hc, `/tiles/6/${i}/1.png`)).status)
      // Round-robin sends every other request through the blocked address until its 403s on
      // three distinct paths block it for the host; then every request leaves through the other.
      expect(statuses.filter((s) => s === 403)).toHaveLength(3)
      expect(statuses.slice(6).every((s) => s === 200)).toBe(true)
      const hosts = Object.values(hc.stats().hosts)
      for (const h of hosts) {
        expect(h.blacklisted).toEqual([])
        expect(h.ips.every((i) => i.state === 'active')).toBe(true)
      }
      const through = Object.fromEntries(hosts.map((h) => [h.egress, h.requests]))
      expect(through).toEqual({ [`direct from ${blocked}`]: 3, [`direct from ${open}`]: 21 })
      // Events name the egress: each request's, the block of the pair, the connections closed.
      const byEgress = (list: { egress?: string }[]): Record<string, number> => {
        const n: Record<string, number> = {}
        for (const e of list) n[e.egress ?? '?'] = (n[e.egress ?? '?'] ?? 0) + 1
        return n
      }
      expect(byEgress(events.request)).toEqual({ [`direct from ${blocked}`]: 3, [`direct from ${open}`]: 21 })
      expect(events.blacklist).toEqual([
        expect.objectContaining({
          egress: `direct from ${blocked}`,
          ip: '*',
          action: 'blacklisted',
          reason: expect.stringMatching(/^egress blocked: HTTP 403 on 3 paths/),
        }),
      ])
      await hc.close()
      expect(Object.keys(byEgress(events.close)).sort()).toEqual([`direct from ${blocked}`, `direct from ${open}`])
    } finally {
      for (const stop of listeners) stop()
      for (const ip of t.origin.ips) t.origin.setBehaviour(ip, undefined)
    }
  })
})
