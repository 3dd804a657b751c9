/**
 * `enqueueTiles()`: puts a tile set on the fleet's BullMQ queue, in jobs of `batch` tiles (a job
 * id per batch, so enqueueing the same set twice while it waits adds nothing). Workers fetch them
 * (runTileWorker); a job whose worker died is retried by another (BullMQ stalled jobs).
 */
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
  if (!Number.isInteger(batch) || batch < 1 || batch > 10_000)
    throw new InvalidArgumentError(`batch must be an integer from 1 to 10000, got ${batch}`)
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
