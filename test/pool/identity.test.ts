/**
 * One pool crawling as several browsers: partitions by identity, against hotconn's capture server
 * on loopback (real TLS, real HTTP/2 and HTTP/1.1), which records each connection's ClientHello and
 * each request head. Connections of different identities never mix; each carries its identity's
 * JA4, Akamai fingerprint and headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetch, request } from 'undici'
import { H2FingerprintServer, type RequestRecord } from '../../src/cli/h2-listen.js'
import { HotConnPool } from '../../src/pool/pool.js'
import type { Resolver } from '../../src/pool/options.js'
import { getIdentity } from '../../src/fingerprint/identity/table.js'

const CHROME_JA4 = 't13d1517h2_8daaf6152771_cb7bf5808d99'
const FIREFOX_JA4 = 't13d1617h2_86a278354501_3cbfd9057e0d'
const loopback: Resolver = {
  resolve: async () => ({ addresses: [{ address: '127.0.0.1', family: 4, ttlMs: 60_000 }], minTtlMs: 60_000 }),
}

for (const alpn of ['h2', 'http/1.1'] as const) {
  describe(`identity partitions (${alpn})`, () => {
    let server: H2FingerprintServer
    const records: RequestRecord[] = []
    beforeAll(async () => {
      server = await H2FingerprintServer.listen('127.0.0.1', 0, ['identity.test'], {
        alpn: alpn === 'h2' ? ['h2', 'http/1.1'] : ['http/1.1'],
      })
      server.on('request', (r: RequestRecord) => records.push(r))
    })
    afterAll(async () => {
      await server.close()
    })

    it('routes each request to connections of its identity, with its hello and headers', async () => {
      const pool = new HotConnPool({
        ca: server.caPem,
        resolver: loopback,
        tls: { profile: 'chrome-latest-windows' },
        pool: { warmConnsPerIp: 0 },
      })
      const url = `https://identity.test:${server.port}/page`
      try {
        const ua = (r: RequestRecord): string | undefined =>
          r.headers.find(([n]) => n.toLowerCase() === 'user-agent')?.[1]
        const before = records.length
        await (await request(url, { dispatcher: pool })).body.dump()
        await (await request(url, { dispatcher: pool, identity: 'firefox-153-linux' } as never)).body.dump()
        const firefoxMac = pool.forIdentity('firefox-latest-macos')
        expect((await fetch(url, { dispatcher: firefoxMac })).status).toBe(200)
        await (await request(url, { dispatcher: pool })).body.dump()
        await (await request(url, { dispatcher: pool, identity: 'firefox-153-linux' } as never)).body.dump()
        const got = records.slice(before)
        expect(got).toHaveLength(5)
        const [c1, f1, m1, c2, f2] = got as [RequestRecord, RequestRecord, RequestRecord, RequestRecord, RequestRecord]
        expect(c1.hello?.ja4).toBe(CHROME_JA4)
        expect(f1.hello?.ja4).toBe(FIREFOX_JA4)
        expect(m1.hello?.ja4).toBe(FIREFOX_JA4)
        expect(ua(c1)).toBe(getIdentity('chrome-156-windows').userAgent)
        expect(ua(f1)).toBe(getIdentity('firefox-153-linux').userAgent)
        expect(ua(m1)).toBe(getIdentity('firefox-153-macos').userAgent)
        if (alpn === 'h2') {
          expect(c1.akamai).toBe('1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p')
          expect(f1.akamai).toBe('1:65536;2:0;4:131072;5:16384|12517377|0|m,p,a,s')
        }
        // Three partitions, three connections; later requests reuse their identity's connection.
        expect(new Set([c1.connection, f1.connection, m1.connection]).size).toBe(3)
        expect(c2.connection).toBe(c1.connection)
        expect(f2.connection).toBe(f1.connection)
        const stats = pool.stats()
        const key = `identity.test:${server.port}`
        expect(Object.keys(stats.hosts).sort()).toEqual(
          [key, `${key} firefox-153-linux`, `${key} firefox-153-macos`].sort(),
        )
        expect(stats.hosts[key]!.identity).toBe('chrome-156-windows')
        expect(stats.connections).toBe(3)
      } finally {
        await pool.close()
      }
    })

    it('rejects an unknown identity with ERR_INVALID_ARGUMENT, on request and on forIdentity', async () => {
      const pool = new HotConnPool({ ca: server.caPem, resolver: loopback, pool: { warmConnsPerIp: 0 } })
      try {
        await expect(
          request(`https://identity.test:${server.port}/`, { dispatcher: pool, identity: 'chrom' } as never),
        ).rejects.toMatchObject({
          code: 'ERR_INVALID_ARGUMENT',
          message: expect.stringMatching(/unknown identity "chrom"/),
        })
        expect(() => pool.forIdentity('chrom' as never)).toThrow(/unknown identity/)
      } finally {
        await pool.close()
      }
    })
  })
}
