/**
 * `http://` origins through the pool as cleartext HTTP/1.1, against a node:http server that counts
 * its TCP connections: warm-up opens warm_conns_per_ip connections, 40 concurrent requests stay
 * within max_conns_per_host and reuse them (the stats' handshakes are the connections), the
 * identity's head goes out as to an insecure URL, and max_pending bounds the waiting requests.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { getIdentity } from '../../src/fingerprint/identity/table.js'
import { HotConnPool } from '../../src/pool/pool.js'
import type { Resolver } from '../../src/pool/options.js'
import { waitFor } from './helpers/fixtures.js'

const loopback: Resolver = {
  resolve: async () => ({ addresses: [{ address: '127.0.0.1', family: 4, ttlMs: 60_000 }], minTtlMs: 60_000 }),
}

describe('http:// origins through the pool', () => {
  let server: Server
  let port = 0
  let opened = 0
  let open = 0
  let mostOpen = 0
  const sockets = new Set<Socket>()
  const heads: Array<Array<[string, string]>> = []
  beforeAll(async () => {
    server = createServer((req, res) => {
      const head: Array<[string, string]> = []
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) head.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!])
      heads.push(head)
      // Slow enough that concurrent requests need several connections.
      setTimeout(() => res.end('ok'), 20)
    })
    server.on('connection', (s: Socket) => {
      opened++
      open++
      mostOpen = Math.max(mostOpen, open)
      sockets.add(s)
      s.once('close', () => {
        open--
        sockets.delete(s)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterAll(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('warm-up, max_conns_per_host, reuse and stats as for https; the identity head of an insecure URL', async () => {
    const pool = new HotConnPool({
      resolver: loopback,
      tls: { profile: 'chrome-156-windows' },
      http2: { defaultHeaders: 'image' },
      pool: { warmConnsPerIp: 2, maxConnsPerHost: 3, maxConnsPerIp: 3, maxIdleConns: 3 },
    })
    const origin = `http://plain.test:${port}`
    try {
      const warm = await pool.warmup(origin)
      expect(warm.ips.map((ip) => ip.ip)).toEqual(['127.0.0.1'])
      expect(pool.stats().hosts[origin]).toMatchObject({ connections: 2, idle: 2, handshakes: 2 })
      await waitFor(() => opened === 2, 'the server to accept both warm connections')
      const statuses = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const res = await request(`${origin}/t/${i}.png`, { dispatcher: pool })
          await res.body.dump()
          return res.statusCode
        }),
      )
      expect(statuses.every((s) => s === 200)).toBe(true)
      expect(mostOpen).toBeLessThanOrEqual(3)
      expect(opened).toBe(3)
      const stats = pool.stats().hosts[origin]!
      expect(stats).toMatchObject({ requests: 40, handshakes: 3, failures: 0 })
      // The identity's image head for an insecure URL: no Fetch Metadata, no client hints.
      const names = heads[0]!.map(([n]) => n.toLowerCase())
      expect(names.some((n) => n.startsWith('sec-fetch-') || n.startsWith('sec-ch-'))).toBe(false)
      const value = (n: string) => heads[0]!.find(([k]) => k.toLowerCase() === n)?.[1]
      expect(value('user-agent')).toBe(getIdentity('chrome-156-windows').userAgent)
      expect(value('accept-encoding')).toBe('gzip, deflate')
      expect(value('host')).toBe(`plain.test:${port}`)
    } finally {
      await pool.close()
    }
  })

  it('requests past max_pending fail at once with ERR_POOL_EXHAUSTED', async () => {
    const pool = new HotConnPool({
      resolver: loopback,
      pool: { warmConnsPerIp: 0, maxConnsPerHost: 1, maxConnsPerIp: 1, maxPending: 2 },
    })
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, async (_, i) => {
          const res = await request(`http://plain.test:${port}/p/${i}`, { dispatcher: pool })
          await res.body.dump()
          return res.statusCode
        }),
      )
      const failed = results.filter((r) => r.status === 'rejected')
      expect(failed.length).toBeGreaterThan(0)
      for (const f of failed) expect((f as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_POOL_EXHAUSTED' })
      expect(results.some((r) => r.status === 'fulfilled' && r.value === 200)).toBe(true)
    } finally {
      await pool.close()
    }
  })
})
