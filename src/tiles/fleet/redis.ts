/**
 * Redis connections of fleet mode (ioredis, loaded only when fleet mode runs) and the key names
 * one fleet uses, all under `hotconn:<queue>:`. Connections retry for ever with a capped backoff:
 * while Redis is away, commands wait in ioredis' offline queue, so workers pause and resume.
 */
import type { Redis, RedisOptions } from 'ioredis'
import { InvalidArgumentError } from '../../errors.js'

/** Default BullMQ queue (and key namespace) of a fleet. */
export const DEFAULT_QUEUE = 'hotconn-tiles'

/** Keys and channels of one fleet. */
export function fleetKeys(queue: string): {
  budget(host: string): string
  ip(host: string, ip: string): string
  ipPattern: string
  ipChannel: string
  stats: string
  jobTiles(job: string): string
  jobDone(job: string): string
} {
  const base = `hotconn:${queue}`
  return {
    budget: (host) => `${base}:budget:${host}`,
    ip: (host, ip) => `${base}:ip:${host} ${ip}`,
    ipPattern: `${base}:ip:*`,
    ipChannel: `${base}:ip-events`,
    stats: `${base}:stats`,
    jobTiles: (job) => `${base}:job:${job}`,
    jobDone: (job) => `${base}:done:${job}`,
  }
}

/** Checks a redis:// or rediss:// URL. @throws InvalidArgumentError */
export function checkRedisUrl(url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new InvalidArgumentError(
      `--redis must be a redis:// URL (e.g. redis://127.0.0.1:6379), got ${JSON.stringify(url)}`,
    )
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new InvalidArgumentError(`--redis must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}`)
  return url
}

/** A connection for BullMQ and fleet state: retries for ever (at most 1 s apart), no per-command retry limit. */
export async function connectRedis(url: string, name: string): Promise<Redis> {
  const { Redis: Client } = await import('ioredis')
  const options: RedisOptions = {
    connectionName: name,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(50 * times, 1000),
  }
  const redis = new Client(checkRedisUrl(url), options)
  redis.on('error', () => {}) // reconnects are ioredis' job; commands wait in the offline queue
  return redis
}
