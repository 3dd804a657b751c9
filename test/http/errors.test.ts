/**
 * One error taxonomy: the same failure gives the same class and code on HTTP/1.1 and HTTP/2, an
 * undici code where undici defines the failure (and undici's `instanceof` sees it), and a
 * HotConnError always. Real loopback servers misbehave on purpose.
 */
import { errors as undiciErrors, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import * as hotconn from '../../src/index.js'
import { HOTCONN_ERROR_CODES, HotConnError } from '../../src/errors.js'
import {
  BodyTimeoutError,
  HeadersTimeoutError,
  HttpProtocolError,
  ResponseContentLengthMismatchError,
  toRequestError,
} from '../../src/http/errors.js'
import { TlsTruncatedError } from '../../src/tls/errors.js'
import { startHttpOrigin, type HttpOrigin } from '../helpers/http-origin.js'

let origin: HttpOrigin
beforeAll(async () => {
  origin = await startHttpOrigin((req, res, ctx) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname
    if (path === '/stall-headers') return
    if (path === '/stall-body') {
      res.writeHead(200, { 'content-length': '100' })
      res.write('x'.repeat(10))
      return
    }
    if (path === '/reset' || path === '/cut') {
      res.writeHead(200, { 'content-length': '100000' })
      res.write('x'.repeat(30_000), () => setTimeout(() => (path === '/reset' ? ctx.reset(res) : ctx.cut(res)), 20))
      return
    }
    if (path === '/short') {
      // HTTP/1.1: the connection closes after 500 of 1000 bytes; HTTP/2: END_STREAM after 500.
      res.writeHead(200, { 'content-length': '1000', ...(req.httpVersionMajor === 1 ? { connection: 'close' } : {}) })
      res.end('x'.repeat(500))
      return
    }
    if (path === '/slow') {
      res.writeHead(200, { 'content-length': '100000' })
      res.write('x'.repeat(1000))
      return
    }
    res.end('hello')
  })
})
afterAll(async () => {
  await origin.close()
})

/** The error of GET `path` over the pool speaking `h2` (or HTTP/1.1). */
async function failure(h2: boolean, path: string, abortAfterMs?: number): Promise<Error> {
  const pool = origin.pool(h2)
  const ac = new AbortController()
  try {
    const res = await request(origin.url(path), {
      dispatcher: pool,
      headersTimeout: 300,
      bodyTimeout: 300,
      signal: ac.signal,
    })
    if (abortAfterMs !== undefined) setTimeout(() => ac.abort(new Error('stop')), abortAfterMs)
    await res.body.text()
  } catch (err) {
    return err as Error
  } finally {
    await pool.close()
  }
  throw new Error(`GET ${path} succeeded`)
}

const cases: Array<[string, string, abstract new (...a: never[]) => Error, string, unknown]> = [
  [
    'header timeout',
    '/stall-headers',
    HeadersTimeoutError,
    'UND_ERR_HEADERS_TIMEOUT',
    undiciErrors.HeadersTimeoutError,
  ],
  ['body timeout', '/stall-body', BodyTimeoutError, 'UND_ERR_BODY_TIMEOUT', undiciErrors.BodyTimeoutError],
  // After the handshake a reset without close_notify is a truncation, like a FIN (RFC 8446 §6.1).
  ['TCP reset mid-body', '/reset', TlsTruncatedError, 'ERR_TLS_TRUNCATED', undefined],
  ['FIN without close_notify mid-body', '/cut', TlsTruncatedError, 'ERR_TLS_TRUNCATED', undefined],
  [
    'body shorter than content-length',
    '/short',
    ResponseContentLengthMismatchError,
    'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
    undiciErrors.ResponseContentLengthMismatchError,
  ],
]

describe('the same failure gives the same class and code on HTTP/1.1 and HTTP/2', () => {
  for (const [what, path, cls, code, undiciClass] of cases) {
    it(what, async () => {
      for (const h2 of [false, true]) {
        const err = await failure(h2, path)
        expect({ h2, name: err.name, code: (err as HotConnError).code }).toEqual({ h2, name: cls.name, code })
        expect(err).toBeInstanceOf(cls)
        expect(err).toBeInstanceOf(HotConnError)
        if (undiciClass !== undefined) expect(err).toBeInstanceOf(undiciClass as typeof undiciErrors.UndiciError)
      }
    })
  }

  it('abort: the reason given to the signal, on both', async () => {
    for (const h2 of [false, true]) {
      const err = await failure(h2, '/slow', 50)
      expect(err.message).toBe('stop')
    }
  })

  it('one catch handles both: a header timeout is undici-recognisable and a HotConnError', async () => {
    const seen = await Promise.all([false, true].map((h2) => failure(h2, '/stall-headers')))
    const [h1, h2] = seen as [Error, Error]
    expect(h1.constructor).toBe(h2.constructor)
    expect(h1).toBeInstanceOf(undiciErrors.UndiciError)
    expect(h2.message).toMatch(/300 ms/)
    expect(h1.message).toBe(h2.message)
  })
})

describe("undici's parser error", () => {
  // undici 7 gives HTTPParserError no code (test/http/parser-errors.test.ts has the real responses).
  it("without a code: ERR_HTTP_PROTOCOL, llhttp's reason as the detail, the original as the cause", () => {
    const raw = new undiciErrors.HTTPParserError(
      'Response does not match the HTTP/1.1 protocol (Invalid character in chunk size)',
    )
    const err = toRequestError(raw) as HttpProtocolError
    expect(err).toBeInstanceOf(HttpProtocolError)
    expect([err.code, err.detail, err.cause]).toEqual(['ERR_HTTP_PROTOCOL', 'Invalid character in chunk size', raw])
  })

  it('with an HPE_ code: the code as the detail', () => {
    // As a later undici may set it (undici 7's constructor takes the code, its types do not).
    const raw = Object.assign(
      new undiciErrors.HTTPParserError('Response does not match the HTTP/1.1 protocol (Expected HTTP/)'),
      { code: 'HPE_INVALID_CONSTANT' },
    )
    const err = toRequestError(raw) as HttpProtocolError
    expect([err.code, err.detail]).toEqual(['ERR_HTTP_PROTOCOL', 'HPE_INVALID_CONSTANT'])
  })
})

describe('README lists every error code', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const rows = new Map<string, string>()
  for (const m of readme.matchAll(/^\| `([A-Z_]+)` \| `(\w+)` \|/gm)) rows.set(m[1] as string, m[2] as string)

  it('with its class, exported from the package', () => {
    expect([...rows.keys()].sort()).toEqual([...HOTCONN_ERROR_CODES].sort())
    for (const [code, cls] of rows) {
      const ctor = (hotconn as Record<string, unknown>)[cls]
      expect(typeof ctor, `${code}: ${cls} is exported`).toBe('function')
      expect((ctor as { prototype: unknown }).prototype, cls).toBeInstanceOf(HotConnError)
    }
  })
})
