/** The demo origin in a child process (origin-child.ts), with its requests brought back to this process. */
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import type { IpBehaviour, OriginRequestEvent } from '../../src/demo/index.js'
import { PROJECT_ROOT } from '../helpers/node24.js'
import { pinned } from '../tiles/helpers.js'
import type { HotConnPoolOptions } from '../../src/pool/index.js'

export interface OriginProcess {
  /** https://tiles.test:port/tiles/{z}/{x}/{y}.png */
  template: string
  caPem: string
  ips: readonly string[]
  /** Requests answered 200 so far (updated every 50 ms). */
  answered(): number
  /** Every request answered, `atMs` on this process's performance.now() clock. */
  requests(): Promise<OriginRequestEvent[]>
  /** CPU time (ms) of the origin's process when `requests()` last answered. */
  cpuMs(): number
  /** Draws these tiles ahead (DemoOrigin.prerenderTiles): serving them then costs the origin no drawing. */
  prerender(tiles: readonly { z: number; x: number; y: number }[]): Promise<void>
  /** Pool options trusting the origin's CA and resolving tiles.test to its IPs. */
  pool(extra?: HotConnPoolOptions): HotConnPoolOptions
  close(): Promise<void>
}

export async function startOriginProcess(o: {
  ips: string[]
  behaviours?: Record<string, IpBehaviour>
}): Promise<OriginProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(PROJECT_ROOT, 'test/interop/origin-child.ts'), JSON.stringify(o)],
    { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  )
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  let answered = 0
  let waiting: ((list: OriginRequestEvent[]) => void) | undefined
  let rendered: (() => void) | undefined
  let offset = 0
  let cpuMs = 0
  const ready = new Promise<{ template: string; caPem: string; ips: string[] }>((res, rej) => {
    child.once('exit', (code) => rej(new Error(`the origin process exited with ${code} before it was ready`)))
    child.on('message', (m: { type: string } & Record<string, unknown>) => {
      if (m.type === 'ready') {
        offset = (m['timeOrigin'] as number) - performance.timeOrigin
        res(m as unknown as { template: string; caPem: string; ips: string[] })
      } else if (m.type === 'served') answered = m['n'] as number
      else if (m.type === 'requests') cpuMs = m['cpuMs'] as number
      else if (m.type === 'prerendered') rendered?.()
      if (m.type === 'requests')
        waiting?.((m['list'] as OriginRequestEvent[]).map((e) => ({ ...e, atMs: e.atMs + offset })))
    })
  })
  const r = await ready
  return {
    template: r.template,
    caPem: r.caPem,
    ips: r.ips,
    answered: () => answered,
    cpuMs: () => cpuMs,
    requests: () =>
      new Promise((res) => {
        waiting = res
        child.send({ type: 'requests' })
      }),
    prerender: (tiles) =>
      new Promise((res) => {
        rendered = res
        child.send({ type: 'prerender', tiles: tiles.flatMap((t) => [t.z, t.x, t.y]) })
      }),
    pool: (extra = {}) => ({ ca: r.caPem, resolver: pinned(r.ips), ...extra }),
    close: async () => {
      if (child.exitCode === null && child.connected) child.send({ type: 'close' })
      const t = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(t)
    },
  }
}
