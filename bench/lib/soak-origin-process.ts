/**
 * The soak's faulty origin in a child process (bench/soak-origin.ts): a crash then names its side,
 * and the soak counts the origin's deaths (code or signal, when) for its report.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { FaultyOrigin } from '../../test/helpers/faulty-h2-origin.js'

export interface OriginExit {
  /** performance.now() when it ended. */
  at: number
  code: number | null
  signal: NodeJS.Signals | null
}

export interface OriginProcess extends FaultyOrigin {
  /** The deaths of the origin process before close(). */
  readonly exits: readonly OriginExit[]
}

export async function originProcess(): Promise<OriginProcess> {
  const script = new URL('../soak-origin.ts', import.meta.url).pathname
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] })
  const exits: OriginExit[] = []
  let closing = false
  child.once('exit', (code, signal) => {
    if (closing && code === 0) return
    exits.push({ at: performance.now(), code, signal })
    console.error(`soak origin process exited: code ${code}, signal ${signal}`)
  })
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve)
    child.once('exit', () => reject(new Error('the origin process ended before it listened')))
  })
  const o = JSON.parse(line) as { hostname: string; caPem: string; h2Port: number; h1Port: number; ip: string }
  return {
    ...o,
    url: (h2, path) => `https://${o.hostname}:${h2 ? o.h2Port : o.h1Port}${path}`,
    hits: new Map(),
    exits,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return // it ended (or crashed) already
      closing = true
      child.stdin!.end()
      await new Promise((r) => child.once('exit', r))
    },
  }
}
