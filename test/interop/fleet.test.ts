/**
 * Fleet mode on a real redis-server (Debian's, started here on a random loopback port with its own
 * config; AOF on, and a restart is a clean shutdown, so it keeps the queue and the counters): 3 worker
 * processes (`hotconn tiles worker`) fetch the demo tiles with one shared budget. Mid-run one
 * worker is SIGKILLed and replaced, and Redis is stopped and started again; 127.0.0.5 answers 403
 * to worker 1 only, and the others must stop using it within 1 s of worker 1 blacklisting it.
 * Everything is measured at the origin, which runs in a process of its own and draws the tiles
 * before the run (it then serves them from memory). The shared budget must hold RATE ± 10 % in
 * every 1 s window but those of the two disruptions. Sizes from HOTCONN_FLEET_TILES (default 20000)
 * and HOTCONN_FLEET_RATE (default 500 req/s, the issue's). On 2 cores the 3 workers, the origin and
 * Redis share the machine: the log reports each one's CPU per tile.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tileBody } from '../../src/demo/index.js'
import { enqueueTiles, listSource, type TileWorkerResult } from '../../src/tiles/index.js'
import { PROJECT_ROOT } from '../helpers/node24.js'
import { startOriginProcess, type OriginProcess } from './origin-process.js'
import { REDIS_SERVER, startRedisServer, type RedisServer } from './redis-server.js'
import { oneSecondWindows } from './windows.js'

const TILES = Number(process.env['HOTCONN_FLEET_TILES'] ?? 20_000)
const RATE = Number(process.env['HOTCONN_FLEET_RATE'] ?? 500)
/** Tiles in flight per worker: enough for the rate at 150 ms a request, few slots lost with a killed worker. */
const PER_WORKER = 32

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

interface Worker {
  child: ChildProcess
  out: string
  err: string
  exited: Promise<void>
}

