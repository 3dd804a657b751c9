import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseTileFetchArgs } from '../../examples/tile-fetch.js'

function runScript(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/tile-fetch.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => child.kill(), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('examples/tile-fetch.ts', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hotconn-example-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('runs the job end to end and exits 0', async () => {
    const report = join(dir, 'report.md')
    const r = await runScript(['-n', '200', '--report', report])
    expect(r.stderr).toMatch(/^200\/200 tiles 100%/m)
    expect(r.stdout).toContain('200/200 tiles arrived')
    expect(r.stdout).toMatch(/\nOK\n/)
    expect(r.code).toBe(0)
    expect(await readFile(report, 'utf8')).toContain('Result: **PASS**')
  }, 70_000)

  it('exits 2 for a usage error', async () => {
    const r = await runScript(['-n', 'lots'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('tile-fetch: ERR_INVALID_ARGUMENT: --count must be an integer')
  }, 70_000)

  it('parses its arguments', () => {
    expect(parseTileFetchArgs([])).toEqual({})
    expect(parseTileFetchArgs(['--help'])).toBe('help')
    expect(
      parseTileFetchArgs([
        'https://example.com/t.png',
        '-n',
        '10',
        '-c',
        '4',
        '--profile',
        'firefox',
        '--no-report',
        '--dns-port',
        '5353',
      ]),
    ).toEqual({
      url: 'https://example.com/t.png',
      count: 10,
      concurrency: 4,
      profile: 'firefox',
      reportPath: null,
      dnsPort: 5353,
    })
    expect(() => parseTileFetchArgs(['a', 'b'])).toThrow(/at most one URL/)
    expect(() => parseTileFetchArgs(['--report', 'x', '--no-report'])).toThrow(/not both/)
    expect(() => parseTileFetchArgs(['--dns-port', '70000'])).toThrow(/--dns-port must be a port number/)
  })
})
