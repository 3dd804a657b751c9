/**
 * Debian's redis-server for the fleet tests, started on a random loopback port with its own config
 * file in a temporary directory (AOF on: a stop with SIGTERM and a start keep every key).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
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
  /** CPU time (user + system, ms) of the server's processes so far (Linux /proc; 0 elsewhere). */
  cpuMs(): number
}

/** CPU time (ms) of a process from /proc/<pid>/stat (utime + stime, in clock ticks of 10 ms), 0 if unreadable. */
function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return 0
  }
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
  /** CPU of the servers stopped so far. */
  let stoppedCpuMs = 0
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
    stoppedCpuMs += processCpuMs(c.pid) // its shutdown (the AOF's last write) not counted
    await new Promise((res) => {
      c.once('exit', res)
      c.kill('SIGTERM')
    })
  }
  const cpuMs = (): number => stoppedCpuMs + (child?.exitCode === null ? processCpuMs(child.pid) : 0)
  await start()
  return { port, url: `redis://127.0.0.1:${port}`, start, stop, cpuMs }
}
