/**
 * The fleet's shared counters, exact through worker deaths, Redis restarts and ioredis' replay of
 * unanswered commands after a reconnect. Counting is per queue job, idempotent at every step:
 *  - a request is marked in the job's hash before it is sent (field q<tile> = the delivery, one
 *    worker's run of the job; not awaited: the command is written to the socket first), so a tile
 *    that was in flight in a killed worker counts as refetched (x<tile>) when a later delivery
 *    requests it again;
 *  - at the end of an attempt its outcomes are set (t<tile>), never over an 's' (stored). A tile
 *    this delivery found stored ('k', skipped) or lost the race for ('e', exists) that an earlier
 *    delivery of the job requested was stored by that delivery (a worker killed between its store
 *    and the end of its job, or one that lost its lock and ran on): it counts as 's';
 *  - when the job ends (succeeded, or its last attempt failed) one script adds the hash's values
 *    to the fleet's totals and deletes it, guarded by a marker key set with NX: a replayed or a
 *    second completion adds nothing.
 * HSET of the same value and the guarded script are idempotent, so a replayed command changes
 * nothing, unlike HINCRBY. Totals: stored, exists (another job stored the tile first), skipped
 * (stored before the job ran), failed, retries, refetched (tiles requested again by a later
 * delivery of their job: its worker died or lost its lock, or its previous attempt failed). The
 * scripts run by EVALSHA (ioredis sends the script again after a Redis restart flushed it). Redis
 * commands per tile: the request mark; per attempt of a job: one, and one when it ends.
 */
import type { Redis } from 'ioredis'
import type { TileCoord } from '../coords.js'
import type { TileOutcome } from '../fetch-tile.js'
import { fleetKeys } from './redis.js'

/** The fleet's totals (the Redis hash `hotconn:<queue>:stats`). */
export interface FleetTotals {
  stored: number
  exists: number
  skipped: number
  failed: number
  retries: number
  refetched: number
  /** Jobs whose counts were added. */
  jobs: number
}

const CODES: Record<TileOutcome['result'], string> = { stored: 's', exists: 'e', skipped: 'k', failed: 'f' }

// KEYS[1] job hash; ARGV[1] the delivery; then pairs field (t<tile> or r<attempt>:<tile>), value.
// Sets each field unless it holds 's'; a 'k' or 'e' becomes 's' when an earlier delivery requested the tile.
const RECORD = `
for i = 2, #ARGV, 2 do
  local f, v = ARGV[i], ARGV[i + 1]
  if redis.call('HGET', KEYS[1], f) ~= 's' then
    if v == 'k' or v == 'e' then
      local tile = string.sub(f, 2)
      local q = redis.call('HGET', KEYS[1], 'q' .. tile)
      if (q and q ~= ARGV[1]) or redis.call('HEXISTS', KEYS[1], 'x' .. tile) == 1 then v = 's' end
    end
    redis.call('HSET', KEYS[1], f, v)
  end
end
redis.call('PEXPIRE', KEYS[1], 86400000)
return 1
`

// KEYS[1] job hash, KEYS[2] done marker, KEYS[3] totals. Adds the job's counts once.
const FINISH = `
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', 86400000) then return 0 end
local names = { s = 'stored', e = 'exists', k = 'skipped', f = 'failed' }
local all = redis.call('HGETALL', KEYS[1])
local add = { stored = 0, exists = 0, skipped = 0, failed = 0, retries = 0, refetched = 0 }
for i = 1, #all, 2 do
  local f, v = all[i], all[i + 1]
  local kind = string.sub(f, 1, 1)
  if kind == 't' then add[names[v]] = add[names[v]] + 1
  elseif kind == 'r' then add.retries = add.retries + tonumber(v)
  elseif kind == 'x' then add.refetched = add.refetched + 1 end
end
for name, n in pairs(add) do if n > 0 then redis.call('HINCRBY', KEYS[3], name, n) end end
redis.call('HINCRBY', KEYS[3], 'jobs', 1)
redis.call('DEL', KEYS[1])
return 1
`

// KEYS[1] job hash; ARGV[1] tile, ARGV[2] delivery. A request marked by another delivery makes the tile refetched.
const REQUESTED = `
local seen = redis.call('HGET', KEYS[1], 'q' .. ARGV[1])
if seen and seen ~= ARGV[2] then redis.call('HSET', KEYS[1], 'x' .. ARGV[1], '1') end
redis.call('HSET', KEYS[1], 'q' .. ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], 86400000)
return 1
`

const tileField = (t: TileCoord): string => `${t.z}/${t.x}/${t.y}`

/** The scripts, as ioredis commands (EVALSHA). */
interface CounterCommands {
  hotconnRecord(key: string, delivery: string, ...fields: string[]): Promise<number>
  hotconnFinish(job: string, done: string, stats: string): Promise<number>
  hotconnRequested(key: string, tile: string, delivery: string): Promise<number>
}

export class FleetCounters {
  readonly #redis: Redis & CounterCommands
  readonly #keys: ReturnType<typeof fleetKeys>

  constructor(redis: Redis, queue: string) {
    const r = redis as Redis & Partial<CounterCommands>
    if (r.hotconnRecord === undefined) {
      redis.defineCommand('hotconnRecord', { numberOfKeys: 1, lua: RECORD })
      redis.defineCommand('hotconnFinish', { numberOfKeys: 3, lua: FINISH })
      redis.defineCommand('hotconnRequested', { numberOfKeys: 1, lua: REQUESTED })
    }
    this.#redis = redis as Redis & CounterCommands
    this.#keys = fleetKeys(queue)
  }

  /** Marks a request for `tile` by `delivery` (one worker's run of the job) of `job`; not awaited. */
  requested(job: string, delivery: string, tile: TileCoord): void {
    this.#redis.hotconnRequested(this.#keys.jobTiles(job), tileField(tile), delivery).catch(() => {})
  }

  /**
   * Records the outcomes of attempt `attempt` (1, 2, …) of `job` by `delivery`; with `final`, adds the job to the totals.
   * @param job the job's id and creation time (a re-enqueued job id is another job)
   */
  async record(
    job: string,
    delivery: string,
    attempt: number,
    outcomes: readonly TileOutcome[],
    final: boolean,
  ): Promise<void> {
    const key = this.#keys.jobTiles(job)
    const args: string[] = []
    for (const o of outcomes) {
      const f = tileField(o.tile)
      args.push(`t${f}`, CODES[o.result])
      if (o.attempts > 1) args.push(`r${attempt}:${f}`, String(o.attempts - 1))
    }
    if (args.length > 0) await this.#redis.hotconnRecord(key, delivery, ...args)
    if (final) await this.#redis.hotconnFinish(key, this.#keys.jobDone(job), this.#keys.stats)
  }

  /** The fleet's totals so far. */
  async totals(): Promise<FleetTotals> {
    const h = await this.#redis.hgetall(this.#keys.stats)
    const n = (k: string): number => Number(h[k] ?? 0)
    return {
      stored: n('stored'),
      exists: n('exists'),
      skipped: n('skipped'),
      failed: n('failed'),
      retries: n('retries'),
      refetched: n('refetched'),
      jobs: n('jobs'),
    }
  }
}
