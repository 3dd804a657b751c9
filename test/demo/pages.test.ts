/**
 * The demo origin's crawl pages: 20 linked HTML pages behind a session cookie the origin issues
 * with a 302 to the same URL (src/demo/pages.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemoOrigin, type DemoOrigin } from '../../src/demo/origin.js'
import { PAGE_COUNT, SESSION_COOKIE } from '../../src/demo/pages.js'
import { pinnedRequest } from './helpers.js'

let origin: DemoOrigin
beforeAll(async () => {
  origin = await startDemoOrigin({ ips: ['127.0.0.2'] })
})
afterAll(async () => {
  await origin?.close()
})

const get = (path: string, cookie?: string) =>
  pinnedRequest({
    ip: '127.0.0.2',
    port: origin.port,
    servername: origin.hostname,
    ca: origin.caPem,
    path,
    ...(cookie === undefined ? {} : { headers: { cookie } }),
  })

describe('the crawl pages', () => {
  it('without a session: a 302 to the same page that sets one', async () => {
    const res = await get('/pages/7')
    expect(res.status).toBe(302)
    expect(res.headers.location).toBe('/pages/7')
    const set = res.headers['set-cookie']?.[0] ?? ''
    expect(set).toMatch(new RegExp(`^${SESSION_COOKIE}=[0-9a-f]{16}; Path=/pages; Secure; HttpOnly; SameSite=Lax$`))
    // A session the origin never issued is no session.
    expect((await get('/pages/7', `${SESSION_COOKIE}=0123456789abcdef`)).status).toBe(302)
  })

  it('with the session: 20 HTML pages, each reached by links from page 1, showing the session', async () => {
    const first = await get('/pages/1')
    const cookie = (first.headers['set-cookie']?.[0] ?? '').split(';')[0]!
    const session = cookie.split('=')[1]
    const seen = new Set<number>()
    const queue = [1]
    while (queue.length > 0) {
      const n = queue.shift()!
      if (seen.has(n)) continue
      seen.add(n)
      const res = await get(`/pages/${n}`, `other=1; ${cookie}`)
      expect(res.status).toBe(200)
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
      const body = res.body.toString()
      expect(body).toContain(`<p id="session">${session}</p>`)
      for (const m of body.matchAll(/href="\/pages\/(\d+)"/g)) queue.push(Number(m[1]))
    }
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: PAGE_COUNT }, (_, i) => i + 1))
  })

  it('other paths are unchanged: 404 past the last page, the root and tiles as before', async () => {
    expect((await get('/pages/21')).status).toBe(404)
    expect((await get('/pages/0')).status).toBe(404)
    expect((await get('/pages/')).status).toBe(404)
    expect((await get('/')).status).toBe(200)
    expect((await get('/tiles/1/0/0.png')).status).toBe(200)
  })
})
