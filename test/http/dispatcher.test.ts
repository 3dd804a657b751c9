import { fetch, request, type Dispatcher } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HotConnPool } from '../../src/pool/index.js'
import { startTestOrigin, testPool, waitFor, type TestOrigin } from '../pool/helpers/fixtures.js'

describe('HotConnPool as an undici Dispatcher', () => {
  let t: TestOrigin
  let pool: HotConnPool
  beforeAll(async () => {
    t = await startTestOrigin()
    pool = testPool(t)
    await pool.warmup(t.origin.url())
  })
  afterAll(async () => {
    await pool.close()
    await t.close()
  })

  it('serves undici fetch', async () => {
    const res = await fetch(t.origin.url('/tiles/3/1/2.png'), { dispatcher: pool })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect((await res.arrayBuffer()).byteLength).toBe(2048)
  })

  it('serves undici.request with a POST body (not retried) and 404s', async () => {
    const r404 = await request(t.origin.url('/nope'), { dispatcher: pool })
    expect(r404.statusCode).toBe(404)
    await r404.body.dump()
    const post = await request(t.origin.url('/'), { dispatcher: pool, method: 'POST', body: 'x' })
    expect(post.statusCode).toBe(405)
    await post.body.dump()
  })

  it('drives an undici 7 controller-API handler', async () => {
    const events: string[] = []
    let body = ''
    await new Promise<void>((resolve, reject) => {
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: () => events.push('start'),
        onResponseStart: (_c, status, headers) => {
          events.push(`status ${status}`)
          expect(headers['x-served-by']).toBeDefined()
        },
        onResponseData: (_c, chunk) => {
          body += chunk.toString()
        },
        onResponseEnd: () => {
          events.push('end')
          resolve()
        },
        onResponseError: (_c, err) => reject(err),
      }
      expect(pool.dispatch({ origin: t.origin.url(), path: '/', method: 'GET' }, handler)).toBe(true)
    })
    expect(events).toEqual(['start', 'status 200', 'end'])
    expect(body).toMatch(/hotconn demo origin/)
  })

  it('drives a legacy handler, and reports errors after acceptance to it', async () => {
    const events: string[] = []
    await new Promise<void>((resolve, reject) => {
      pool.dispatch(
        { origin: t.origin.url(), path: '/', method: 'HEAD' },
        {
          onConnect: () => events.push('connect'),
          onHeaders: (status) => {
            events.push(`headers ${status}`)
            return true
          },
          onData: () => true,
          onComplete: () => {
            events.push('complete')
            resolve()
          },
          onError: reject,
        },
      )
    })
    expect(events).toEqual(['connect', 'headers 200', 'complete'])
    const err = await new Promise<Error>((resolve) => {
      const accepted = pool.dispatch(
        { origin: 'ftp://plain.test', path: '/', method: 'GET' },
        { onConnect: () => {}, onHeaders: () => true, onData: () => true, onComplete: () => {}, onError: resolve },
      )
      expect(accepted).toBe(false)
    })
    expect(err.message).toMatch(/is not http\(s\)/)
  })

  it('aborts a request waiting for a connection', async () => {
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, { delayMs: 200 })
    const small = testPool(t, { pool: { maxConnsPerHost: 1, maxConnections: 1, maxIdleConns: 1 } })
    const first = request(t.origin.url('/'), { dispatcher: small })
    const ac = new AbortController()
    const second = request(t.origin.url('/'), { dispatcher: small, signal: ac.signal })
    await waitFor(() => small.stats().pending === 1, 'the second request to wait')
    ac.abort()
    await expect(second).rejects.toThrow()
    expect(small.stats().pending).toBe(0)
    await (await first).body.dump()
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, undefined)
    await small.close()
  })

  it('lends raw connections with getConnection/putConnection', async () => {
    const conn = await pool.getConnection(`tiles.test:${t.origin.port}`)
    expect(t.origin.ips).toContain(conn.ip)
    expect(conn.state).toBe('in_use')
    const text = await new Promise<string>((resolve) => {
      let buf = ''
      const onData = (d: Buffer): void => {
        buf += d.toString()
        if (buf.includes('\r\n\r\n') && buf.includes('demo origin')) {
          conn.socket.off('data', onData)
          conn.socket.pause()
          resolve(buf)
        }
      }
      conn.socket.on('data', onData)
      conn.socket.write(`GET / HTTP/1.1\r\nHost: tiles.test\r\n\r\n`)
    })
    expect(text).toMatch(/^HTTP\/1\.1 200/)
    pool.putConnection(conn)
    expect(conn.state).toBe('idle')
    // A destroyed connection is dropped.
    const c2 = await pool.getConnection(t.origin.url())
    c2.socket.destroy()
    pool.putConnection(c2)
    expect(c2.state === 'closed' || c2.state === 'closing').toBe(true)
    expect(() => pool.putConnection({} as never)).toThrow(/not a connection/)
  })

  it('does not collect listeners on a socket lent out and given back many times', async () => {
    const first = await pool.getConnection(t.origin.url())
    const socket = first.socket
    pool.putConnection(first)
    const before = socket.listenerCount('error')
    for (let i = 0; i < 200; i++) {
      const c = await pool.getConnection(t.origin.url())
      pool.putConnection(c)
    }
    expect(socket.listenerCount('error')).toBeLessThanOrEqual(before + 1)
  })
})
