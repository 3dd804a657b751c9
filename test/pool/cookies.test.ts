/**
 * Cookies and redirects through the pool, over real loopback HTTPS servers (node:https with a
 * test CA) playing two hosts: set, send back, expire, host-only cookies kept off another host,
 * a cross-host redirect carrying the jar's cookies for the new host, 303 turning a POST into a GET,
 * https -> http (node:http, through the pool's plain partition) without the Secure cookies, a jar per
 * identity of one pool.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetch, interceptors, request, type Dispatcher } from 'undici'
import { CookieJar } from 'tough-cookie'
import { HotConnPool } from '../../src/pool/pool.js'
import { cookieJar } from '../../src/pool/cookies.js'
import type { Resolver } from '../../src/pool/options.js'
import { createCA, issueLeaf } from '../../src/testing/pki.js'

const ca = createCA({ name: 'hotconn cookie test CA' })
const leaf = issueLeaf(ca, { hosts: ['a.test', 'b.test'] })
const loopback: Resolver = {
  resolve: async () => ({ addresses: [{ address: '127.0.0.1', family: 4, ttlMs: 60_000 }], minTtlMs: 60_000 }),
}

let server: Server
let port = 0
let plain: HttpServer
let plainPort = 0
const seen: Array<{ host: string; method: string; path: string; cookie: string | undefined }> = []

beforeAll(async () => {
  server = createServer({ cert: leaf.chainPem, key: leaf.keyPem }, (req, res) => {
    const host = String(req.headers.host).split(':')[0]!
    seen.push({ host, method: req.method!, path: req.url!, cookie: req.headers.cookie })
    req.resume()
    const url = new URL(req.url!, `https://${req.headers.host}`)
    switch (url.pathname) {
      case '/set':
        res.setHeader('set-cookie', ['sid=s1; Path=/; Secure; HttpOnly', 'pref=dark; Path=/; Max-Age=3600'])
        return res.end('set')
      case '/expire':
        res.setHeader('set-cookie', 'pref=; Path=/; Max-Age=0')
        return res.end('expired')
      case '/to-b':
        res.setHeader('set-cookie', 'hop=1; Path=/')
        res.statusCode = 302
        res.setHeader('location', `https://b.test:${port}/echo`)
        return res.end()
      case '/b-set':
        res.setHeader('set-cookie', 'bid=b1; Path=/')
        return res.end('b')
      case '/to-http':
        res.statusCode = 302
        res.setHeader('location', `http://a.test:${plainPort}/plain`)
        return res.end()
      case '/form':
        res.statusCode = 303
        res.setHeader('location', '/echo')
        return res.end()
      default:
        return res.end(`cookie=${req.headers.cookie ?? ''}`)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
  // a.test over plain http: echoes the cookie it got and sets one of its own.
  plain = createHttpServer((req, res) => {
    seen.push({ host: 'http a.test', method: req.method!, path: req.url!, cookie: req.headers.cookie })
    req.resume()
    if (req.url === '/plain') res.setHeader('set-cookie', 'seen=http; Path=/')
    res.end(`cookie=${req.headers.cookie ?? ''}`)
  })
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve))
  plainPort = (plain.address() as AddressInfo).port
})
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await new Promise<void>((resolve) => plain.close(() => resolve()))
})

/** A pool on the loopback origins with a cookie jar and undici's redirect interceptor, as a browser tab. */
function browserPool(): { pool: HotConnPool; jar: CookieJar; browser: Dispatcher } {
  const pool = new HotConnPool({ ca: ca.certPem, resolver: loopback, pool: { warmConnsPerIp: 0 } })
  const jar = new CookieJar()
  return { pool, jar, browser: pool.compose(cookieJar(jar), interceptors.redirect({ maxRedirections: 5 })) }
}

