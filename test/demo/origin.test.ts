import { connect as h2connect } from 'node:http2'
import { Agent as HttpsAgent } from 'node:https'
import { Resolver } from 'node:dns/promises'
import { connect as tcpConnect } from 'node:net'
import { Agent, request as undiciRequest } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { startDemoOrigin, type DemoOrigin } from '../../src/demo/origin.js'
import { PNG } from 'pngjs'
import { tileBody } from '../../src/demo/tiles.js'
import { pinnedRequest, waitFor } from './helpers.js'

let origin: DemoOrigin | undefined
afterEach(async () => {
  await origin?.close()
  origin = undefined
})

function get(o: DemoOrigin, ip: string, path = '/', extra: { method?: string; agent?: HttpsAgent } = {}) {
  return pinnedRequest({ ip, port: o.port, servername: o.hostname, ca: o.caPem, path, ...extra })
}

describe('startDemoOrigin', () => {
  it('serves the host on four IPs with one port, counting per IP', async () => {
    origin = await startDemoOrigin()
    const o = origin
    expect(o.ips).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'])
    expect(o.port).toBeGreaterThan(0)
    for (const ip of o.ips) {
      const res = await get(o, ip)
      expect(res.status).toBe(200)
      expect(res.headers['x-served-by']).toBe(ip)
      expect(res.body.toString()).toContain('tiles.test')
    }
    await get(o, '127.0.0.3')
    expect(o.stats('127.0.0.2')).toMatchObject({ connections: 1, tlsSessions: 1, requests: 1 })
    expect(o.stats('127.0.0.3')).toMatchObject({ connections: 2, tlsSessions: 2, requests: 2 })
    expect(o.totals().requests).toBe(5)
    expect(o.url('/x')).toBe(`https://tiles.test:${o.port}/x`)
    expect(() => o.stats('127.0.0.9')).toThrow(RangeError)
    o.resetStats()
    expect(o.stats('127.0.0.3').requests).toBe(0)
  })

  it('serves deterministic tiles, HEAD and 404', async () => {
    origin = await startDemoOrigin({ ips: ['127.0.0.2'], tileBytes: 4096 })
    const tile = await get(origin, '127.0.0.2', '/tiles/3/4/5.png')
    expect(tile.status).toBe(200)
    expect(tile.headers['content-type']).toBe('image/png')
    expect(tile.headers['content-length']).toBe('4096')
    expect(tile.body.equals(tileBody(3, 4, 5, 4096))).toBe(true)
    expect(tile.body.subarray(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n')
    expect(tileBody(3, 4, 6, 4096).equals(tile.body)).toBe(false)
    // A real image: pngjs decodes it (CRCs, zlib stream, filters) to 256 x 256 pixels.
    const image = PNG.sync.read(tile.body)
    expect([image.width, image.height]).toEqual([256, 256])

    // Drawn ahead (tiles off the map ignored), served the same.
    expect(
      origin.prerenderTiles([
        { z: 3, x: 4, y: 5 },
        { z: 3, x: 4, y: 6 },
        { z: 3, x: 8, y: 0 },
        { z: 3, x: 4, y: 5 },
      ]),
    ).toBe(2)
    expect((await get(origin, '127.0.0.2', '/tiles/3/4/6.png')).body.equals(tileBody(3, 4, 6, 4096))).toBe(true)
    expect((await get(origin, '127.0.0.2', '/tiles/3/4/5.png')).body.equals(tile.body)).toBe(true)

    const head = await get(origin, '127.0.0.2', '/tiles/3/4/5.png', { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers['content-length']).toBe('4096')
    expect(head.body.length).toBe(0)
    expect((await get(origin, '127.0.0.2', '/', { method: 'HEAD' })).status).toBe(200)

    expect((await get(origin, '127.0.0.2', '/tiles/1/2/0.png')).status).toBe(404) // x >= 2^z
    expect((await get(origin, '127.0.0.2', '/nope')).status).toBe(404)
    expect((await get(origin, '127.0.0.2', '/', { method: 'POST' })).status).toBe(405)
  })

  it('answers 403 on forbidden IPs and 429 with Retry-After when told to', async () => {
    origin = await startDemoOrigin({ ips: ['127.0.0.2', '127.0.0.5'], forbiddenIps: ['127.0.0.5'] })
    expect((await get(origin, '127.0.0.5', '/tiles/0/0/0.png')).status).toBe(403)
    expect((await get(origin, '127.0.0.2', '/tiles/0/0/0.png')).status).toBe(200)
    origin.setBehaviour('127.0.0.2', { status: 429, retryAfterS: 17 })
    const limited = await get(origin, '127.0.0.2', '/tiles/0/0/0.png')
    expect(limited.status).toBe(429)
    expect(limited.headers['retry-after']).toBe('17')
    expect(limited.headers['x-served-by']).toBe('127.0.0.2')
    origin.setBehaviour('127.0.0.2', undefined)
    origin.setBehaviour('127.0.0.5', undefined)
    expect((await get(origin, '127.0.0.2', '/')).status).toBe(200)
    expect((await get(origin, '127.0.0.5', '/')).status).toBe(200)
  })

  it('stops and restarts one IP on the same port', async () => {
    origin = await startDemoOrigin({ ips: ['127.0.0.2', '127.0.0.3'] })
    await origin.stopIp('127.0.0.3')
    expect(origin.isRunning('127.0.0.3')).toBe(false)
    await expect(get(origin, '127.0.0.3')).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    expect((await get(origin, '127.0.0.2')).status).toBe(200)
    await origin.startIp('127.0.0.3')
    expect(origin.isRunning('127.0.0.3')).toBe(true)
    const res = await get(origin, '127.0.0.3')
    expect(res.status).toBe(200)
    expect(res.headers['x-served-by']).toBe('127.0.0.3')
  })

  it('stopping an IP cuts its open connections', async () => {
    origin = await startDemoOrigin({ ips: ['127.0.0.2'] })
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1 })
    try {
      await get(origin, '127.0.0.2', '/', { agent })
      expect(origin.stats('127.0.0.2').open).toBe(1)
      await origin.stopIp('127.0.0.2')
      await waitFor(() => origin?.stats('127.0.0.2').open === 0, 3000, 'connections closed')
    } finally {
      agent.destroy()
    }
  })

  it('keeps connections alive, and closes idle ones on demand', async () => {
    origin = await startDemoOrigin({ ips: ['127.0.0.2'] })
    const o = origin
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1 })
    try {
      await get(o, '127.0.0.2', '/', { agent })
      await get(o, '127.0.0.2', '/tiles/1/1/1.png', { agent })
      expect(o.stats('127.0.0.2')).toMatchObject({ connections: 1, requests: 2, open: 1 })
      expect(o.closeIdleConnections()).toBe(1)
      await waitFor(() => o.stats('127.0.0.2').open === 0, 3000, 'idle connection closed')
      await waitFor(() => Object.keys(agent.freeSockets).length === 0, 3000, 'client saw the close')
      await get(o, '127.0.0.2', '/', { agent })
      expect(o.stats('127.0.0.2').connections).toBe(2)
    } finally {
      agent.destroy()
    }
  })

  it('closes connections after responses when the fault is on', async () => {
    origin = await startDemoOrigin({ ips: ['127.0.0.2'], faults: { closeAfterResponseProbability: 1 } })
    const o = origin
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1 })
    try {
      for (let i = 0; i < 3; i++) {
        expect((await get(o, '127.0.0.2', '/', { agent })).status).toBe(200)
        await waitFor(() => o.stats('127.0.0.2').open === 0, 3000, 'connection closed after response')
        await waitFor(() => Object.keys(agent.freeSockets).length === 0, 3000, 'client saw the close')
      }
      expect(o.stats('127.0.0.2')).toMatchObject({ connections: 3, requests: 3 })
      o.setFaults({})
      await get(o, '127.0.0.2', '/', { agent })
      await get(o, '127.0.0.2', '/', { agent })
      expect(o.stats('127.0.0.2').connections).toBe(4)
    } finally {
      agent.destroy()
    }
  })

  it('counts failed TLS handshakes', async () => {
    origin = await startDemoOrigin({ ips: ['127.0.0.2'] })
    const o = origin
    const socket = tcpConnect(o.port, '127.0.0.2')
    socket.on('error', () => {})
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    try {
      await waitFor(() => o.stats('127.0.0.2').tlsErrors === 1, 3000, 'TLS error counted')
      expect(o.stats('127.0.0.2').tlsSessions).toBe(0)
    } finally {
      socket.destroy()
    }
  })

  it('works with undici pinned to an IP by a connect lookup', async () => {
    origin = await startDemoOrigin({ ips: ['127.0.0.2', '127.0.0.4'] })
    const agent = new Agent({
      connect: {
        ca: origin.caPem,
        servername: 'tiles.test',
        lookup: (_host, _opts, cb) => cb(null, [{ address: '127.0.0.4', family: 4 }]),
      },
    })
    try {
      const res = await undiciRequest(origin.url('/tiles/2/1/3.png'), { dispatcher: agent })
      const body = Buffer.from(await res.body.arrayBuffer())
      expect(res.statusCode).toBe(200)
      expect(res.headers['x-served-by']).toBe('127.0.0.4')
      expect(body.equals(tileBody(2, 1, 3))).toBe(true)
    } finally {
      await agent.close()
    }
  })

  it('serves HTTP/2 when asked', async () => {
    origin = await startDemoOrigin({ ips: ['127.0.0.3'], http2: true, tileBytes: 0 })
    const session = h2connect(`https://127.0.0.3:${origin.port}`, { ca: origin.caPem, servername: 'tiles.test' })
    try {
      const { headers, body } = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>(
        (resolve, reject) => {
          session.on('error', reject)
          const stream = session.request({ ':path': '/tiles/0/0/0.png', ':authority': 'tiles.test' })
          const chunks: Buffer[] = []
          let head: Record<string, unknown> = {}
          stream.on('response', (h) => {
            head = h
          })
          stream.on('data', (c: Buffer) => chunks.push(c))
          stream.on('end', () => resolve({ headers: head, body: Buffer.concat(chunks) }))
          stream.on('error', reject)
        },
      )
      expect(headers[':status']).toBe(200)
      expect(headers['x-served-by']).toBe('127.0.0.3')
      expect(body.equals(tileBody(0, 0, 0, 0))).toBe(true)
      expect(origin.stats('127.0.0.3').requests).toBe(1)
      expect(origin.closeIdleConnections()).toBe(1)
    } finally {
      session.destroy()
    }
    // HTTP/1.1 still works on the same server
    expect((await get(origin, '127.0.0.3')).status).toBe(200)
  })

  it('starts a DNS server for its host when asked', async () => {
    origin = await startDemoOrigin({ ips: ['127.0.0.2', '127.0.0.3'], dns: { ttl: 12 } })
    const dns = origin.dns
    expect(dns).toBeDefined()
    const r = new Resolver({ timeout: 1000, tries: 1 })
    r.setServers([`127.0.0.1:${dns?.port}`])
    const answers = await r.resolve4('tiles.test', { ttl: true })
    expect(answers.map((a) => a.address).sort()).toEqual(['127.0.0.2', '127.0.0.3'])
    expect(answers.every((a) => a.ttl === 12)).toBe(true)
  })

  it('validates its options', async () => {
    await expect(startDemoOrigin({ ips: [] })).rejects.toThrow(/at least one/)
    await expect(startDemoOrigin({ ips: ['127.0.0.2'], forbiddenIps: ['127.0.0.3'] })).rejects.toThrow(/forbiddenIps/)
    await expect(startDemoOrigin({ ips: ['tiles.test'] })).rejects.toThrow(/IP addresses/)
  })

  it('refuses a fixed port that is taken', async () => {
    origin = await startDemoOrigin({ ips: ['127.0.0.2'] })
    await expect(startDemoOrigin({ ips: ['127.0.0.2'], port: origin.port })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    })
  })
})
