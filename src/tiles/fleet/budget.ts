/**
 * The fleet's shared request budget: GCRA (see ../rate.ts) run in Redis by one Lua script, on the
 * Redis server's clock, so every worker on every machine draws its slots from one schedule per
 * host. The wait happens in the worker (a slot missed by more than LATE_MS is given up, see
 * waitForSlot).
 *
 * A worker's requests wait in a queue of its own; one reservation takes a run of consecutive
 * slots of the schedule for the requests at the head of the queue (one round trip for up to
 * MAX_HELD / 2 requests). A worker holds at most MAX_HELD slots ahead of now: the others wait for
 * its held slots to come due before it reserves more. So the schedule is one evenly spaced
 * sequence (the host sees the same rate), every slot reserved has a request waiting for it, and a
 * worker that stops running (descheduled, killed) strands at most MAX_HELD slots: the next slots
 * go to the workers that ask for them.
 */
import type { Redis } from 'ioredis'
import { waitForSlot, type RequestBudget } from '../rate.js'
import { fleetKeys } from './redis.js'

/** Slots a worker holds ahead of now at most, for each host. */
export const MAX_HELD = 16

// KEYS[1] = the host's theoretical arrival time (ms); ARGV[1] = interval (ms), ARGV[2] = slots.
// Returns the wait (ms, as a string: Lua numbers become integers on the way out) before the first.
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(tat, now)
local next = slot + tonumber(ARGV[2]) * interval
redis.call('SET', KEYS[1], string.format('%.3f', next), 'PX', math.ceil(next - now) + 60000)
return string.format('%.3f', slot - now)
`

interface ReserveCommand {
  hotconnReserve(key: string, interval: string, slots: string): Promise<string>
}

interface Waiter {
  resolve(waitMs: number): void
  reject(err: unknown): void
}

interface HostQueue {
  waiting: Waiter[]
  /** Times (performance.now() ms) of the slots handed out, earliest first; those past are dropped. */
  held: number[]
  reserving: boolean
}

export class RedisBudget implements RequestBudget {
  readonly #redis: Redis & ReserveCommand
  readonly #intervalMs: number
  readonly #keys: ReturnType<typeof fleetKeys>
  readonly #hosts = new Map<string, HostQueue>()
  /** Reservations sent (round trips to Redis). */
  reservations = 0

  /** @param perSecond requests per second to each host, for the whole fleet */
  constructor(redis: Redis, queue: string, perSecond: number) {
    if (!Number.isFinite(perSecond) || perSecond <= 0)
      throw new RangeError(`perSecond must be positive, got ${perSecond}`)
    const r = redis as Redis & Partial<ReserveCommand>
    if (r.hotconnReserve === undefined) redis.defineCommand('hotconnReserve', { numberOfKeys: 1, lua: RESERVE })
    this.#redis = redis as Redis & ReserveCommand
    this.#intervalMs = 1000 / perSecond
    this.#keys = fleetKeys(queue)
  }

  async take(host: string, signal?: AbortSignal): Promise<void> {
    let h = this.#hosts.get(host)
    if (h === undefined) this.#hosts.set(host, (h = { waiting: [], held: [], reserving: false }))
    const q = h
    try {
      await waitForSlot(
        () =>
          new Promise<number>((resolve, reject) => {
            q.waiting.push({ resolve, reject })
            this.#pump(host, q)
          }),
        signal,
      )
    } finally {
      // This request's slot came due (or was given up): the worker may hold another.
      this.#pump(host, q)
    }
  }

  async close(): Promise<void> {}

  /** Reserves a run of slots for the waiting requests, unless one is on its way or enough are held. */
  #pump(host: string, h: HostQueue): void {
    const now = performance.now()
    while (h.held.length > 0 && h.held[0]! <= now) h.held.shift()
    if (h.reserving || h.waiting.length === 0 || h.held.length > MAX_HELD / 2) return
    const run = h.waiting.splice(0, MAX_HELD - h.held.length)
    h.reserving = true
    this.reservations++
    this.#redis
      .hotconnReserve(this.#keys.budget(host), String(this.#intervalMs), String(run.length))
      .then(
        (wait) => {
          // On this process's clock, counted from the answer (the script ran before: no slot is taken early).
          const first = performance.now() + Number(wait)
          run.forEach((w, i) => {
            const slot = first + i * this.#intervalMs
            h.held.push(slot)
            w.resolve(slot - performance.now())
          })
        },
        (err: unknown) => {
          for (const w of run) w.reject(err)
        },
      )
      .finally(() => {
        h.reserving = false
        this.#pump(host, h)
      })
  }
}
