/**
 * A cold pool (no warm-up) facing concurrent requests opens one connection to an origin until its
 * ALPN answer is known, as a browser opens one per origin: an h2 origin then carries every request
 * on it; an http/1.1 origin gets more connections, up to max_conns_per_host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { H2FingerprintServer, type RequestRecord } from '../../src/cli/h2-listen.js'
import { HotConnPool } from '../../src/pool/pool.js'
import type { Resolver } from '../../src/pool/options.js'

const loopback: Resolver = {
  resolve: async () => ({ addresses: [{ address: '127.0.0.1', family: 4, ttlMs: 60_000 }], minTtlMs: 60_000 }),
}

for (const alpn of ['h2', 'http/1.1'] as const) {
  describe(`a cold pool, ${alpn} origin`, () => {
    let server: H2FingerprintServer
    const records: RequestRecord[] = []
    beforeAll(async () => {
      server = await H2FingerprintServer.listen('127.0.0.1', 0, ['cold.test'], {
        alpn: alpn === 'h2' ? ['h2', 'http/1.1'] : ['http/1.1'],
      })
      server.on('request', (r: RequestRecord) => records.push(r))
    })
    afterAll(async () => {
      await server.close()
    })

    it(`20 concurrent requests: ${alpn === 'h2' ? 'one connection, multiplexed' : 'more connections, within the cap'}`, async () => {
      const pool = new HotConnPool({
        ca: server.caPem,
        resolver: loopback,
        pool: { warmConnsPerIp: 0, maxConnsPerHost: 6, maxConnections: 6, maxIdleConns: 6 },
      })
      try {
        const url = (i: number): string => `https://cold.test:${server.port}/r/${i}`
        const statuses = await Promise.all(
          Array.from({ length: 20 }, async (_, i) => {
            const res = await request(url(i), { dispatcher: pool })
            await res.body.dump()
            return res.statusCode
          }),
        )
        expect(statuses.every((s) => s === 200)).toBe(true)
        const connections = new Set(records.map((r) => r.connection))
        const handshakes = pool.stats().hosts[`cold.test:${server.port}`]!.handshakes
        if (alpn === 'h2') {
          expect(connections.size).toBe(1)
          expect(handshakes).toBe(1)
        } else {
          expect(connections.size).toBeGreaterThan(1)
          expect(handshakes).toBeLessThanOrEqual(6)
        }
      } finally {
        await pool.close()
      }
    })
  })
}