describe('cookieJar interceptor', () => {
  it('stores Set-Cookie, sends it back (fetch and request), expires it, keeps host-only cookies on their host', async () => {
    const { pool, jar, browser } = browserPool()
    const a = `https://a.test:${port}`
    try {
      await (await request(`${a}/set`, { dispatcher: browser })).body.text()
      expect(await (await fetch(`${a}/echo`, { dispatcher: browser })).text()).toBe('cookie=sid=s1; pref=dark')
      expect(await (await request(`${a}/echo`, { dispatcher: browser })).body.text()).toBe('cookie=sid=s1; pref=dark')
      await (await request(`${a}/expire`, { dispatcher: browser })).body.text()
      expect(await (await request(`${a}/echo`, { dispatcher: browser })).body.text()).toBe('cookie=sid=s1')
      // The caller's own cookie header wins over the jar's.
      const own = await request(`${a}/echo`, { dispatcher: browser, headers: { cookie: 'x=1' } })
      expect(await own.body.text()).toBe('cookie=x=1')
      // Host-only cookies of a.test never go to b.test.
      expect(await (await request(`https://b.test:${port}/echo`, { dispatcher: browser })).body.text()).toBe('cookie=')
    } finally {
      await pool.close()
    }
  })

  it('a cross-host redirect stores the hop cookie and carries b.test cookies to b.test; 303 turns POST into GET', async () => {
    const { pool, jar, browser } = browserPool()
    const a = `https://a.test:${port}`
    try {
      await (await request(`https://b.test:${port}/b-set`, { dispatcher: browser })).body.text()
      await (await request(`${a}/set`, { dispatcher: browser })).body.text()
      const before = seen.length
      const res = await request(`${a}/to-b`, { dispatcher: browser })
      expect(await res.body.text()).toBe('cookie=bid=b1')
      expect(seen.slice(before).map((s) => `${s.host} ${s.path} ${s.cookie ?? ''}`)).toEqual([
        `a.test /to-b sid=s1; pref=dark`,
        `b.test /echo bid=b1`,
      ])
      expect(jar.getCookieStringSync(`${a}/`)).toBe('sid=s1; pref=dark; hop=1')
      const mark = seen.length
      const post = await request(`${a}/form`, { dispatcher: browser, method: 'POST', body: 'q=1' })
      expect(post.statusCode).toBe(200)
      await post.body.text()
      expect(seen.slice(mark).map((s) => `${s.method} ${s.path}`)).toEqual(['POST /form', 'GET /echo'])
    } finally {
      await pool.close()
    }
  })

  it('https -> http: the hop goes over plain http with the non-Secure cookies only, and its Set-Cookie is stored', async () => {
    const { pool, jar, browser } = browserPool()
    const a = `https://a.test:${port}`
    try {
      await (await request(`${a}/set`, { dispatcher: browser })).body.text()
      const mark = seen.length
      const res = await request(`${a}/to-http`, { dispatcher: browser })
      expect(await res.body.text()).toBe('cookie=pref=dark')
      expect(seen.slice(mark).map((s) => `${s.host} ${s.path} ${s.cookie ?? ''}`)).toEqual([
        'a.test /to-http sid=s1; pref=dark',
        'http a.test /plain pref=dark',
      ])
      // The http origin's cookie is the host's: sent back over https too (cookies ignore scheme and port).
      expect(jar.getCookieStringSync(`http://a.test:${plainPort}/`)).toBe('pref=dark; seen=http')
      expect(await (await fetch(`${a}/echo`, { dispatcher: browser })).text()).toBe(
        'cookie=sid=s1; pref=dark; seen=http',
      )
      expect(pool.stats().hosts[`http://a.test:${plainPort}`]?.requests).toBe(1)
    } finally {
      await pool.close()
    }
  })

  it('a jar per identity: each identity of one pool sends only the cookies it was given', async () => {
    const pool = new HotConnPool({ ca: ca.certPem, resolver: loopback, pool: { warmConnsPerIp: 0 } })
    const chrome = pool.forIdentity('chrome-156-windows').compose(cookieJar(new CookieJar()))
    const firefox = pool.forIdentity('firefox-153-linux').compose(cookieJar(new CookieJar()))
    const a = `https://a.test:${port}`
    try {
      await (await request(`${a}/set`, { dispatcher: chrome })).body.text()
      const mark = seen.length
      expect(await (await request(`${a}/echo`, { dispatcher: firefox })).body.text()).toBe('cookie=')
      expect(await (await fetch(`${a}/echo`, { dispatcher: chrome })).text()).toBe('cookie=sid=s1; pref=dark')
      expect(seen.slice(mark).map((s) => s.cookie ?? '')).toEqual(['', 'sid=s1; pref=dark'])
      // Two partitions of connections, one per identity.
      const identities = Object.values(pool.stats().hosts).map((h) => h.identity)
      expect(new Set(identities)).toEqual(new Set(['chrome-156-windows', 'firefox-153-linux']))
    } finally {
      await pool.close()
    }
  })
})
