/**
 * The pool through real proxies on loopback: squid (HTTP CONNECT, basic_ncsa_auth) and dante
 * (SOCKS5, username auth). Per-IP pools warm every IP of the demo origin through each proxy, the
 * origin sees the proxy's address, and the ClientHello inside the tunnel is the direct one; by
 * name, the proxy resolves (dante from its own /etc/hosts: hotconn's resolver is not asked).
 */
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HotConnPool } from '../../src/pool/index.js'
import { errorCode } from '../../src/util/error-code.js'
import { captureHello, countingResolver, expectSameHello, PeerTracker } from '../egress/helpers.js'
import { loopbackIps, startTestOrigin, testPool, type TestOrigin } from '../pool/helpers/fixtures.js'
import { createSocksUser, skipReason, startDante, startSquid, type Credentials, type ProxyProcess } from './proxies.js'

const squidSkip = skipReason({ squid: true, auth: true })
const danteSkip = skipReason({ dante: true, auth: true })
if (squidSkip !== undefined) console.warn(`skipping the squid tests: ${squidSkip}`)
if (danteSkip !== undefined) console.warn(`skipping the dante tests: ${danteSkip}`)

let t: TestOrigin
let peers: PeerTracker
const pools: HotConnPool[] = []

beforeAll(async () => {
  t = await startTestOrigin({ ips: loopbackIps(4) })
  peers = new PeerTracker(t.origin.ips)
})
afterAll(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()))
  peers?.dispose()
  await t?.close()
})

function pool(options: Parameters<typeof testPool>[1]): HotConnPool {
  const p = testPool(t, options)
  pools.push(p)
  return p
}

async function get(p: HotConnPool, path: string): Promise<{ status: number; ip: string }> {
  const res = await request(t.origin.url(path), { dispatcher: p })
  await res.body.arrayBuffer()
  return { status: res.statusCode, ip: String(res.headers['x-served-by']) }
}

/** Warms the origin through `proxyUrl` per IP; checks every IP is hot and saw only the proxy. */
async function warmPerIp(proxyUrl: string, outgoing: string): Promise<void> {
  peers.peers.clear()
  const hc = pool({ egress: { proxies: [proxyUrl] }, pool: { warmConnsPerIp: 2 } })
  const warm = await hc.warmup(t.origin.url())
  expect(warm.ips.map((i) => [i.ip, i.opened, i.failed])).toEqual(t.origin.ips.map((ip) => [ip, 2, 0]))
  const stats = Object.values(hc.stats().hosts)
  expect(stats).toHaveLength(1)
  expect(stats[0]?.ips.map((i) => [i.ip, i.idle])).toEqual(t.origin.ips.map((ip) => [ip, 2]))
  for (const ip of t.origin.ips) expect(peers.peers.get(ip)).toEqual([outgoing, outgoing])
  const served = new Set<string>()
  for (let i = 0; i < 16; i++) {
    const r = await get(hc, `/tiles/4/${i}/7.png`)
    expect(r.status).toBe(200)
    served.add(r.ip)
  }
  expect([...served].sort()).toEqual([...t.origin.ips].sort())
  expect(Object.values(hc.stats().hosts)[0]?.handshakes).toBe(8)
}

describe.skipIf(squidSkip !== undefined)('squid (HTTP CONNECT)', () => {
  const creds: Credentials = { user: 'crawler', password: 'p@ss word' }
  let squid: ProxyProcess

  beforeAll(async () => {
    squid = await startSquid({
      outgoingAddress: '127.0.0.91',
      auth: creds,
      hosts: { [t.origin.hostname]: t.origin.ips },
    })
  }, 60_000)
  afterAll(async () => {
    await squid?.close()
  })

  it('per IP: warms the four IPs through squid; every IP is hot and sees squid’s address', async () => {
    await warmPerIp(squid.url, '127.0.0.91')
  })

  it('by name: CONNECT host:port, squid resolves (hotconn’s resolver is not asked)', async () => {
    peers.peers.clear()
    const resolver = countingResolver({})
    const hc = pool({ resolver, egress: { proxies: [squid.url], resolve: 'proxy' } })
    for (let i = 0; i < 4; i++) expect((await get(hc, `/tiles/3/${i}/1.png`)).status).toBe(200)
    expect(resolver.asked).toEqual([])
    expect(peers.all().length).toBeGreaterThan(0)
    expect(new Set(peers.all())).toEqual(new Set(['127.0.0.91']))
  })

  it('the ClientHello behind squid equals the direct one', async () => {
    const [ip] = loopbackIps(1)
    expectSameHello(await captureHello(ip!, { proxies: [squid.url] }), await captureHello(ip!))
  })

  it('a wrong password is ERR_PROXY_AUTH (squid answers 407)', async () => {
    const hc = pool({ egress: { proxies: [squid.url.replace(encodeURIComponent(creds.password), 'nope')] } })
    const err = await get(hc, '/').catch((e: unknown) => e)
    expect(errorCode(err)).toBe('ERR_PROXY_AUTH')
    expect((err as Error).message).toMatch(/407/)
  })
})

describe.skipIf(danteSkip !== undefined)('dante (SOCKS5)', () => {
  let dante: ProxyProcess
  let user: Credentials & { remove(): void }

  beforeAll(async () => {
    user = createSocksUser()
    dante = await startDante({
      externalAddress: '127.0.0.92',
      auth: user,
      hosts: { [t.origin.hostname]: [t.origin.ips[2]!] },
    })
  }, 60_000)
  afterAll(async () => {
    await dante?.close()
    user?.remove()
  })

  it('per IP (socks5://): warms the four IPs through dante; every IP is hot and sees dante’s address', async () => {
    await warmPerIp(dante.url, '127.0.0.92')
  })

  it('by name (socks5h://): dante resolves from its own /etc/hosts; hotconn’s resolver is not asked', async () => {
    peers.peers.clear()
    const resolver = countingResolver({})
    const hc = pool({ resolver, egress: { proxies: [dante.url.replace('socks5://', 'socks5h://')] } })
    for (let i = 0; i < 4; i++) {
      expect(await get(hc, `/tiles/3/${i}/2.png`)).toEqual({ status: 200, ip: t.origin.ips[2] })
    }
    expect(resolver.asked).toEqual([])
    expect(peers.peers.get(t.origin.ips[2]!)?.every((a) => a === '127.0.0.92')).toBe(true)
  })

  it('the ClientHello behind dante equals the direct one', async () => {
    const [ip] = loopbackIps(1)
    expectSameHello(await captureHello(ip!, { proxies: [dante.url] }), await captureHello(ip!))
  })

  it('a wrong password is ERR_PROXY_AUTH (RFC 1929 status not 0)', async () => {
    const hc = pool({ egress: { proxies: [dante.url.replace(encodeURIComponent(user.password), 'nope')] } })
    const err = await get(hc, '/').catch((e: unknown) => e)
    expect(errorCode(err)).toBe('ERR_PROXY_AUTH')
  })
})
