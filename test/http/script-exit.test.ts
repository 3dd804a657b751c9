/**
 * A user script that ends with `await pool.close()` exits on its own: the README's flow (create,
 * warm-up, three fetches, close) in a child process, over HTTP/1.1 and over HTTP/2, must exit with
 * code 0 within 10 s with nothing else holding the event loop.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemoOrigin, type DemoOrigin } from '../../src/demo/index.js'
import { loopbackIps } from '../pool/helpers/fixtures.js'

const SCRIPT = fileURLToPath(new URL('../fixtures/scripts/readme-flow.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function runScript(
  origin: DemoOrigin,
  end: 'close' | 'destroy',
): Promise<{ code: number | string | null; ms: number; sinceFetches: number; out: string; err: string }> {
  const env = {
    ...process.env,
    HOTCONN_TEST_ORIGIN: JSON.stringify({
      url: origin.url('/'),
      ca: origin.caPem,
      dns: `127.0.0.1:${origin.dns?.port}`,
    }),
    HOTCONN_TEST_END: end,
  }
  const started = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    env,
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  // When the third response line arrives the script calls close() or destroy(): the exit is timed
  // from there, so that the child's start-up (tsx compiling the script) does not count.
  let fetchesDone = Number.NaN
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
    if (Number.isNaN(fetchesDone) && out.split('\n').length > 3) fetchesDone = performance.now()
  })
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  // A script that never exits is killed after 20 s (and fails the 10 s bound below).
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(killer)
      const now = performance.now()
      resolve({ code: code ?? signal, ms: now - started, sinceFetches: now - fetchesDone, out, err })
    })
  })
}

describe.each([
  ['HTTP/1.1', false],
  ['HTTP/2', true],
])('the README flow over %s', (_name, http2) => {
  let origin: DemoOrigin
  beforeAll(async () => {
    origin = await startDemoOrigin({ ips: loopbackIps(2), http2, dns: { ttl: 60 } })
  })
  afterAll(async () => {
    await origin.close()
  })

  it.each(['close', 'destroy'] as const)(
    'exits on its own with code 0 within 10 s after await pool.%s()',
    async (end) => {
      const r = await runScript(origin, end)
      expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' })
      const lines = r.out.trim().split('\n')
      expect(lines.slice(0, 3).map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
        '200 2048',
        '200 2048',
        '200 2048',
      ])
      expect(lines[3]).toBe('closed')
      expect(r.sinceFetches).toBeLessThan(10_000)
    },
    30_000,
  )
})
