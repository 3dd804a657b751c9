import { Resolver } from 'node:dns/promises'
import { createSocket } from 'node:dgram'
import { connect } from 'node:net'
import * as dnsPacket from 'dns-packet'
import { afterEach, describe, expect, it } from 'vitest'
import { startDnsServer, type DnsServer } from '../../src/demo/dns-server.js'

let server: DnsServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

function resolverFor(s: DnsServer): Resolver {
  const r = new Resolver({ timeout: 1000, tries: 1 })
  r.setServers([`${s.address}:${s.port}`])
  return r
}

/** Sends one raw UDP query and returns the decoded response (bounded by a 2 s timer). */
async function udpQuery(s: DnsServer, message: Buffer): Promise<dnsPacket.DecodedPacket> {
  const socket = createSocket('udp4')
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no DNS answer within 2 s')), 2000)
      socket.once('message', (msg) => {
        clearTimeout(timer)
        resolve(dnsPacket.decode(msg))
      })
      socket.send(message, s.port, s.address)
    })
  } finally {
    socket.close()
  }
}

describe('startDnsServer', () => {
  it('answers A and AAAA with TTLs to node:dns', async () => {
    server = await startDnsServer({
      records: { 'tiles.test': { A: ['127.0.0.2', '127.0.0.3'], AAAA: ['::1'], ttl: 42 } },
    })
    expect(server.port).toBeGreaterThan(0)
    const r = resolverFor(server)
    const a = await r.resolve4('tiles.test', { ttl: true })
    expect(a.sort((x, y) => x.address.localeCompare(y.address))).toEqual([
      { address: '127.0.0.2', ttl: 42 },
      { address: '127.0.0.3', ttl: 42 },
    ])
    expect(await r.resolve6('TILES.test', { ttl: true })).toEqual([{ address: '::1', ttl: 42 }])
    expect(server.queries).toBe(2)
  })

  it('answers NXDOMAIN for unknown names and NODATA for a missing type', async () => {
    server = await startDnsServer({ records: { 'v4.test': { A: ['127.0.0.9'] } } })
    const r = resolverFor(server)
    await expect(r.resolve4('nope.test')).rejects.toMatchObject({ code: 'ENOTFOUND' })
    await expect(r.resolve6('v4.test')).rejects.toMatchObject({ code: 'ENODATA' })
  })

  it('changes answers at runtime', async () => {
    server = await startDnsServer({ records: { 'tiles.test': { A: ['127.0.0.2'], ttl: 1 } } })
    const r = resolverFor(server)
    expect(await r.resolve4('tiles.test')).toEqual(['127.0.0.2'])
    server.setRecords('tiles.test', { A: ['127.0.0.4', '127.0.0.5'], ttl: 5 })
    expect((await r.resolve4('tiles.test', { ttl: true })).map((x) => [x.address, x.ttl]).sort()).toEqual([
      ['127.0.0.4', 5],
      ['127.0.0.5', 5],
    ])
    server.setRecords('tiles.test', undefined)
    await expect(r.resolve4('tiles.test')).rejects.toMatchObject({ code: 'ENOTFOUND' })
    server.setRecords('other.test.', { A: ['127.0.0.6'] })
    expect(await r.resolve4('other.test')).toEqual(['127.0.0.6'])
  })

  it('echoes id, RD and the question, and sets QR and AA', async () => {
    server = await startDnsServer({ records: { 'tiles.test': { A: ['127.0.0.2'], ttl: 7 } } })
    const query = dnsPacket.encode({
      type: 'query',
      id: 0xbeef,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', class: 'IN', name: 'tiles.test' }],
    })
    const res = await udpQuery(server, query)
    expect(res.id).toBe(0xbeef)
    expect(res.type).toBe('response')
    expect(res.flag_aa).toBe(true)
    expect(res.flag_rd).toBe(true)
    expect((res.flags ?? 0) & 0xf).toBe(0) // NOERROR
    expect(res.questions).toEqual([{ type: 'A', class: 'IN', name: 'tiles.test' }])
    expect(res.answers).toMatchObject([{ type: 'A', name: 'tiles.test', ttl: 7, data: '127.0.0.2' }])

    const nx = await udpQuery(
      server,
      dnsPacket.encode({ type: 'query', id: 7, questions: [{ type: 'A', class: 'IN', name: 'x.test' }] }),
    )
    expect(nx.id).toBe(7)
    expect((nx.flags ?? 0) & 0xf).toBe(3) // NXDOMAIN
    expect(nx.flag_rd).toBe(false)
  })

  it('truncates large UDP answers and serves the full answer over TCP', async () => {
    const many = Array.from({ length: 60 }, (_, i) => `127.1.0.${i + 1}`)
    server = await startDnsServer({ records: { 'big.test': { A: many } } })
    const query = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', class: 'IN', name: 'big.test' }] })
    const udp = await udpQuery(server, query)
    expect(udp.flag_tc).toBe(true)
    expect(udp.answers).toEqual([])
    // node:dns retries truncated answers over TCP
    expect((await resolverFor(server).resolve4('big.test')).length).toBe(60)

    const socket = connect(server.port, server.address)
    try {
      const framed = Buffer.concat([Buffer.from([query.length >> 8, query.length & 0xff]), query])
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no TCP answer within 2 s')), 2000)
        let buf = Buffer.alloc(0)
        socket.on('error', reject)
        socket.on('data', (chunk: Buffer) => {
          buf = Buffer.concat([buf, chunk])
          if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
            clearTimeout(timer)
            resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)))
          }
        })
        socket.write(framed)
      })
      expect(dnsPacket.decode(reply).answers).toHaveLength(60)
    } finally {
      socket.destroy()
    }
  })

  it('stays silent when asked to, so clients time out', async () => {
    server = await startDnsServer({ records: { 'tiles.test': { A: ['127.0.0.2'] } } })
    server.silent = true
    const r = new Resolver({ timeout: 200, tries: 1 })
    r.setServers([`127.0.0.1:${server.port}`])
    await expect(r.resolve4('tiles.test')).rejects.toMatchObject({ code: 'ETIMEOUT' })
    expect(server.queries).toBeGreaterThanOrEqual(1)
  })

  it('rejects malformed records', async () => {
    await expect(startDnsServer({ records: { 'x.test': { A: ['::1'] } } })).rejects.toThrow(/IPv4/)
  })
})
