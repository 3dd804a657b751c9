/**
 * Debian's redis-server for the fleet tests, started on a random loopback port with its own config
 * file in a temporary directory (AOF on: a stop with SIGTERM and a start keep every key).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { freePort, which } from './helpers.js'

/** The redis-server binary, or undefined (the fleet tests then skip, saying so). */
export const REDIS_SERVER = which('redis-server')
if (REDIS_SERVER === undefined)
  console.warn('skipping the fleet tests: redis-server is not installed (apt-get install redis-server)')

export interface RedisServer {
  port: number
  url: string
  /** Starts the server again (same port, same data) after stop(). */
  start(): Promise<void>
  /** SIGTERM (a clean shutdown: the AOF is complete), resolves when the process has exited. */
  stop(): Promise<void>
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Starts redis-server with its data in `dir`; resolves once it answers PING. */
export async function startRedisServer(dir: string): Promise<RedisServer> {
  const port = await freePort()
  const conf = join(dir, 'redis.conf')
  await writeFile(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      'appendonly yes',
      'appendfsync everysec',
      'save ""',
      'protected-mode yes',
      'daemonize no',
      'loglevel warning',
      'maxmemory 512mb',
      'maxmemory-policy noeviction',
    ].join('\n') + '\n',
  )
  let child: ChildProcess | undefined
  const start = async (): Promise<void> => {
    const c = spawn(REDIS_SERVER!, [conf], { stdio: 'ignore' })
    child = c
    for (let i = 0; i < 300; i++) {
      if (c.exitCode !== null) throw new Error(`redis-server exited with ${c.exitCode}`)
      // A probe per attempt: a client whose connect failed keeps reconnecting on its own.
      const probe = new Redis({
        port,
        host: '127.0.0.1',
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      })
      probe.on('error', () => {})
      try {
        await probe.connect()
        if ((await probe.ping()) === 'PONG') return
      } catch {
        await sleep(100)
      } finally {
        probe.disconnect()
      }
    }
    c.kill('SIGKILL')
    throw new Error('redis-server did not answer within 30 s')
  }
  const stop = async (): Promise<void> => {
    const c = child
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return
    await new Promise((res) => {
      c.once('exit', res)
      c.kill('SIGTERM')
    })
  }
  await start()
  return { port, url: `redis://127.0.0.1:${port}`, start, stop }
}
