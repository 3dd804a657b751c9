import { afterEach, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { defaultConfig } from '../../src/config/index.js'
import { startDnsServer, type DnsRecordSet, type DnsServer } from '../../src/demo/dns-server.js'
import { DnsError, InvalidArgumentError } from '../../src/errors.js'
import { DEFAULT_SYSTEM_TTL_MS, DnsResolver } from '../../src/pool/dns.js'

/** A loopback name from /etc/hosts other than localhost, so getaddrinfo answers from the file, not the network. */
const HOSTS_NAME = ((): string | undefined => {
  let hosts = ''
  try {
    hosts = readFileSync('/etc/hosts', 'utf8')
  } catch {
    return undefined
  }
  for (const line of hosts.split('\n')) {
    const [ip, ...names] = line.replace(/#.*/, '').trim().split(/\s+/)
    const name = names.find((n) => n !== 'localhost' && !n.endsWith('.localhost'))
    if (ip === '127.0.0.1' && name !== undefined) return name
  }
  return undefined
})()

let server: DnsServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function serve(records: Record<string, DnsRecordSet>): Promise<DnsServer> {
  server = await startDnsServer({ records })
  return server
}

function addressesOf(r: { addresses: ReadonlyArray<{ address: string }> }): string[] {
  return r.addresses.map((a) => a.address)
}

async function dnsError(p: Promise<unknown>): Promise<DnsError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(DnsError)
    return err as DnsError
  }
  throw new Error('expected a DnsError')
}

describe('DnsResolver with servers', () => {
  it('returns A and AAAA records with TTLs in ms, IPv4 first', async () => {
    const s = await serve({ 'tiles.test': { A: ['127.0.0.2', '127.0.0.3'], AAAA: ['fd00::2'], ttl: 30 } })
    const r = new DnsResolver({ servers: [`127.0.0.1:${s.port}`] })
    const res = await r.resolve('tiles.test')
    expect(res.addresses).toEqual([
      { address: '127.0.0.2', family: 4, ttlMs: 30_000 },
      { address: '127.0.0.3', family: 4, ttlMs: 30_000 },
      { address: 'fd00::2', family: 6, ttlMs: 30_000 },
    ])
    expect(res.minTtlMs).toBe(30_000)
    expect(s.queries).toBe(2)
  })

  it('asks only for the configured family', async () => {
    const s = await serve({ 'tiles.test': { A: ['127.0.0.2'], AAAA: ['fd00::2'], ttl: 5 } })
    const v4 = await new DnsResolver({ servers: [`127.0.0.1:${s.port}`], family: 4 }).resolve('tiles.test')
    expect(addressesOf(v4)).toEqual(['127.0.0.2'])
    expect(s.queries).toBe(1)
    const v6 = await new DnsResolver({ servers: [`127.0.0.1:${s.port}`], family: 6 }).resolve('TILES.test.')
    expect(v6.addresses).toEqual([{ address: 'fd00::2', family: 6, ttlMs: 5_000 }])
  })

  it('is fine with a name that has only A records when asking for both', async () => {
    const s = await serve({ 'v4.test': { A: ['127.0.0.7'], ttl: 9 } })
    const res = await new DnsResolver({ servers: [`127.0.0.1:${s.port}`] }).resolve('v4.test')
    expect(res).toEqual({ addresses: [{ address: '127.0.0.7', family: 4, ttlMs: 9_000 }], minTtlMs: 9_000 })
  })

  it('follows answers that change at runtime', async () => {
    const s = await serve({ 'tiles.test': { A: ['127.0.0.2'], ttl: 1 } })
    const r = new DnsResolver({ servers: [`127.0.0.1:${s.port}`], family: 4 })
    expect(addressesOf(await r.resolve('tiles.test'))).toEqual(['127.0.0.2'])
    s.setRecords('tiles.test', { A: ['127.0.0.4', '127.0.0.5'], ttl: 0 })
    const next = await r.resolve('tiles.test')
    expect(addressesOf(next)).toEqual(['127.0.0.4', '127.0.0.5'])
    expect(next.minTtlMs).toBe(0)
  })

  it('reports NXDOMAIN as DnsError naming host, server and code', async () => {
    const s = await serve({ 'tiles.test': { A: ['127.0.0.2'] } })
    const e = await dnsError(new DnsResolver({ servers: [`127.0.0.1:${s.port}`] }).resolve('missing.test'))
    expect(e.code).toBe('ERR_DNS')
    expect(e.message).toContain('missing.test')
    expect(e.message).toContain(`127.0.0.1:${s.port}`)
    expect(e.message).toContain('ENOTFOUND')
    expect(e.message).toContain('check the host name')
    expect((e.cause as { code?: string }).code).toBe('ENOTFOUND')
  })

  it('reports a missing family as ENODATA', async () => {
    const s = await serve({ 'v4.test': { A: ['127.0.0.2'] } })
    const e = await dnsError(new DnsResolver({ servers: [`127.0.0.1:${s.port}`], family: 6 }).resolve('v4.test'))
    expect(e.message).toContain('ENODATA')
    expect(e.message).toContain('AAAA')
  })

  it('reports a server that does not answer as ETIMEOUT', async () => {
    const s = await serve({ 'tiles.test': { A: ['127.0.0.2'] } })
    s.silent = true
    const r = new DnsResolver({ servers: [`127.0.0.1:${s.port}`], timeoutMs: 100, tries: 1 })
    const e = await dnsError(r.resolve('tiles.test'))
    expect(e.message).toContain('ETIMEOUT')
    expect(e.message).toContain('DNS server')
    expect(s.queries).toBeGreaterThanOrEqual(1)
  })

  it('cancels queries in flight', async () => {
    const s = await serve({ 'tiles.test': { A: ['127.0.0.2'] } })
    s.silent = true
    const r = new DnsResolver({ servers: [`127.0.0.1:${s.port}`], timeoutMs: 5000, tries: 1 })
    const pending = dnsError(r.resolve('tiles.test'))
    await new Promise((resolve) => setTimeout(resolve, 20))
    r.cancel()
    expect((await pending).message).toContain('ECANCELLED')
  })

  it('takes its settings from config.dns', async () => {
    const s = await serve({ 'tiles.test': { A: ['127.0.0.2'], AAAA: ['fd00::2'] } })
    const dns = { ...defaultConfig().dns, servers: [`127.0.0.1:${s.port}`], family: 4 as const }
    const r = new DnsResolver(dns)
    expect(addressesOf(await r.resolve('tiles.test'))).toEqual(['127.0.0.2'])
  })
})

