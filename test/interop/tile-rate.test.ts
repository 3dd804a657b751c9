/**
 * The per-host rate limit alone (issue 15): 200 req/s asked of fetchTiles for a 10 s run, the rate
 * measured at the origin over the steady part of the run (the first second, while the pool's
 * first connections are made, and the last half second left out), within ± 5 %. The origin runs
 * in a process of its own, so the client has a core to itself; the client's CPU is reported
 * beside the rate (the rate only means something while the client keeps up with it).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchTiles, listSource } from '../../src/tiles/index.js'
import { startOriginProcess, type OriginProcess } from './origin-process.js'
import { oneSecondWindows } from './windows.js'

const RATE = 200
const SECONDS = 10

describe('the per-host rate limit, measured at the origin', () => {
  let t: OriginProcess
  let dir: string
  beforeAll(async () => {
    t = await startOriginProcess({ ips: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] })
    dir = await mkdtemp(join(tmpdir(), 'hotconn-rate-'))
  })
  afterAll(async () => {
    await t?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it(`${RATE} req/s asked: the origin sees ${RATE} req/s ± 5 % over a ${SECONDS} s run`, async () => {
    const n = RATE * SECONDS
    const tiles = listSource(Array.from({ length: n }, (_, i) => ({ z: 7, x: i % 128, y: Math.floor(i / 128) })))
    const cpu0 = process.cpuUsage()
    const wall0 = performance.now()
    const r = await fetchTiles({ template: t.template, tiles, out: join(dir, 'r'), pool: t.pool(), rate: RATE })
    const cpu = process.cpuUsage(cpu0)
    const wallMs = performance.now() - wall0
    expect(r.errors).toEqual({})
    expect(r.ok).toBe(true)
    expect(r.concurrency).toBe(200) // max(10, min(200, rpm / 10)) with rpm = 12000
    const times = (await t.requests()).filter((q) => q.path.startsWith('/tiles/')).map((q) => q.atMs)
    expect(times).toHaveLength(n)
    const spanS = (times.at(-1)! - times[0]!) / 1000
    const from = times[0]! + 1000
    const to = times.at(-1)! - 500
    const steady = times.filter((x) => x >= from && x < to).length / ((to - from) / 1000)
    const windows = oneSecondWindows(times)
    console.log(
      `rate limit: ${n} requests in ${spanS.toFixed(2)} s (${((n - 1) / spanS).toFixed(1)} req/s over the whole run), ` +
        `${steady.toFixed(1)} req/s over the steady ${((to - from) / 1000).toFixed(1)} s; ` +
        `1 s windows: ${windows.map((w) => w.count).join(' ')}; ` +
        `the client's CPU ${(((cpu.user + cpu.system) / 1000 / wallMs) * 100).toFixed(0)} % of a core`,
    )
    expect(spanS).toBeGreaterThan(SECONDS - 1)
    expect(steady).toBeGreaterThanOrEqual(RATE * 0.95)
    expect(steady).toBeLessThanOrEqual(RATE * 1.05)
  }, 60_000)
})
