import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tileBody } from '../../src/demo/index.js'
import { bboxSource, fetchTiles, listSource, parseBBox, type TileOutcome } from '../../src/tiles/index.js'
import { recorder } from '../cli/helpers.js'
import { startTileOrigin, type TileOrigin } from './helpers.js'

const FORBIDDEN = '127.0.0.5'

describe('fetchTiles against the demo origin', () => {
  let t: TileOrigin
  let dir: string
  beforeAll(async () => {
    t = await startTileOrigin({ forbiddenIps: [FORBIDDEN] })
    dir = await mkdtemp(join(tmpdir(), 'hotconn-job-'))
  })
  afterAll(async () => {
    await t.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('stores every tile of a bbox and zoom range as z/x/y.png, valid and byte-exact, and blacklists the 403 IP', async () => {
    const out = join(dir, 'tree')
    const tiles = bboxSource(parseBBox('-20,30,40,60'), 0, 5)
    const progress = recorder(false)
    t.requests.length = 0
    const r = await fetchTiles({ template: t.template, tiles, out, pool: t.pool(), progress, progressIntervalMs: 100 })
    expect(r.ok).toBe(true)
    expect(r.stored).toBe(tiles.count)
    expect(r.failed).toBe(0)
    expect(r.statuses['200']).toBe(tiles.count)
    expect(r.statuses['403']).toBeGreaterThanOrEqual(3)
    expect(r.retries).toBe(r.statuses['403'])
    expect(r.blacklisted.map((b) => b.ip)).toEqual([FORBIDDEN])
    for (const tile of tiles.tiles()) {
      const body = await readFile(join(out, String(tile.z), String(tile.x), `${tile.y}.png`))
      expect(body.equals(tileBody(tile.z, tile.x, tile.y))).toBe(true)
      expect(PNG.sync.read(body).width).toBe(256)
    }
    // Nothing else in the tree: no temporary files left behind.
    const z5 = await readdir(join(out, '5', String([...tiles.tiles()].find((x) => x.z === 5)!.x)))
    expect(z5.every((f) => /^\d+\.png$/.test(f))).toBe(true)
    // Per-IP counts agree with the origin's.
    for (const ip of r.ips) expect(ip.requests).toBe(t.origin.stats(ip.ip).requests)
    expect(progress.text).toMatch(new RegExp(`${tiles.count}/${tiles.count} tiles 100%`))
    expect(progress.text).not.toContain('\r')
  })

  it('resumes: interrupted after half, a rerun fetches only the rest (counted at the origin)', async () => {
    const out = join(dir, 'resume')
    const tiles = bboxSource(parseBBox('-180,-85,180,85'), 0, 5) // 1365 tiles
    const stop = new AbortController()
    let done = 0
    const half = Math.floor(tiles.count / 2)
    const observer = { tile: (o: TileOutcome) => (o.result === 'stored' && ++done === half ? stop.abort() : undefined) }
    t.requests.length = 0
    const first = await fetchTiles({
      template: t.template,
      tiles,
      out,
      pool: t.pool(),
      signal: stop.signal,
      observers: [observer],
    })
    expect(first.interrupted).toBe(true)
    expect(first.ok).toBe(false)
    expect(first.stored).toBeGreaterThanOrEqual(half)
    expect(first.stored).toBeLessThan(tiles.count)
    const firstRun = t.perTile()

    t.requests.length = 0
    const second = await fetchTiles({ template: t.template, tiles, out, pool: t.pool() })
    expect(second.ok).toBe(true)
    expect(second.skipped).toBe(first.stored)
    expect(second.stored).toBe(tiles.count - first.stored)
    // At the origin: the rerun asked for exactly the tiles the first run did not store, each once with a 200.
    const served = t.requests.filter((q) => q.status === 200)
    expect(served).toHaveLength(tiles.count - first.stored)
    expect(new Set(served.map((q) => q.path)).size).toBe(served.length)
    let refetched = 0
    for (const q of served) if (firstRun.has(q.path)) refetched++
    // Only tiles in flight at the interruption (aborted before their bodies were stored) come twice.
    expect(refetched).toBeLessThanOrEqual(first.concurrency)
    for (const tile of tiles.tiles())
      expect((await stat(join(out, String(tile.z), String(tile.x), `${tile.y}.png`))).size).toBeGreaterThan(0)
  }, 120_000)

  it('fails tiles whose content is wrong, without retrying them', async () => {
    const r = await fetchTiles({
      template: t.template,
      tiles: listSource([{ z: 2, x: 1, y: 1 }]),
      out: join(dir, 'typed'),
      pool: t.pool(),
      check: { contentType: 'image/jpeg' },
    })
    expect(r.failed).toBe(1)
    expect(r.failures[0]).toMatchObject({
      result: 'failed',
      attempts: 1,
      reason: 'content type image/png, expected image/jpeg',
    })
    expect(r.ok).toBe(false)
  })

  it('retries 503s with backoff, honouring Retry-After, and gives up after maxAttempts', async () => {
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, { status: 503, retryAfterS: 1 })
    try {
      const started = performance.now()
      const r = await fetchTiles({
        template: t.template,
        tiles: listSource([{ z: 1, x: 0, y: 0 }]),
        out: join(dir, 'busy'),
        pool: t.pool({ blacklist: { statusCodes: [403] } }),
        retry: { maxAttempts: 3, baseDelayMs: 10 },
      })
      const ms = performance.now() - started
      expect(r.failures[0]).toMatchObject({ attempts: 3, reason: 'HTTP 503' })
      expect(r.retries).toBe(2)
      // Two waits of at least the 1 s Retry-After (backoff alone would be under 20 ms).
      expect(ms).toBeGreaterThanOrEqual(2000)
    } finally {
      for (const ip of t.origin.ips) t.origin.setBehaviour(ip, ip === FORBIDDEN ? { status: 403 } : undefined)
    }
  })

  it('fails a tile whose certificate does not verify at once, without retries and without blacklisting', async () => {
    // No `ca`: the origin's test CA is not trusted, so every handshake ends in ERR_TLS_BAD_CERTIFICATE.
    const { ca: _ca, ...untrusted } = t.pool()
    const tiles = listSource([
      { z: 3, x: 1, y: 1 },
      { z: 3, x: 2, y: 1 },
    ])
    const r = await fetchTiles({
      template: t.template,
      tiles,
      out: join(dir, 'untrusted'),
      pool: untrusted,
      retry: { maxAttempts: 5, baseDelayMs: 10 },
    })
    expect(r.failed).toBe(2)
    expect(r.retries).toBe(0)
    expect(r.failures.map((f) => [f.attempts, f.reason])).toEqual([
      [1, 'ERR_TLS_BAD_CERTIFICATE'],
      [1, 'ERR_TLS_BAD_CERTIFICATE'],
    ])
    expect(r.blacklisted).toEqual([])
  })

  it('rejects bad options before connecting', async () => {
    const tiles = listSource([{ z: 0, x: 0, y: 0 }])
    await expect(fetchTiles({ template: 'http://x.test/{z}/{x}/{y}', tiles, out: dir })).rejects.toThrow(/only https/)
    await expect(fetchTiles({ template: t.template, tiles, out: '' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    })
    await expect(fetchTiles({ template: t.template, tiles, out: dir, rate: -1 })).rejects.toThrow(/rate must be/)
    await expect(fetchTiles({ template: t.template, tiles, out: dir, concurrency: 0 })).rejects.toThrow(/concurrency/)
  })
})
