/**
 * Fleet mode as its users run it, small and quick (the 20,000-tile run is fleet.test.ts): the tile
 * set goes on the queue with `hotconn tiles enqueue --list`, two `hotconn tiles worker` processes
 * on one redis-server fetch it and exit on their own (--exit-when-idle) with code 0; the fleet's
 * counters are exact (every tile stored once, by one worker, and served once at the origin; one
 * retry per 403); an
 * IP that answers 403 to worker 1 only is left by worker 2 within 1 s of worker 1 blacklisting
 * it; the same set enqueued again is skipped whole, without a request, and a job that is not a
 * tile job is refused (once: no retry) and makes its worker exit 1.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Queue } from 'bullmq'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TileWorkerResult } from '../../src/tiles/index.js'
import { PROJECT_ROOT } from '../helpers/node24.js'
import { startOriginProcess, type OriginProcess } from './origin-process.js'
import { REDIS_SERVER, startRedisServer, type RedisServer } from './redis-server.js'

const TILES = 600
const BATCH = 8

interface Run {
  code: number | null
  out: string
  err: string
  ms: number
}

/** Runs the CLI; kills it after `timeoutMs` (the test then fails on its exit code). */
function cli(args: string[], timeoutMs = 90_000): { child: ChildProcess; done: Promise<Run> } {
  const t0 = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(PROJECT_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const done = new Promise<Run>((res) =>
    child.once('exit', (code) => {
      clearTimeout(timer)
      res({ code, out, err, ms: performance.now() - t0 })
    }),
  )
  return { child, done }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe.skipIf(REDIS_SERVER === undefined)('hotconn tiles enqueue / worker on redis-server', () => {
  let t: OriginProcess
  let dir: string
  let redis: RedisServer
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hotconn-fleet-cli-'))
    redis = await startRedisServer(dir)
    t = await startOriginProcess({
      ips: ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'],
      behaviours: { '127.0.0.5': { status: 403, clients: ['w1'] } },
    })
    await writeFile(join(dir, 'ca.pem'), t.caPem)
    const lines = Array.from({ length: TILES }, (_, i) => `9/${i % 32}/${Math.floor(i / 32)}`)
    await writeFile(join(dir, 'tiles.txt'), lines.join('\n') + '\n')
  }, 60_000)
  afterAll(async () => {
    await redis?.stop()
    await t?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const enqueue = (queue = 'hotconn-tiles'): Promise<Run> =>
    cli([
      'tiles',
      'enqueue',
      t.template,
      '--list',
      join(dir, 'tiles.txt'),
      '--redis',
      redis.url,
      '--batch',
      `${BATCH}`,
      '--queue',
      queue,
    ]).done
  const worker = (id: string, extra: string[] = [], out = 'tiles'): { child: ChildProcess; done: Promise<Run> } =>
    cli([
      'tiles',
      'worker',
      '--redis',
      redis.url,
      '--out',
      join(dir, out),
      '--rate',
      '150/s',
      '-c',
      '8',
      '--id',
      id,
      '-H',
      `x-demo-client: ${id}`,
      '--resolve',
      `tiles.test=${t.ips.join(',')}`,
      '--ca',
      join(dir, 'ca.pem'),
      '--exit-when-idle',
      '1500',
      ...extra,
    ])
  const result = (r: Run): TileWorkerResult => JSON.parse(r.out.trim().split('\n').at(-1)!) as TileWorkerResult

  it('two workers fetch the queue, exit when it is empty, count exactly and share the 403 IP', async () => {
    const e = await enqueue()
    expect(e.code, e.err).toBe(0)
    expect(e.out).toContain(`${TILES} tiles enqueued in ${TILES / BATCH} jobs`)
    const [w1, w2] = await Promise.all([worker('w1').done, worker('w2').done])
    expect(w1.code, `w1 stderr: ${w1.err}`).toBe(0)
    expect(w2.code, `w2 stderr: ${w2.err}`).toBe(0)
    const r1 = result(w1)
    const r2 = result(w2)
    const requests = await t.requests()
    let files = 0
    for (const x of await readdir(join(dir, 'tiles', '9')))
      files += (await readdir(join(dir, 'tiles', '9', x))).filter((f) => f.endsWith('.png')).length
    const served = new Map<string, number>()
    for (const q of requests) if (q.status === 200) served.set(q.path, (served.get(q.path) ?? 0) + 1)
    const to5 = requests.filter((q) => q.ip === '127.0.0.5')
    const forbidden = to5.filter((q) => q.client === 'w1' && q.status === 403)
    const blacklistedAt = forbidden[2]?.atMs ?? Infinity
    const w2Late = to5.filter((q) => q.client === 'w2' && q.atMs > blacklistedAt + 1000)
    console.log(
      `fleet CLI: ${TILES} tiles, ${requests.length} requests; w1 ${r1.stored} stored in ${(w1.ms / 1000).toFixed(1)} s, ` +
        `w2 ${r2.stored} in ${(w2.ms / 1000).toFixed(1)} s; fleet ${JSON.stringify(r2.fleet)}; ` +
        `127.0.0.5: ${forbidden.length} 403s to w1, w2's requests to it: ${to5.filter((q) => q.client === 'w2').length} ` +
        `(${w2Late.length} later than 1 s after w1 blacklisted it); shared ${r1.ipsShared}, received ${r2.ipsReceived}`,
    )
    expect(files).toBe(TILES)
    expect(served.size).toBe(TILES)
    expect([...served.values()].every((n) => n === 1)).toBe(true)
    expect(r1.stored + r2.stored).toBe(TILES)
    // Retries: one per 403 (each tile that got one was fetched again from another IP).
    for (const r of [r1, r2])
      expect(r.fleet).toEqual({
        stored: TILES,
        exists: 0,
        skipped: 0,
        failed: 0,
        retries: forbidden.length,
        refetched: 0,
        jobs: TILES / BATCH,
      })
    expect(forbidden.length).toBeGreaterThanOrEqual(3)
    // Shared by w1 and received by w2 (again each time w1's re-probe after the blacklisting's expiry gets a 403).
    expect(r1.ipsShared).toBeGreaterThanOrEqual(1)
    expect(r2.ipsReceived).toBeGreaterThanOrEqual(1)
    expect(r2.ipLog.some((l) => l.ip === '127.0.0.5' && l.by === 'w1')).toBe(true)
    expect(w2Late).toHaveLength(0)
  }, 180_000)

  it('the same set enqueued again is skipped whole: no request, counted as skipped; a job that is not a tile job is refused', async () => {
    const before = (await t.requests()).length
    expect((await enqueue()).code).toBe(0)
    const queue = new Queue('hotconn-tiles', { connection: { host: '127.0.0.1', port: redis.port } })
    await queue.add('tiles', { template: t.template, subdomains: [], tiles: [3, 9, 0] }, { attempts: 5 })
    await queue.close()
    const w = await worker('w3').done
    expect(w.code, w.err).toBe(1) // a job refused
    expect((await t.requests()).length).toBe(before)
    expect(result(w)).toMatchObject({ skipped: TILES, stored: 0, rejected: 1 })
    expect(result(w).fleet).toMatchObject({ stored: TILES, skipped: TILES, jobs: (2 * TILES) / BATCH })
  }, 120_000)

  it('a worker SIGKILLed mid-run and a Redis restart lose no tile; only tiles in flight in the dead worker are fetched again, and counted', async () => {
    const queue = 'faults'
    const extra = ['--queue', queue, '--lock-ms', '4000']
    expect((await enqueue(queue)).code).toBe(0)
    const before = (await t.requests()).length
    const w4 = worker('w4', extra, 'faults')
    const w5 = worker('w5', extra, 'faults')
    const deadline = performance.now() + 60_000
    while (performance.now() < deadline && (await t.requests()).filter((q) => q.client === 'w5').length < 40)
      await sleep(100)
    const killedAt = performance.now()
    w5.child.kill('SIGKILL')
    await w5.done
    const w6 = worker('w6', extra, 'faults')
    while (performance.now() < deadline && t.answered() < before + TILES * 0.6) await sleep(50)
    const outageAt = performance.now()
    await redis.stop()
    await sleep(1500)
    await redis.start()
    const [r4, r6] = await Promise.all([w4.done, w6.done])
    expect(r4.code, `w4 stderr: ${r4.err}`).toBe(0)
    expect(r6.code, `w6 stderr: ${r6.err}`).toBe(0)
    const requests = (await t.requests()).slice(before)
    let files = 0
    for (const x of await readdir(join(dir, 'faults', '9')))
      files += (await readdir(join(dir, 'faults', '9', x))).filter((f) => f.endsWith('.png')).length
    const served = new Map<string, number[]>()
    for (const q of requests) if (q.status === 200) served.set(q.path, [...(served.get(q.path) ?? []), q.atMs])
    const twice = [...served.values()].filter((a) => a.length > 1)
    const fleet = result(r6).fleet
    console.log(
      `fleet faults: w5 killed at ${((killedAt - requests[0]!.atMs) / 1000).toFixed(1)} s, Redis away from ` +
        `${((outageAt - requests[0]!.atMs) / 1000).toFixed(1)} s for 1.5 s; served twice: ${twice.length}; ` +
        `fleet ${JSON.stringify(fleet)}; w4 ${JSON.stringify({ ...result(r4), fleet: undefined, ipLog: undefined })}`,
    )
    expect(files).toBe(TILES)
    expect(served.size).toBe(TILES)
    // Served twice: tiles of w5's job in flight (one job of BATCH tiles: -c 8), the second time after the kill.
    expect(twice.length).toBeLessThanOrEqual(BATCH)
    for (const a of twice) expect(Math.max(...a)).toBeGreaterThan(killedAt)
    expect(fleet).toMatchObject({ stored: TILES, exists: 0, skipped: 0, failed: 0, jobs: TILES / BATCH })
    expect(fleet.refetched).toBeGreaterThanOrEqual(twice.length)
    expect(fleet.refetched).toBeLessThanOrEqual(BATCH)
  }, 180_000)
})
