import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseStartArgs } from '../../examples/tile-fetch.js'

function runScript(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/tile-fetch.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => child.kill(), 90_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('examples/tile-fetch.ts (npm start)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hotconn-example-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('fetches a bbox and zoom range into --out, checks every tile, exits 0 on its own; a rerun fetches nothing', async () => {
    const out = join(dir, 'tiles')
    const r = await runScript(['--out', out, '--bbox=-30,20,60,70', '--zoom', '0-5'])
    expect(r.stderr).toMatch(/ (\d+)\/\1 tiles 100% \|/)
    expect(r.stdout).toMatch(/^(\d+)\/\1 tiles in dir .* \(\1 fetched, 0 already there, 0 failed\)/m)
    expect(r.stdout).toMatch(/blacklisted: 127\.0\.0\.5 \(HTTP 403/)
    expect(r.stdout).toMatch(/\nOK\n$/)
    expect(r.code).toBe(0)
    expect(await readdir(out)).toEqual(expect.arrayContaining(['0', '5', 'preview-z5.png']))
    const preview = PNG.sync.read(await readFile(join(out, 'preview-z5.png')))
    expect(preview.width).toBeGreaterThan(256)
    const again = await runScript(['--out', out, '--bbox=-30,20,60,70', '--zoom', '0-5'])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/\(0 fetched, (\d+) already there, 0 failed\)/)
  }, 180_000)

  it('exits 2 for a usage error', async () => {
    const r = await runScript(['--zoom', 'lots'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('tile-fetch: ERR_INVALID_ARGUMENT: --zoom must be Z or Z0-Z1')
  }, 90_000)

  it('parses its arguments', () => {
    expect(parseStartArgs(['--help'])).toBe('help')
    const o = parseStartArgs(['--out', 'x', '--rate', '50/s', '--report', '--format', 'mbtiles'])
    expect(o).toMatchObject({ out: 'x', rate: 50, report: true, format: 'mbtiles' })
    expect(o !== 'help' && o.tiles.zooms).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(() => parseStartArgs(['--format', 'zip'])).toThrow(/--format must be dir or mbtiles/)
    expect(() => parseStartArgs(['--bogus'])).toThrow(/Unknown option/)
  })
})