describe.skipIf(REDIS_SERVER === undefined)('fleet mode on redis-server', () => {
  let t: OriginProcess
  let dir: string
  let redis: RedisServer
  const workers = new Map<string, Worker>()

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hotconn-fleet-'))
    redis = await startRedisServer(dir)
    // 127.0.0.5 answers 403 to worker 1 only (its requests carry x-demo-client: w1).
    t = await startOriginProcess({
      ips: ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'],
      behaviours: { '127.0.0.5': { status: 403, clients: ['w1'] } },
    })
    await writeFile(join(dir, 'ca.pem'), t.caPem)
  }, 60_000)

  afterAll(async () => {
    for (const w of workers.values()) if (w.child.exitCode === null) w.child.kill('SIGKILL')
    await Promise.all([...workers.values()].map((w) => w.exited))
    await redis?.stop()
    await t?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const startWorker = (id: string): Worker => {
    const args = [
      '--import',
      'tsx',
      resolve(PROJECT_ROOT, 'src/cli/main.ts'),
      'tiles',
      'worker',
      '--redis',
      redis.url,
      '--out',
      join(dir, 'tiles'),
      '--rate',
      `${RATE}/s`,
      '-c',
      String(PER_WORKER),
      '--id',
      id,
      '-H',
      `x-demo-client: ${id}`,
      '--resolve',
      `tiles.test=${t.ips.join(',')}`,
      '--ca',
      join(dir, 'ca.pem'),
      // A dead worker's jobs move on after 8 s; a live one's lock (renewed every 4 s) outlasts the outage.
      '--lock-ms',
      '8000',
      '--exit-when-idle',
      '3000',
    ]
    const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    const w: Worker = { child, out: '', err: '', exited: new Promise((r) => child.once('exit', () => r())) }
    child.stdout!.on('data', (c: Buffer) => (w.out += c.toString()))
    child.stderr!.on('data', (c: Buffer) => (w.err = (w.err + c.toString()).slice(-4000)))
    workers.set(id, w)
    return w
  }
  const served = (): number => t.answered()

  it(`3 workers fetch ${TILES} tiles at a shared ${RATE} req/s through a SIGKILL and a Redis restart`, async () => {
    const side = 256
    const list = Array.from({ length: TILES }, (_, i) => ({ z: 8, x: i % side, y: Math.floor(i / side) % side }))
    // The origin draws the tiles ahead and serves them from memory: its CPU goes to the requests.
    await t.prerender(list)
    await t.requests()
    const originCpu0 = t.cpuMs()
    const redisCpu0 = redis.cpuMs()
    const enq = await enqueueTiles({
      redis: redis.url,
      template: t.template,
      tiles: listSource(list),
      batch: 8,
    })
    expect(enq.tiles).toBe(TILES)
    const w1 = startWorker('w1')
    const w2 = startWorker('w2')
    const w3 = startWorker('w3')
    const cpu0 = process.cpuUsage()
    const deadline = performance.now() + Math.max(180_000, (TILES / RATE) * 4000)
    const waitServed = async (n: number): Promise<void> => {
      while (served() < n && performance.now() < deadline) await sleep(20)
    }

    await waitServed(TILES * 0.3)
    const killedAt = performance.now()
    w3.child.kill('SIGKILL')
    await w3.exited
    const w4 = startWorker('w4')
    await waitServed(TILES * 0.6)
    const outageAt = performance.now()
    await redis.stop()
    await sleep(1500)
    await redis.start()
    const backAt = performance.now()
    const live = [w1, w2, w4]
    await Promise.race([Promise.all(live.map((w) => w.exited)), sleep(Math.max(0, deadline - performance.now()))])
    for (const w of live)
      expect(
        w.child.exitCode,
        `worker exit (${served()} of ${TILES} tiles served); stdout: ${w.out.slice(-2000)}; stderr: ${w.err}`,
      ).toBe(0)

    const cpu = process.cpuUsage(cpu0)
    const redisCpu = redis.cpuMs() - redisCpu0
    const requests = await t.requests()
    // Every tile stored exactly once, byte-exact.
    let files = 0
    for (const x of await readdir(join(dir, 'tiles', '8')))
      files += (await readdir(join(dir, 'tiles', '8', x))).filter((f) => f.endsWith('.png')).length
    expect(files).toBe(TILES)
    for (const tile of list.filter((_, i) => i % 97 === 0)) {
      const body = await readFile(join(dir, 'tiles', '8', String(tile.x), `${tile.y}.png`))
      expect(body.equals(tileBody(8, tile.x, tile.y))).toBe(true)
    }

    // The counters, per worker and the fleet's in Redis.
    const results = live.map((w) => JSON.parse(w.out.trim().split('\n').at(-1)!) as TileWorkerResult)
    const fleet = results.at(-1)!.fleet

    // Tiles served more than once: only those of jobs in flight in w3 when it was killed.
    const counts = new Map<string, number>()
    for (const q of requests)
      if (q.status === 200 && q.path.startsWith('/tiles/')) counts.set(q.path, (counts.get(q.path) ?? 0) + 1)
    const twice = [...counts.entries()].filter(([, n]) => n > 1)
    const servedAfter = (ms: number, path: string): boolean => requests.some((q) => q.path === path && q.atMs > ms)

    // The shared budget, measured at the origin in 1 s windows (all reported; the Redis outage and
    // the 2 s after it excepted: workers pause while Redis is away, by design).
    const times = requests.filter((q) => q.path.startsWith('/tiles/')).map((q) => q.atMs)
    const windows = oneSecondWindows(times, 2000)
    // Held outside the two disruptions: the Redis outage (+2 s) and the SIGKILL up to 6 s after it (the
    // killed worker's granted slots go unused and its replacement's start-up takes a core for seconds).
    const checked = windows.filter(
      (w) =>
        (w.endMs <= killedAt || w.startMs >= killedAt + 6000) && (w.endMs <= outageAt || w.startMs >= backAt + 2000),
    )

    // The 403 IP: blacklisted by w1 at its third 403; what w2 and w4 sent it more than 1 s later.
    const to5 = requests.filter((q) => q.ip === '127.0.0.5')
    const forbidden = to5.filter((q) => q.client === 'w1' && q.status === 403)
    const blacklistedAt = forbidden[2]?.atMs ?? Infinity
    const othersLate = to5.filter((q) => q.client !== 'w1' && q.client !== 'w3' && q.atMs > blacklistedAt + 1000)
    const othersBefore = to5.filter((q) => q.client !== 'w1' && q.atMs <= blacklistedAt).length
    const lastOther = Math.max(
      ...to5.filter((q) => q.client !== 'w1' && q.client !== 'w3' && q.atMs > blacklistedAt).map((q) => q.atMs),
      blacklistedAt,
    )
    const sorted = checked.map((w) => w.count).sort((a, b) => a - b)
    const span = (times.at(-1)! - times[0]!) / 1000
    // When each worker learned of the blacklisting (epoch ms in its log; the origin's clock is performance.now()).
    const learnt = results.map((r) => {
      const e = r.ipLog.find((l) => l.ip === '127.0.0.5')
      return `${r.id} ${e === undefined ? 'never' : `${(e.at - performance.timeOrigin - blacklistedAt).toFixed(0)} ms`}`
    })
    console.log(
      [
        `fleet: ${TILES} tiles, ${requests.length} requests in ${span.toFixed(1)} s (${((times.length - 1) / span).toFixed(1)} req/s overall)`,
        `w3 killed at ${((killedAt - times[0]!) / 1000).toFixed(1)} s, Redis away from ${((outageAt - times[0]!) / 1000).toFixed(1)} s to ${((backAt - times[0]!) / 1000).toFixed(1)} s`,
        `served twice: ${twice.length} tiles (${twice.filter(([p]) => servedAfter(killedAt, p)).length} of them again after the kill)`,
        `fleet counters: ${JSON.stringify(fleet)}`,
        `CPU per tile: workers ${(results.reduce((n, r) => n + r.cpuMs, 0) / TILES).toFixed(2)} ms (w3 not counted), ` +
          `origin ${((t.cpuMs() - originCpu0) / TILES).toFixed(2)} ms (${originCpu0} ms before the run, drawing included), redis-server ${(redisCpu / TILES).toFixed(2)} ms, test ${((cpu.user + cpu.system) / 1000 / TILES).toFixed(2)} ms`,
        `workers: ${JSON.stringify(results.map(({ fleet: _, ...r }) => r))}`,
        `1 s windows (req/s): ${windows.map((w) => w.count).join(' ')}`,
        `checked windows: ${checked.length}, min ${sorted[0]} median ${sorted[Math.floor(sorted.length / 2)]} max ${sorted.at(-1)}`,
        `403 IP: w1 got ${forbidden.length} 403s; w2/w3 sent it ${othersBefore} requests before its blacklisting, ` +
          `the others' last request ${(lastOther - blacklistedAt).toFixed(0)} ms after it, ${othersLate.length} later than 1 s; ` +
          `shared/received after the 3rd 403: ${learnt.join(', ')}`,
      ].join('\n'),
    )
    expect(fleet).toMatchObject({ stored: TILES, exists: 0, skipped: 0, failed: 0, jobs: enq.jobs })
    expect(results.reduce((n, r) => n + r.failed, 0)).toBe(0)
    // Refetched tiles: only in flight when w3 died (at most its PER_WORKER tiles), all after the kill.
    expect(twice.length).toBeLessThanOrEqual(PER_WORKER)
    // … and counted: every tile served twice is in the fleet's refetched count, which counts nothing else
    // than tiles requested again by a later delivery (those of w3's jobs: at most its tiles in flight).
    expect(fleet.refetched).toBeGreaterThanOrEqual(twice.length)
    expect(fleet.refetched).toBeLessThanOrEqual(PER_WORKER)
    for (const [path] of twice) expect(servedAfter(killedAt, path)).toBe(true)
    expect(counts.size).toBe(TILES)
    expect(checked.length).toBeGreaterThanOrEqual(Math.floor(TILES / RATE / 2))
    // Every checked window within RATE ± 10 %, and any two consecutive ones together within 2 × RATE + 5 %.
    for (const w of checked) {
      const at = `window at ${w.startMs.toFixed(0)} ms`
      expect(w.count, at).toBeGreaterThanOrEqual(RATE * 0.9)
      expect(w.count, at).toBeLessThanOrEqual(RATE * 1.1)
      const prev = windows[windows.indexOf(w) - 1]
      if (prev !== undefined) expect(prev.count + w.count, `${at} and the one before`).toBeLessThanOrEqual(RATE * 2.1)
    }
    expect(forbidden.length).toBeGreaterThanOrEqual(3)
    expect(othersLate).toHaveLength(0)
  }, 600_000)
})
