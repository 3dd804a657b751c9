/**
 * A malformed HTTP/1.1 response (issue 16): whatever the API (fetch, request, stream) and however
 * the bad bytes arrive (in the same read as the head, or later), the request fails with
 * ERR_HTTP_PROTOCOL (HttpProtocolError, llhttp's reason as its detail), never hangs. undici 7's
 * HTTPParserError has no code of its own; and a parser error in the read that delivered the head
 * used to reach undici's fetch before fetch listened for it (the socket closed in the same tick
 * as undici destroyed it): the body then never ended.
 */
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpProtocolError } from '../../src/http/errors.js'
import type { HotConnPool } from '../../src/pool/index.js'
import { readBody, type BodyApi } from '../helpers/read-body.js'
import { startTls, testPki, type Started } from '../helpers/servers.js'
import { oneIpPool } from './helpers/one-ip-pool.js'

const HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked\r\n\r\n'
const CHUNK = `12c\r\n${'a'.repeat(300)}\r\n`
/** Not a chunk size: what llhttp reads where the next chunk's size belongs. */
const BAD = 'HTTP/1.1 2OO garbage\r\n\r\n'

/** What the server writes for each path, one write per element (the client reads each in its own turn or not). */
const SCRIPTS: Record<string, { writes: string[]; detail: string }> = {
  // Head, a chunk and the bad chunk size in one write: one read on the client.
  '/one-read': { writes: [HEAD + CHUNK + BAD], detail: 'Invalid character in chunk size' },
  '/head-then-bad': { writes: [HEAD, CHUNK + BAD], detail: 'Invalid character in chunk size' },
  '/bad-status': { writes: ['HTTP/1.1 2OO OK\r\ncontent-length: 5\r\n\r\nhello'], detail: 'Invalid status code' },
}

let server: Started<unknown>
const pools: HotConnPool[] = []
beforeAll(async () => {
  server = await startTls({ ALPNProtocols: ['http/1.1'] }, (socket: TLSSocket) => {
    socket.on('error', () => {})
    let head = ''
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      const path = /^GET (\S+)/.exec(head)?.[1] ?? '/'
      head = ''
      const writes = SCRIPTS[path]?.writes ?? ['HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n']
      let i = 0
      const next = (): void => {
        const w = writes[i++]
        if (w === undefined || !socket.writable) return
        socket.write(w, () => setTimeout(next, 20))
      }
      next()
    })
  })
})
afterAll(async () => {
  for (const p of pools) await p.close()
  await server.close()
})

function pool(): HotConnPool {
  const p = oneIpPool(
    { caPem: testPki().ca.certPem, ip: '127.0.0.1' },
    { http2: false, pool: { warmConnsPerIp: 0, headersTimeoutMs: 30_000, bodyTimeoutMs: 30_000 } },
  )
  pools.push(p)
  return p
}

/** The error of reading `path` with `api`, or `hung` when nothing settles within 15 s (far above the ~50 ms it takes). */
async function failure(p: HotConnPool, api: BodyApi, path: string, slow: boolean): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined
  const hung = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('hung'), 15_000)))
  try {
    return await Promise.race([
      readBody(api, p, `https://tiles.test:${server.port}${path}`, slow).then(
        (body) => `completed with ${body.length} bytes`,
        (err: unknown) => err,
      ),
      hung,
    ])
  } finally {
    clearTimeout(timer)
  }
}

describe('a malformed HTTP/1.1 response', () => {
  for (const [path, { detail }] of Object.entries(SCRIPTS)) {
    for (const api of ['fetch', 'request', 'stream'] as BodyApi[]) {
      it(`${path} through ${api}: ERR_HTTP_PROTOCOL (${detail}), fast and slow readers`, async () => {
        const p = pool()
        for (const slow of [false, true]) {
          const err = await failure(p, api, path, slow)
          // fetch wraps the body's error in TypeError('terminated'), with it as the cause.
          const protocol = err instanceof TypeError && api === 'fetch' ? err.cause : err
          expect(protocol, String(err)).toBeInstanceOf(HttpProtocolError)
          expect((protocol as HttpProtocolError).code).toBe('ERR_HTTP_PROTOCOL')
          expect((protocol as HttpProtocolError).detail).toBe(detail)
        }
      })
    }
  }
})
