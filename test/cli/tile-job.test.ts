import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_FORBIDDEN_IP, runTileFetch, tilePaths } from '../../src/cli/tile-job.js'
import { startDemoOrigin } from '../../src/demo/index.js'
import { recorder } from './helpers.js'

describe('runTileFetch against the demo origin', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hotconn-tiles-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('fetches every tile, blacklists the 403 IP and writes the report', async () => {
    const reportPath = join(dir, 'sub', 'tile-fetch.md')
    const progress = recorder(false)
    const out = recorder()
    const r = await runTileFetch({ count: 300, concurrency: 16, reportPath, progress, out })

    expect(r.problems).toEqual([])
    expect(r.ok).toBe(true)
    expect(r.arrived).toBe(300)
    expect(r.statuses['200']).toBe(300)
    // The 403 IP answered at least failure_threshold (3) times before it was blacklisted.
    expect(r.statuses['403']).toBeGreaterThanOrEqual(3)
    expect(r.retries).toBe(r.statuses['403'])
    expect(r.blacklisted).toEqual([DEMO_FORBIDDEN_IP])
    const forbidden = r.host!.ips.find((i) => i.ip === DEMO_FORBIDDEN_IP)!
    expect(forbidden.state).toBe('blacklisted')
    expect(forbidden.blacklisted!.until.getTime()).toBeGreaterThan(Date.now())
    // Server-side counts agree: every 200 came from the other IPs.
    const served = Object.entries(r.server!)
      .filter(([ip]) => ip !== DEMO_FORBIDDEN_IP)
      .reduce((n, [, s]) => n + s.requests, 0)
    expect(served).toBe(300)
    expect(r.server![DEMO_FORBIDDEN_IP]!.requests).toBe(r.statuses['403'])

    expect(progress.text.trim().split('\n')).toHaveLength(10)
    expect(progress.text).toMatch(/^300\/300 tiles 100%/m)
    expect(progress.text).not.toContain('\r')
    expect(out.text).toContain('300/300 tiles arrived')
    expect(out.text).toMatch(/^127\.0\.0\.5 +blacklisted /m)

    expect(r.reportPath).toBe(reportPath)
    const report = await readFile(reportPath, 'utf8')
    expect(report).toMatch(/^# tile-fetch\n\nResult: \*\*PASS\*\*/)
    expect(report).toContain(`- Node: ${process.version}`)
    expect(report).toContain('- Profile: chrome')
    expect(report).toMatch(/\| 127\.0\.0\.5 \| blacklisted \| 0 \|/)
    expect(report).toContain('## Hot vs cold')
    expect(report).toMatch(/\d+ requests went over \d+ TLS handshakes/)
  })

  it('reports a failure when tiles do not arrive', async () => {
    // One attempt only: tiles that hit the 403 IP are lost.
    const r = await runTileFetch({
      count: 40,
      concurrency: 8,
      maxAttempts: 1,
      reportPath: null,
      progress: recorder(),
      out: recorder(),
    })
    expect(r.ok).toBe(false)
    expect(r.arrived).toBe(40 - (r.statuses['403'] ?? 0))
    expect(r.problems[0]).toMatch(/^\d+ of 40 tiles did not arrive$/)
    expect(r.failures.every((f) => f.last === '403' && f.attempts === 1)).toBe(true)
    expect(r.reportPath).toBeUndefined()
  })

  it('draws a bar in place on a terminal', async () => {
    const progress = recorder(true)
    const r = await runTileFetch({ count: 50, reportPath: null, progress, out: recorder(), profile: 'firefox' })
    expect(r.ok).toBe(true)
    expect(progress.text).toMatch(/\r\[#{30}\] 50\/50 tiles 100%/)
    expect(progress.text.endsWith('\x1b[K\n')).toBe(true)
  })

  it('with a URL uses the system roots: a demo origin (own CA) fails cleanly with the cause reported', async () => {
    const origin = await startDemoOrigin({ ips: ['127.0.0.2'] })
    try {
      const out = recorder()
      const r = await runTileFetch({
        url: `https://127.0.0.2:${origin.port}/tiles/1/0/0.png`,
        count: 3,
        maxAttempts: 2,
        reportPath: null,
        progress: recorder(),
        out,
      })
      expect(r.target).toBe('url')
      expect(r.ok).toBe(false)
      expect(r.problems).toEqual(['3 of 3 fetches did not arrive'])
      expect(out.text).toMatch(/^warm-up: 127\.0\.0\.2: \d+ failed: ERR_TLS_BAD_CERTIFICATE: /m)
      expect(origin.stats('127.0.0.2').requests).toBe(0)
    } finally {
      await origin.close()
    }
  })

  it('rejects bad options up front', async () => {
    await expect(runTileFetch({ count: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    await expect(runTileFetch({ profile: 'lynx' })).rejects.toThrow(/profile must be one of/)
    await expect(runTileFetch({ url: 'http://example.com/' })).rejects.toThrow(/only https/)
  })
})

describe('tilePaths', () => {
  it('names distinct tiles at the smallest zoom that holds them', () => {
    const tiles = tilePaths(2000)
    expect(tiles[0]).toEqual({ z: 6, x: 0, y: 0, path: '/tiles/6/0/0.png' })
    expect(new Set(tiles.map((t) => t.path)).size).toBe(2000)
    expect(tiles.every((t) => t.x < 64 && t.y < 64)).toBe(true)
    expect(tilePaths(1)[0]!.path).toBe('/tiles/0/0/0.png')
  })
})
