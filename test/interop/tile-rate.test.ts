import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchTiles, listSource } from '../../src/tiles/index.js'
import { startTileOrigin, type TileOrigin } from '../tiles/helpers.js'

describe('the per-host rate limit, measured at the origin', () => {
  let t: TileOrigin
  let dir: string
  beforeAll(async () => {
    t = await startTileOrigin({ ips: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] })
    dir = await mkdtemp(join(tmpdir(), 'hotconn-rate-'))
  })
  afterAll(async () => {
    await t.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('200 req/s asked: the origin sees 200 req/s ± 5 % over a 10 s run', async () => {
    const tiles = listSource(Array.from({ length: 2000 }, (_, i) => ({ z: 6, x: i % 64, y: Math.floor(i / 64) })))
    const r = await fetchTiles({ template: t.template, tiles, out: join(dir, 'r'), pool: t.pool(), rate: 200 })
    expect(r.errors).toEqual({})
    expect(r.ok).toBe(true)
    expect(r.concurrency).toBe(200) // max(10, min(200, 12000 / 10))
    const times = t.requests.filter((q) => q.path.startsWith('/tiles/')).map((q) => q.atMs)
    expect(times).toHaveLength(2000)
    const spanS = (times.at(-1)! - times[0]!) / 1000
    const rate = (times.length - 1) / spanS
    // One-second windows from the first request, for the report.
    const windows = Array.from(
      { length: Math.floor(spanS) },
      (_, i) => times.filter((x) => x >= times[0]! + i * 1000 && x < times[0]! + (i + 1) * 1000).length,
    )
    console.log(
      `rate limit: 2000 requests in ${spanS.toFixed(2)} s = ${rate.toFixed(1)} req/s at the origin; 1 s windows: ${windows.join(' ')}`,
    )
    expect(spanS).toBeGreaterThan(9)
    expect(rate).toBeGreaterThanOrEqual(190)
    expect(rate).toBeLessThanOrEqual(210)
  }, 60_000)
})
