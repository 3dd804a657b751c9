/**
 * The fleet's shared request budget: GCRA (see ../rate.ts) run in Redis by one Lua script, on the
 * Redis server's clock, so every worker on every machine draws its slots from one schedule per
 * host. One round trip per slot; the wait happens in the worker (a slot missed by more than
 * LATE_MS is given up, see waitForSlot).
 */
import type { Redis } from 'ioredis'
import { waitForSlot, type RequestBudget } from '../rate.js'
import { fleetKeys } from './redis.js'

// KEYS[1] = the host's theoretical arrival time (ms); ARGV[1] = interval (ms).
// Returns the wait (ms, as a string: Lua numbers become integers on the way out) before the slot.
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(tat, now)
redis.call('SET', KEYS[1], string.format('%.3f', slot + interval), 'PX', math.ceil(slot + interval - now) + 60000)
return string.format('%.3f', slot - now)
`

export class RedisBudget implements RequestBudget {
  readonly #redis: Redis
  readonly #intervalMs: number
  readonly #keys: ReturnType<typeof fleetKeys>

  /** @param perSecond requests per second to each host, for the whole fleet */
  constructor(redis: Redis, queue: string, perSecond: number) {
    if (!Number.isFinite(perSecond) || perSecond <= 0)
      throw new RangeError(`perSecond must be positive, got ${perSecond}`)
    this.#redis = redis
    this.#intervalMs = 1000 / perSecond
    this.#keys = fleetKeys(queue)
  }

  take(host: string, signal?: AbortSignal): Promise<void> {
    const key = this.#keys.budget(host)
    const interval = String(this.#intervalMs)
    return waitForSlot(async () => Number(await this.#redis.eval(RESERVE, 1, key, interval)), signal)
  }

  async close(): Promise<void> {}
}
