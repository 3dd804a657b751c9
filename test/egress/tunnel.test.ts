/**
 * openTunnel against real sockets on loopback: a CONNECT proxy written in Node that tunnels or
 * misbehaves on purpose (407, closing mid-CONNECT, stalling, odd answers), an https:// proxy,
 * and local source addresses.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTunnel, toEgress, type EgressInput } from '../../src/egress/index.js'
import { startConnectProxy, type ConnectProxy, type ConnectProxyOptions } from '../helpers/connect-proxy.js'
import { testPki } from '../helpers/servers.js'

const defaults = { resolve: 'local' as const, connectHeaders: [] }

/** An echo server on 127.0.0.1 that remembers the remote address of each connection. */
let echo: Server
let echoPort: number
const peers: string[] = []
beforeAll(async () => {
  echo = createServer((s: Socket) => {
    peers.push(s.remoteAddress ?? '')
    s.on('error', () => {})
    s.pipe(s)
  })
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r))
  echoPort = (echo.address() as AddressInfo).port
})
afterAll(() => new Promise<void>((r) => echo.close(() => r())))

const proxies: ConnectProxy[] = []
async function proxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const p = await startConnectProxy(options)
  proxies.push(p)
  return p
}
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()))
})

function tunnel(egress: EgressInput, options: { timeoutMs?: number; userAgent?: string; proxyCa?: string } = {}) {
  return openTunnel(
    toEgress(egress, defaults),
    { host: '127.0.0.1', port: echoPort },
    { timeoutMs: options.timeoutMs ?? 3000, userAgent: options.userAgent, proxyCa: options.proxyCa },
  )
}

/** Writes `text` through the tunnel and reads it back (the echo server). */
async function roundTrip(socket: Duplex, text: string): Promise<string> {
  let got = ''
  socket.on('data', (c: Buffer) => (got += c.toString()))
  socket.resume()
  socket.write(text)
  for (let i = 0; i < 200 && !got.includes(text); i++) await new Promise((r) => setTimeout(r, 5))
  socket.destroy()
  return got
}

async function failure(p: Promise<unknown>): Promise<Error & { code: string; reason?: string }> {
  try {
    await p
  } catch (err) {
    return err as Error & { code: string; reason?: string }
  }
  throw new Error('expected a failure')
}

