/**
 * Bytes after a complete HTTP/2 response (issue 16, "garbage after a response"): an origin that
 * answers in full, then writes octets that are no frame, or a DATA or HEADERS frame on the stream
 * it just ended (test/helpers/raw-h2-origin.ts). Through fetch, request and stream: the complete
 * response is delivered byte for byte, the connection is closed, a stream in flight on it fails
 * with a typed error and a code, nothing crashes or hangs, and the pool goes on serving on a new
 * connection. A frame of an unknown type is ignored (RFC 9113 §4.1): the connection stays in use.
 */
import { Writable } from 'node:stream'
import { fetch, request, stream } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HotConnError } from '../../src/errors.js'
import { HotConnPool } from '../../src/pool/index.js'
import { bodyFor } from '../helpers/faulty-h2-origin.js'
import { startRawH2Origin, type RawH2Origin } from '../helpers/raw-h2-origin.js'
import { loopbackIps } from '../pool/helpers/fixtures.js'
import { oneIpPool } from './helpers/one-ip-pool.js'

type Api = 'fetch' | 'request' | 'stream'

/** Starts a GET and resolves once the response head arrived, with the body read on (the outcome). */
async function begin(api: Api, pool: HotConnPool, url: string): Promise<{ body: Promise<Buffer> }> {
  const chunks: Buffer[] = []
  const drain = async (body: AsyncIterable<Uint8Array>): Promise<Buffer> => {
    for await (const c of body) chunks.push(Buffer.from(c))
    return Buffer.concat(chunks)
  }
  if (api === 'request') {
    const res = await request(url, { dispatcher: pool })
    return { body: drain(res.body) }
  }
  if (api === 'fetch') {
    const res = await fetch(url, { dispatcher: pool })
    return { body: drain(res.body!) }
  }
  let started!: () => void
  const head = new Promise<void>((resolve) => (started = resolve))
  const done = stream(url, { dispatcher: pool, method: 'GET' }, () => {
    started()
    return new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk)
        cb()
      },
    })
  }).then(() => Buffer.concat(chunks))
  done.catch(() => {})
  await Promise.race([head, done])
  return { body: done }
}

async function get(api: Api, pool: HotConnPool, url: string): Promise<Buffer> {
  return (await begin(api, pool, url)).body
}

/** What a request came to: `ok`, `wrong (n bytes)`, `hung`, or the error's class and code. */
async function outcome(body: Promise<Buffer>, path: string, size: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined
  const hung = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('hung'), 15_000)))
  const settled = body.then(
    (b) => (b.equals(bodyFor(path, size)) ? 'ok' : `wrong (${b.length} bytes)`),
    (err: unknown) => {
      // fetch wraps the dispatcher's error in a TypeError (its cause).
      const e = (err instanceof TypeError && err.cause instanceof Error ? err.cause : err) as Error
      const typed = e instanceof HotConnError ? 'typed' : 'untyped'
      return `${typed} ${(e as { code?: string }).code ?? 'no code'}`
    },
  )
  return Promise.race([settled, hung]).finally(() => clearTimeout(timer))
}

let origin: RawH2Origin
const pools: HotConnPool[] = []
beforeAll(async () => {
  origin = await startRawH2Origin(loopbackIps(1)[0] as string)
})
afterAll(async () => {
  for (const p of pools) await p.close()
  await origin.close()
})

function onePool(): HotConnPool {
  // One connection: the stream in flight and the response followed by the fault share it.
  const pool = oneIpPool(origin, {
    http2: true,
    pool: { warmConnsPerIp: 0, maxConnsPerHost: 1, maxConnections: 1, maxIdleConns: 1 },
  })
  pools.push(pool)
  return pool
}

const APIS: Api[] = ['request', 'fetch', 'stream']
/**
 * Faults that break the connection (a connection error, RFC 9113 §5.4.1): the stream in flight
 * fails with one of these codes.
 */
const BREAKING: Record<string, string[]> = {
  garbage: ['UND_ERR_SOCKET'],
  'bad-settings': ['UND_ERR_SOCKET'],
}
/**
 * A frame on a stream the server ended: RFC 9113 §5.1 lets the client treat it as a connection
 * error or not (nghttp2 answers with RST_STREAM and goes on); the stream in flight completes or
 * fails with a code, never a wrong body.
 */
const STREAM_LEVEL = ['data-after-end', 'headers-after-end']
let seq = 0

async function round(api: Api, pool: HotConnPool, fault: string): Promise<{ answered: string; inFlight: string }> {
  const n = seq++
  const slowPath = `/slow/200000/${api}-${n}`
  const path = `/${fault}/20000/${api}-${n}`
  const inFlight = await begin(api, pool, origin.url(slowPath))
  const answered = await outcome(get(api, pool, origin.url(path)), path, 20_000)
  return { answered, inFlight: await outcome(inFlight.body, slowPath, 200_000) }
}

async function servesOn(api: Api, pool: HotConnPool): Promise<string> {
  const after = `/ok/5000/after-${api}-${seq++}`
  return outcome(get(api, pool, origin.url(after)), after, 5000)
}

describe('HTTP/2: bytes after a complete response', () => {
  it.each(Object.entries(BREAKING).flatMap(([fault, codes]) => APIS.map((api) => [fault, api, codes] as const)))(
    '%s (%s): the response right, the stream in flight a typed error, the pool serving on',
    async (fault, api, codes) => {
      const pool = onePool()
      const before = origin.connections
      for (let i = 0; i < 2; i++) {
        const r = await round(api, pool, fault)
        expect(r.answered).toBe('ok')
        expect(codes.map((c) => `typed ${c}`)).toContain(r.inFlight)
      }
      expect(await servesOn(api, pool)).toBe('ok')
      // Each fault closed its connection.
      expect(origin.connections - before).toBe(3)
    },
  )

  it.each(STREAM_LEVEL.flatMap((fault) => APIS.map((api) => [fault, api] as const)))(
    '%s (%s): the response right, the stream in flight right or a typed error, the pool serving on',
    async (fault, api) => {
      const pool = onePool()
      for (let i = 0; i < 2; i++) {
        const r = await round(api, pool, fault)
        expect(r.answered).toBe('ok')
        expect(r.inFlight).toMatch(/^(ok|typed [A-Z_]+)$/)
      }
      expect(await servesOn(api, pool)).toBe('ok')
    },
  )

  it.each(APIS)('unknown-frame (%s): ignored, every response right on one connection', async (api) => {
    const pool = onePool()
    const before = origin.connections
    const paths = Array.from({ length: 6 }, (_, i) => `/unknown-frame/${[1000, 30_000][i % 2]}/${api}-${seq++}`)
    for (const path of paths)
      expect(await outcome(get(api, pool, origin.url(path)), path, Number(path.split('/')[2]))).toBe('ok')
    expect(origin.connections - before).toBe(1)
  })
})
