/**
 * An abort is caught the same way on HTTP/1.1 and HTTP/2: `AbortController.abort()` with no reason
 * (the signal's default AbortError), with a reason, and mid-body, give the same error (class, name,
 * code, message) through undici's `request()` and `fetch()` on the pool, on both protocols.
 */
import { fetch, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHttpOrigin, type HttpOrigin } from '../helpers/http-origin.js'

let origin: HttpOrigin
beforeAll(async () => {
  origin = await startHttpOrigin((req, res) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname
    if (path === '/slow-headers') {
      const t = setTimeout(() => res.end('late'), 2000)
      res.on('close', () => clearTimeout(t))
      return
    }
    // Mid-body: headers and a first chunk at once, the rest never.
    res.writeHead(200, { 'content-length': '100000' })
    res.write(Buffer.alloc(1000, 0x61))
  })
})
afterAll(async () => {
  await origin.close()
})

interface Seen {
  ctor: unknown
  name: string
  code: unknown
  message: string
}

const seenOf = (err: unknown): Seen => {
  const e = err as Error & { code?: unknown }
  return { ctor: e.constructor, name: e.name, code: e.code, message: e.message }
}

type Via = 'request' | 'fetch'
type When = 'before headers' | 'mid-body'

/** GET with a signal aborted (with `reason`, or none) before the headers or after the first body chunk. */
async function abortedError(h2: boolean, via: Via, when: When, reason?: Error): Promise<Seen> {
  const pool = origin.pool(h2)
  const ac = new AbortController()
  const abort = (): void => (reason === undefined ? ac.abort() : ac.abort(reason))
  const path = when === 'mid-body' ? '/partial' : '/slow-headers'
  try {
    if (when === 'before headers') setTimeout(abort, 100)
    if (via === 'request') {
      const res = await request(origin.url(path), { dispatcher: pool, signal: ac.signal })
      if (when === 'mid-body') abort()
      await res.body.text()
    } else {
      const res = await fetch(origin.url(path), { dispatcher: pool, signal: ac.signal })
      if (when === 'mid-body') abort()
      await res.text()
    }
  } catch (err) {
    return seenOf(err)
  } finally {
    await pool.close()
  }
  throw new Error(`GET ${path} was not aborted`)
}

describe('an abort gives the same error on HTTP/1.1 and HTTP/2', () => {
  for (const via of ['request', 'fetch'] as const) {
    for (const when of ['before headers', 'mid-body'] as const) {
      it(`${via}(), ${when}, no reason and a reason`, async () => {
        const h1 = await abortedError(false, via, when)
        const h2 = await abortedError(true, via, when)
        expect(h2).toEqual(h1)
        expect(h1.name).toMatch(/Abort/)
        const reason = new Error('stop')
        const r1 = await abortedError(false, via, when, reason)
        const r2 = await abortedError(true, via, when, reason)
        expect(r2).toEqual(r1)
        expect(r1.message).toBe('stop')
      })
    }
  }
})