describe('HTTP CONNECT', () => {
  it("sends Chromium's CONNECT (Host, Proxy-Connection, User-Agent, Basic credentials, extra headers) and tunnels", async () => {
    const p = await proxy({ credentials: { user: 'u ser', password: 'p@ss:word' } })
    const socket = await tunnel(
      { proxy: p.url, connectHeaders: ['X-Session: 42'] },
      { userAgent: 'Mozilla/5.0 (test) Chrome/156.0.0.0 Safari/537.36' },
    )
    expect(await roundTrip(socket, 'ping')).toBe('ping')
    const creds = Buffer.from('u ser:p@ss:word').toString('base64')
    expect(p.requests[0]?.head).toBe(
      `CONNECT 127.0.0.1:${echoPort} HTTP/1.1\r\n` +
        `Host: 127.0.0.1:${echoPort}\r\n` +
        'Proxy-Connection: keep-alive\r\n' +
        'User-Agent: Mozilla/5.0 (test) Chrome/156.0.0.0 Safari/537.36\r\n' +
        `Proxy-Authorization: Basic ${creds}\r\n` +
        'X-Session: 42\r\n\r\n',
    )
  })

  it('keeps the bytes the proxy sends right after its answer (they belong to the tunnel)', async () => {
    const p = await proxy({ greeting: Buffer.from('early ') })
    const socket = await tunnel(p.url)
    expect(await roundTrip(socket, 'data')).toBe('early data')
  })

  it('407 is ERR_PROXY_AUTH, naming the proxy without its password', async () => {
    const p = await proxy({ credentials: { user: 'u', password: 'right' } })
    const none = await failure(tunnel(p.url.replace('u:right@', '')))
    expect(none.code).toBe('ERR_PROXY_AUTH')
    expect(none.message).toMatch(
      /407 Proxy Authentication Required \(no credentials were sent; it asks Basic realm="test"\)/,
    )
    const wrong = await failure(tunnel(p.url.replace('right', 'wrong')))
    expect(wrong.code).toBe('ERR_PROXY_AUTH')
    expect(wrong.message).toContain(`proxy http://u@127.0.0.1:${p.port} refused the credentials: 407`)
    expect(wrong.message).not.toContain('wrong')
  })

  it('a proxy closing mid-CONNECT is ERR_PROXY (closed)', async () => {
    const p = await proxy({ mode: 'close' })
    const err = await failure(tunnel(p.url))
    expect(err.code).toBe('ERR_PROXY')
    expect(err.reason).toBe('closed')
    expect(err.message).toMatch(/closed the connection before answering the CONNECT/)
  })

  it('a stalled CONNECT ends at the deadline with ERR_PROXY_TIMEOUT, and the socket is closed', async () => {
    const p = await proxy({ mode: 'stall' })
    const started = performance.now()
    const err = await failure(tunnel(p.url, { timeoutMs: 400 }))
    const elapsed = performance.now() - started
    expect(err.code).toBe('ERR_PROXY_TIMEOUT')
    expect(err.message).toMatch(/within 400 ms \(CONNECT\)/)
    expect(elapsed).toBeGreaterThanOrEqual(395)
    expect(elapsed).toBeLessThan(2000)
  })

  it('answers other than 2xx and 407 are typed by whose fault they are', async () => {
    const gateway = await failure(tunnel((await proxy({ mode: 'status', status: 502 })).url))
    expect(gateway).toMatchObject({ code: 'ERR_PROXY', reason: 'target_unreachable', statusCode: 502, blame: 'target' })
    const denied = await failure(tunnel((await proxy({ mode: 'status', status: 403 })).url))
    expect(denied).toMatchObject({ code: 'ERR_PROXY', reason: 'refused', statusCode: 403, blame: 'egress' })
    const garbage = await failure(tunnel((await proxy({ mode: 'garbage' })).url))
    expect(garbage).toMatchObject({ code: 'ERR_PROXY', reason: 'protocol' })
    const huge = await failure(tunnel((await proxy({ mode: 'huge' })).url))
    expect(huge).toMatchObject({ code: 'ERR_PROXY', reason: 'protocol' })
    expect(huge.message).toMatch(/more than 16384 bytes/)
  })

  it('a proxy that is not there is ERR_PROXY (unreachable), the egress to blame', async () => {
    const p = await proxy()
    await p.close()
    const err = await failure(tunnel(p.url))
    expect(err).toMatchObject({ code: 'ERR_PROXY', reason: 'unreachable', blame: 'egress' })
    expect(err.message).toMatch(/ECONNREFUSED/)
  })

  it('https:// proxies: TLS to the proxy verified against proxyCa; an unverified one is ERR_PROXY (certificate)', async () => {
    const pki = testPki('ecdsa-p256', ['127.0.0.1'])
    const p = await proxy({ tls: { cert: pki.leaf.chainPem, key: pki.leaf.keyPem } })
    expect(p.url.startsWith('https://')).toBe(true)
    const socket = await tunnel(p.url, { proxyCa: pki.ca.certPem })
    expect(await roundTrip(socket, 'over tls')).toBe('over tls')
    const err = await failure(tunnel(p.url))
    expect(err).toMatchObject({ code: 'ERR_PROXY', reason: 'certificate', blame: 'none' })
    expect(err.message).toMatch(/proxy_ca_file/)
  })
})

describe('local source addresses', () => {
  it('bind the connection to the address, direct and to a proxy', async () => {
    peers.length = 0
    expect(await roundTrip(await tunnel({ localAddress: '127.0.0.10' }), 'a')).toBe('a')
    expect(peers).toEqual(['127.0.0.10'])
    const p = await proxy({ outgoingAddress: '127.0.0.12' })
    expect(await roundTrip(await tunnel({ proxy: p.url, localAddress: '127.0.0.11' }), 'b')).toBe('b')
    expect(p.requests[0]?.remoteAddress).toBe('127.0.0.11')
    expect(peers).toEqual(['127.0.0.10', '127.0.0.12'])
  })

  it('an address that is not this machine’s is ERR_LOCAL_ADDRESS, saying how to fix it', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned here.
    const err = await failure(tunnel({ localAddress: '192.0.2.10' }))
    expect(err.code).toBe('ERR_LOCAL_ADDRESS')
    expect(err.message).toMatch(/cannot bind local address 192\.0\.2\.10: EADDRNOTAVAIL: the address is not assigned/)
    const family = await failure(tunnel({ localAddress: '::1' }))
    expect(family.code).toBe('ERR_LOCAL_ADDRESS')
    expect(family.message).toMatch(/IPv4 source to an IPv6 peer, or the reverse/)
  })
})
