/**
 * HEADERS priority fields of concurrent streams, through the pool, against a recorder that holds
 * each response until the test releases it (so which streams are open is known):
 *  - Chromium 156: the top page of the Xvfb capture replayed on one connection (document, then a
 *    style, a script and two images open together, then a font): every stream's dependency and
 *    weight equal the capture's (script on the style's stream, image on the script's, …); then the
 *    chain rule itself: a stream depends on the latest open stream of the same or a more urgent
 *    class, and a stream that closed leaves the chain;
 *  - Firefox ESR 153: the same streams all depend on the root, never exclusive.
 */
import type { ServerHttp2Stream } from 'node:http2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request, type Dispatcher } from 'undici'
import type { Destination } from '../../src/fingerprint/http.js'
import { HotConnPool } from '../../src/pool/pool.js'
import type { Resolver } from '../../src/pool/options.js'
import { loadRequestCaptures, field } from '../fingerprint/request-captures.js'
import { waitFor } from '../pool/helpers/fixtures.js'
import { startH2Recorder, type H2Recorder } from './helpers/h2-recorder.js'

const loopback: Resolver = {
  resolve: async () => ({ addresses: [{ address: '127.0.0.1', family: 4, ttlMs: 60_000 }], minTtlMs: 60_000 }),
}

interface Priority {
  exclusive: boolean
  dependsOn: number
  weight: number
}

describe('HTTP/2 stream dependencies of concurrent requests', () => {
  let rec: H2Recorder
  const held = new Map<string, ServerHttp2Stream>()
  beforeAll(async () => {
    rec = await startH2Recorder({
      onStream: (stream, conn) => {
        held.set(conn.headers.get(stream.id!)?.find(([n]) => n === ':path')?.[1] ?? '', stream)
        return true
      },
    })
  })
  afterAll(async () => {
    await rec.close()
  })

  /** A session whose requests are answered when `release(path)` is called. */
  function session(identity: 'chrome-156-linux' | 'firefox-153-linux') {
    const pool = new HotConnPool({
      ca: rec.caPem,
      resolver: loopback,
      tls: { profile: identity },
      pool: { warmConnsPerIp: 0 },
    })
    const pending = new Map<string, Promise<Dispatcher.ResponseData>>()
    const first = rec.connections.length
    const url = (path: string): string => `https://h2.test:${rec.port}${path}`
    /** Sends a request and waits until the server holds it. */
    const open = async (path: string, destination: Destination): Promise<void> => {
      pending.set(path, request(url(path), { dispatcher: pool, destination } as never))
      await waitFor(() => held.has(path), `the server to hold ${path}`)
    }
    const release = async (path: string): Promise<void> => {
      const stream = held.get(path)!
      held.delete(path)
      stream.respond({ ':status': 200 })
      stream.end('ok')
      await (await pending.get(path)!).body.dump()
    }
    /** The stream that carried `path` on this session's connection (one: h2 multiplexes). */
    const streamId = (path: string): number => {
      const conns = rec.connections.slice(first)
      expect(conns.length).toBe(1)
      for (const [id, headers] of conns[0]!.headers)
        if (headers.some(([n, v]) => n === ':path' && v === path)) return id
      throw new Error(`no stream for ${path}`)
    }
    /** The HEADERS priority fields the server received for `path`. */
    const priority = (path: string): Priority => {
      const id = streamId(path)
      return rec.connections[first]!.frames.find((f) => f.type === 1 && f.streamId === id)!.priority!
    }
    return { pool, open, release, priority, streamId }
  }

  /** The capture's top page on the page's connection, in order, up to its first font. */
  const TOP = [
    '/r/document/top',
    '/r/style/top.css',
    '/r/script/top.js',
    '/r/image/top.gif',
    '/r/image/top-s.gif',
    '/r/font/top.woff2',
  ]

  it('chrome-156-linux: the capture’s dependencies and weights, each stream on the latest open one as urgent or more', async () => {
    const cap = loadRequestCaptures('chromium', 'h2')
    const captured = (path: string) => cap.requests.find((r) => r.path === path)!
    const s = session('chrome-156-linux')
    const dest = (path: string) => field(captured(path), 'sec-fetch-dest') as Destination
    try {
      await s.open(TOP[0]!, 'document')
      await s.release(TOP[0]!)
      // Style, script and both images load together; the font once they are done.
      for (const path of TOP.slice(1, 5)) await s.open(path, dest(path))
      for (const path of TOP.slice(1, 5)) await s.release(path)
      await s.open(TOP[5]!, 'font')
      await s.release(TOP[5]!)
      for (const path of TOP) {
        expect(s.streamId(path), `${path} stream id`).toBe(captured(path).streamId)
        expect(s.priority(path), path).toEqual(captured(path).priority)
      }

      // The rule: the latest open stream of the same or a more urgent class; closed streams leave.
      await s.open('/image-a', 'image') // u=2, nothing open
      await s.open('/style-b', 'style') // u=0: no u=0 stream open
      await s.open('/script-c', 'script') // u=1: none at 1, style-b at 0
      await s.release('/style-b')
      await s.open('/script-d', 'script') // u=1: script-c
      await s.release('/script-c')
      await s.release('/script-d')
      await s.open('/image-e', 'image') // u=2: image-a (the scripts closed)
      await s.open('/font-f', 'font') // u=4: none at 3-4, image-e at 2
      const dep = (path: string) => s.priority(path).dependsOn
      expect(dep('/image-a')).toBe(0)
      expect(dep('/style-b')).toBe(0)
      expect(dep('/script-c')).toBe(s.streamId('/style-b'))
      expect(dep('/script-d')).toBe(s.streamId('/script-c'))
      expect(dep('/image-e')).toBe(s.streamId('/image-a'))
      expect(dep('/font-f')).toBe(s.streamId('/image-e'))
      expect(s.priority('/font-f')).toMatchObject({ exclusive: true, weight: 110 })
      for (const path of ['/image-a', '/image-e', '/font-f']) await s.release(path)
    } finally {
      await s.pool.close()
    }
  })

  it('firefox-153-linux: concurrent streams depend on the root, not exclusive, with the capture’s weights', async () => {
    const cap = loadRequestCaptures('firefox', 'h2')
    const captured = (path: string) => cap.requests.find((r) => r.path === path)!
    const s = session('firefox-153-linux')
    try {
      for (const path of TOP) await s.open(path, field(captured(path), 'sec-fetch-dest') as Destination)
      for (const path of TOP) await s.release(path)
      for (const path of TOP) expect(s.priority(path), path).toEqual(captured(path).priority)
    } finally {
      await s.pool.close()
    }
  })
})
