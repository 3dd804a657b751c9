/**
 * `enqueueTiles()`: puts a tile set on the fleet's BullMQ queue, in jobs of `batch` tiles (a job
 * id per batch, so enqueueing the same set twice while it waits adds nothing). Workers fetch them
 * (runTileWorker); a job whose worker died is retried by another (BullMQ stalled jobs).
 */
import { MAX_ZOOM } from '../coords.js'
import { FleetError } from '../errors.js'
import type { TileSource } from '../source.js'
import { parseTemplate } from '../template.js'
import { InvalidArgumentError } from '../../errors.js'
import { connectRedis, DEFAULT_QUEUE } from './redis.js'

export interface TileJobData {
  template: string
  subdomains: readonly string[]
  /** z, x, y triples. */
  tiles: number[]
}

/** Tiles per job at most. */
export const MAX_BATCH = 10_000

/**
 * Checks the data of a job taken from the queue (anyone who can write to Redis can put a job
 * there): a template string, subdomain strings, 1 to MAX_BATCH z/x/y triples of valid tiles.
 * @throws FleetError naming what is wrong
 */
export function checkJobData(data: unknown): TileJobData {
  const fail = (what: string): never => {
    throw new FleetError(`a queue job is not a hotconn tile job (${what}); fill the queue with 'hotconn tiles enqueue'`)
  }
  if (typeof data !== 'object' || data === null) return fail('no data')
  const d = data as Record<string, unknown>
  if (typeof d['template'] !== 'string' || d['template'].length > 4096)
    fail('template: not a string of 4096 chars at most')
  const subdomains = d['subdomains']
  if (!Array.isArray(subdomains) || subdomains.length > 64 || !subdomains.every((s) => typeof s === 'string'))
    fail('subdomains: not a list of strings')
  const t = d['tiles']
  if (!Array.isArray(t) || t.length === 0 || t.length % 3 !== 0 || t.length > 3 * MAX_BATCH)
    return fail(`tiles: not a list of 1 to ${MAX_BATCH} z, x, y triples`)
  for (let i = 0; i < t.length; i += 3) {
    const [z, x, y] = [t[i], t[i + 1], t[i + 2]]
    const ok =
      Number.isInteger(z) &&
      (z as number) >= 0 &&
      (z as number) <= MAX_ZOOM &&
      [x, y].every((v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** (z as number))
    if (!ok) fail(`tile ${i / 3}: ${JSON.stringify([z, x, y])} is not a tile`)
  }
  return data as TileJobData
}

export interface EnqueueOptions {
  redis: string
  queue?: string
  template: string
  subdomains?: readonly string[]
  tiles: TileSource
  /** Tiles per job. Default 16. */
  batch?: number
  /** Attempts per job (each attempt skips the tiles already stored). Default 5. */
  attempts?: number
}

/** @returns the jobs and tiles added */
export async function enqueueTiles(o: EnqueueOptions): Promise<{ jobs: number; tiles: number }> {
  const template = parseTemplate(o.template, o.subdomains)
  const batch = o.batch ?? 16
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH)
    throw new InvalidArgumentError(`batch must be an integer from 1 to ${MAX_BATCH}, got ${batch}`)
  const { Queue } = await import('bullmq')
  const connection = await connectRedis(o.redis, 'hotconn-enqueue')
  const queue = new Queue<TileJobData>(o.queue ?? DEFAULT_QUEUE, { connection })
  let jobs = 0
  let tiles = 0
  let pending: { name: string; data: TileJobData; opts: object }[] = []
  const flush = async (): Promise<void> => {
    if (pending.length > 0) await queue.addBulk(pending)
    pending = []
  }
  try {
    let chunk: number[] = []
    const push = (): void => {
      const id = `${template.text}|${chunk[0]}/${chunk[1]}/${chunk[2]}|${chunk.length / 3}`
      pending.push({
        name: 'tiles',
        data: { template: template.text, subdomains: template.subdomains, tiles: chunk },
        opts: {
          jobId: Buffer.from(id).toString('base64url'),
          attempts: o.attempts ?? 5,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: true,
          removeOnFail: false,
        },
      })
      jobs++
      tiles += chunk.length / 3
      chunk = []
    }
    for (const t of o.tiles.tiles()) {
      chunk.push(t.z, t.x, t.y)
      if (chunk.length === batch * 3) push()
      if (pending.length >= 500) await flush()
    }
    if (chunk.length > 0) push()
    await flush()
    return { jobs, tiles }
  } finally {
    await queue.close()
    connection.disconnect()
  }
}