describe('DnsResolver without a query', () => {
  it('returns IP literals as they are', async () => {
    const r = new DnsResolver({ servers: ['127.0.0.1:1'] })
    expect(await r.resolve('127.0.0.9')).toEqual({
      addresses: [{ address: '127.0.0.9', family: 4, ttlMs: Infinity }],
      minTtlMs: Infinity,
    })
    expect((await r.resolve('[::1]')).addresses).toEqual([{ address: '::1', family: 6, ttlMs: Infinity }])
  })

  it('answers localhost itself, by family', async () => {
    expect(addressesOf(await new DnsResolver({ servers: ['127.0.0.1:1'] }).resolve('localhost'))).toEqual([
      '127.0.0.1',
      '::1',
    ])
    expect(addressesOf(await new DnsResolver({ family: 4 }).resolve('api.localhost'))).toEqual(['127.0.0.1'])
    expect(addressesOf(await new DnsResolver({ family: 6 }).resolve('LOCALHOST.'))).toEqual(['::1'])
  })

  it.skipIf(HOSTS_NAME === undefined)(
    'uses the system resolver (/etc/hosts) with the default TTL when no server is set',
    async () => {
      const res = await new DnsResolver({ family: 4 }).resolve(HOSTS_NAME ?? '')
      expect(res.addresses).toContainEqual({ address: '127.0.0.1', family: 4, ttlMs: DEFAULT_SYSTEM_TTL_MS })
      expect(res.minTtlMs).toBe(DEFAULT_SYSTEM_TTL_MS)
    },
  )

  it('validates its options and the host', async () => {
    expect(() => new DnsResolver({ servers: ['dns.example:53'] })).toThrow(InvalidArgumentError)
    expect(() => new DnsResolver({ family: 5 as 4 })).toThrow(InvalidArgumentError)
    expect(() => new DnsResolver({ timeoutMs: 0 })).toThrow(InvalidArgumentError)
    await expect(new DnsResolver().resolve('')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(new DnsResolver().resolve('a b')).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})
