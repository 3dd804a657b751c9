/**
 * The pool's DNS path against Debian's dnsmasq on loopback: DnsResolver gets every A record with
 * its TTL, and a HotConnPool warms one connection per IP it learned from dnsmasq.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DnsResolver } from '../../src/pool/dns.js'
import { HotConnPool } from '../../src/pool/index.js'
import { startDemoOrigin, type DemoOrigin } from '../../src/demo/index.js'
import { freePort, startProcess, waitForPort, which, type Proc } from './helpers.js'

const DNSMASQ = which('dnsmasq')
if (!DNSMASQ) console.warn('skipping dnsmasq interop: dnsmasq is not installed (apt-get install dnsmasq)')

describe.skipIf(!DNSMASQ)('dnsmasq', () => {
  let dnsmasq: Proc
  let port = 0
  let origin: DemoOrigin
  const ips = ['127.0.0.12', '127.0.0.13', '127.0.0.14']

  beforeAll(async () => {
    origin = await startDemoOrigin({ ips, hostname: 'tiles.test' })
    port = await freePort()
    dnsmasq = startProcess(DNSMASQ!, [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      `--port=${port}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      '--local-ttl=45',
      '--user=root',
      ...ips.map((ip) => `--host-record=tiles.test,${ip}`),
    ])
    await waitForPort(port)
  })

  afterAll(async () => {
    await dnsmasq?.stop()
    await origin?.close()
  })

  it('DnsResolver returns every A record with the TTL dnsmasq serves', async () => {
    const resolver = new DnsResolver({ servers: [`127.0.0.1:${port}`], family: 4 })
    const res = await resolver.resolve('tiles.test')
    expect(res.addresses.map((a) => a.address).sort()).toEqual([...ips].sort())
    expect(res.minTtlMs).toBe(45_000)
    await expect(resolver.resolve('nothing.test')).rejects.toMatchObject({ code: 'ERR_DNS' })
  })

  it('HotConnPool warms one connection per IP learned from dnsmasq and fetches through them', async () => {
    const pool = new HotConnPool({
      dns: { servers: [`127.0.0.1:${port}`], family: 4 },
      ca: origin.caPem,
      pool: { warmConnsPerIp: 1 },
    })
    try {
      await pool.warmup(origin.url())
      for (const ip of ips) expect(origin.stats(ip).connections).toBe(1)
      const { request } = await import('undici')
      const res = await request(origin.url('/tiles/2/1/3.png'), { dispatcher: pool })
      expect(res.statusCode).toBe(200)
      await res.body.arrayBuffer()
    } finally {
      await pool.close()
    }
  })
})
