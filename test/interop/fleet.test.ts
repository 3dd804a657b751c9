/**
 * Fleet mode on a real redis-server (Debian's, started here on a random loopback port with its own
 * config, AOF on so a restart keeps the queue): 3 worker processes fetch the demo tiles with one
 * shared budget; one worker is SIGKILLed mid-run and replaced, Redis is restarted mid-run, and an IP
 * that answers 403 to worker 1 only must be avoided by the others within 1 s. Sizes from
 * HOTCONN_FLEET_TILES (default 20000) and HOTCONN_FLEET_RATE (default 500 req/s).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tileBody } from '../../src/demo/index.js'
import { enqueueTiles, listSource } from '../../src/tiles/index.js'
import { PROJECT_ROOT } from '../helpers/node24.js'
import { startTileOrigin, type TileOrigin } from '../tiles/helpers.js'

const TILES = Number(process.env['HOTCONN_FLEET_TILES'] ?? 20_000)
const RATE = Number(process.env['HOTCONN_FLEET_RATE'] ?? 500)
const REDIS = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
})()
if (REDIS === undefined)
  console.warn('skipping the fleet tests: redis-server is not installed (apt-get install redis-server)')

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe.skipIf(REDIS === undefined)('fleet mode on redis-server', () => {
  let t: TileOrigin
  let dir: string
  let redis: ChildProcess | undefined
  let port = 0
  const workers = new Map<string, ChildProcess>()
  const startRedis = async (): Promise<void> => {
    redis = spawn(REDIS!, [join(dir, 'redis.conf')], { stdio: 'ignore' })
    for (let i = 0; i < 100; i++) {
      try {
        execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'pipe' })
        return
      } catch {
        await sleep(50)
      }
    }
    throw new Error('redis-server did not start')
  }
  const stopRedis = async (): Promise<void> => {
    const r = redis
    if (r === undefined || r.exitCode !== null) return
    await new Promise((res) => {
      r.once('exit', res)
      r.kill('SIGTERM')
    })
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hotconn-fleet-'))
    port = await freePort()
    await writeFile(
      join(dir, 'redis.conf'),
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        'appendonly yes',
        'appendfsync always',
        'save ""',
        'protected-mode yes',
        'daemonize no',
        'loglevel warning',
      ].join('\n') + '\n',
    )
    await startRedis()
    t = await startTileOrigin({ ips: ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'] })
    // 127.0.0.5 answers 403 to worker 1 only (its requests carry x-demo-client: w1).
    t.origin.setBehaviour('127.0.0.5', { status: 403, clients: ['w1'] })
    await writeFile(join(dir, 'ca.pem'), t.origin.caPem)
  }, 60_000)

  afterAll(async () => {
    for (const w of workers.values()) w.kill('SIGKILL')
    await stopRedis()
    await t?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const startWorker = (id: string): ChildProcess => {
    const args = [
      '--import',
      'tsx',
      resolve(PROJECT_ROOT, 'src/cli/main.ts'),
      'tiles',
      'worker',
      '--redis',
      `redis://127.0.0.1:${port}`,
      '--out',
      join(dir, 'tiles'),
      '--rate',
      `${RATE}/s`,
      '-c',
      '48',
      '--id',
      id,
      '-H',
      `x-demo-client: ${id}`,
      '--resolve',
      `tiles.test=${t.origin.ips.join(',')}`,
      '--ca',
      join(dir, 'ca.pem'),
      '--lock-ms',
      '4000',
      '--exit-when-idle',
      '4000',
    ]
    const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr!.resume()
    child.once('exit', () => ((child as ChildProcess & { out?: string }).out = out))
    workers.set(id, child)
    return child
  }
  const exited = (c: ChildProcess): Promise<void> =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()))
  const served = (): number => t.requests.filter((q) => q.status === 200).length

  it(`3 workers fetch ${TILES} tiles at a shared ${RATE} req/s through a SIGKILL and a Redis restart`, async () => {
    const side = 256
    const list = Array.from({ length: TILES }, (_, i) => ({ z: 8, x: i % side, y: Math.floor(i / side) % side }))
    const enq = await enqueueTiles({
      redis: `redis://127.0.0.1:${port}`,
      template: t.template,
      tiles: listSource(list),
      batch: 8,
    })
    expect(enq.tiles).toBe(TILES)
    const w1 = startWorker('w1')
    startWorker('w2')
    const w3 = startWorker('w3')
    const deadline = performance.now() + Math.max(240_000, (TILES / RATE) * 3000)
    const waitServed = async (n: number): Promise<void> => {
      while (served() < n && performance.now() < deadline) await sleep(50)
    }

    await waitServed(TILES * 0.3)
    const killedAt = performance.now()
    w3.kill('SIGKILL')
    await exited(w3)
    const w4 = startWorker('w4')
    await waitServed(TILES * 0.6)
    const outageAt = performance.now()
    await stopRedis()
    await sleep(1500)
    await startRedis()
    const backAt = performance.now()
    await Promise.all([w1, workers.get('w2')!, w4].map(exited))
    expect(performance.now()).toBeLessThan(deadline)

    // Every tile stored exactly once, byte-exact.
    let files = 0
    for (const x of await readdir(join(dir, 'tiles', '8')))
      files += (await readdir(join(dir, 'tiles', '8', x))).filter((f) => f.endsWith('.png')).length
    expect(files).toBe(TILES)
    for (const tile of list.filter((_, i) => i % 97 === 0)) {
      const body = await readFile(join(dir, 'tiles', '8', String(tile.x), `${tile.y}.png`))
      expect(body.equals(tileBody(8, tile.x, tile.y))).toBe(true)
    }

    // Refetches: tiles served twice were in flight when w3 died or when Redis went away.
    const counts = new Map<string, number>()
    for (const q of t.requests) if (q.status === 200) counts.set(q.path, (counts.get(q.path) ?? 0) + 1)
    const twice = [...counts.values()].filter((n) => n > 1).length
    expect(counts.size).toBe(TILES)
    const results = [w1, workers.get('w2')!, w4].map(
      (w) =>
        JSON.parse((w as ChildProcess & { out?: string }).out!.trim().split('\n').at(-1)!) as Record<string, number>,
    )

    // The shared budget, measured at the origin in 1 s windows away from the kill and the outage.
    const times = t.requests.map((q) => q.atMs).sort((a, b) => a - b)
    const start = times[0]!
    const end = times.at(-1)!
    const windows: { at: number; n: number }[] = []
    for (let at = start + 2000; at + 1000 <= end - 2000; at += 1000) {
      const disturbed =
        (at + 1000 > killedAt - 500 && at < killedAt + 6000) || (at + 1000 > outageAt - 500 && at < backAt + 8000)
      if (!disturbed) windows.push({ at, n: times.filter((x) => x >= at && x < at + 1000).length })
    }
    const ns = windows.map((w) => w.n)

    // The 403 IP: after worker 1's third 403, workers 2-4 send it nothing 1 s later.
    const to5 = t.requests.filter((q) => q.ip === '127.0.0.5')
    const w1Forbidden = to5.filter((q) => q.client === 'w1' && q.status === 403)
    const blacklistedAt = w1Forbidden[2]?.atMs ?? Infinity
    const othersLate = to5.filter((q) => q.client !== 'w1' && q.atMs > blacklistedAt + 1000).length
    const othersBefore = to5.filter((q) => q.client !== 'w1' && q.atMs <= blacklistedAt).length
    console.log(
      `fleet: ${TILES} tiles, ${t.requests.length} requests in ${((end - start) / 1000).toFixed(1)} s; served twice: ${twice}; ` +
        `workers: ${JSON.stringify(results)}; 1 s windows (${windows.length}): min ${Math.min(...ns)} max ${Math.max(...ns)} mean ${(ns.reduce((a, b) => a + b, 0) / ns.length).toFixed(1)}; ` +
        `403 IP: w1 got ${w1Forbidden.length} 403s, others sent it ${othersBefore} before and ${othersLate} later than 1 s after`,
    )
    expect(twice).toBeLessThanOrEqual(48 + 3 * 48)
    expect(results.reduce((n, r) => n + r['failed']!, 0)).toBe(0)
    expect(windows.length).toBeGreaterThan(0)
    for (const n of ns) {
      expect(n).toBeGreaterThanOrEqual(RATE * 0.9)
      expect(n).toBeLessThanOrEqual(RATE * 1.1)
    }
    expect(w1Forbidden.length).toBeGreaterThanOrEqual(3)
    expect(othersLate).toBe(0)
  }, 600_000)
})
