/**
 * The fleet's shared budget alone (RedisBudget: GCRA in one Lua script on the Redis server's
 * clock), on a real redis-server: several clients, each with its own connection and many
 * requests waiting, draw 300 slots a second from one host's budget. The grants must hold the rate
 * over every 1 s window, whatever its start (a fixed-window counter lets up to twice the rate
 * through a window that straddles two of its windows), and come out evenly spaced (no 100 ms
 * window holds more than its share plus a few), while each client reserves its slots in runs (a
 * round trip for several requests).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisBudget } from '../../src/tiles/fleet/budget.js'
import { REDIS_SERVER, startRedisServer, type RedisServer } from './redis-server.js'

const RATE = 300
const CLIENTS = 4
const WAITING = 24
const SECONDS = 5

describe.skipIf(REDIS_SERVER === undefined)('the fleet budget on redis-server', () => {
  let dir: string
  let server: RedisServer
  const clients: Redis[] = []
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hotconn-budget-'))
    server = await startRedisServer(dir)
  })
  afterAll(async () => {
    for (const c of clients) c.disconnect()
    await server?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it(`${CLIENTS} clients share ${RATE} req/s: every 1 s window holds ${RATE} ± 10 %`, async () => {
    const grants: number[] = []
    const until = performance.now() + SECONDS * 1000
    const run = async (budget: RedisBudget): Promise<void> => {
      while (performance.now() < until) {
        await budget.take('tiles.test:443')
        grants.push(performance.now())
      }
    }
    const loops: Promise<void>[] = []
    const budgets: RedisBudget[] = []
    for (let c = 0; c < CLIENTS; c++) {
      const redis = new Redis(server.url)
      clients.push(redis)
      const budget = new RedisBudget(redis, 'budget-test', RATE)
      budgets.push(budget)
      for (let i = 0; i < WAITING; i++) loops.push(run(budget))
    }
    await Promise.all(loops)
    grants.sort((a, b) => a - b)
    // Sliding 1 s windows, one starting at each grant of the steady part (the first and last 0.5 s left out).
    const first = grants[0]! + 500
    const last = grants.at(-1)! - 500
    const counts: number[] = []
    let j = 0
    for (let i = 0; i < grants.length && grants[i]! + 1000 <= last; i++) {
      if (grants[i]! < first) continue
      while (j < grants.length && grants[j]! < grants[i]! + 1000) j++
      counts.push(j - i)
    }
    // 100 ms windows, fixed, over the same part.
    const tenths: number[] = []
    for (let s = first; s + 100 <= last; s += 100) tenths.push(grants.filter((g) => g >= s && g < s + 100).length)
    const reservations = budgets.reduce((n, b) => n + b.reservations, 0)
    const min = Math.min(...counts)
    const max = Math.max(...counts)
    console.log(
      `fleet budget: ${grants.length} grants in ${((grants.at(-1)! - grants[0]!) / 1000).toFixed(2)} s to ${CLIENTS} clients ` +
        `in ${reservations} reservations; ` +
        `${counts.length} sliding 1 s windows: min ${min} max ${max}; 100 ms windows: min ${Math.min(...tenths)} max ${Math.max(...tenths)}`,
    )
    expect(counts.length).toBeGreaterThan(RATE * (SECONDS - 2))
    expect(min).toBeGreaterThanOrEqual(RATE * 0.9)
    expect(max).toBeLessThanOrEqual(RATE * 1.1)
    expect(Math.max(...tenths)).toBeLessThanOrEqual(RATE / 10 + 10)
    // Slots granted in runs (up to MAX_RUN a reservation): far fewer reservations than grants.
    expect(reservations).toBeLessThan(grants.length / 4)
  }, 60_000)
})
