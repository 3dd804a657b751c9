import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTileOrigin, type TileOrigin } from '../tiles/helpers.js'
import { runCli } from './helpers.js'

describe('hotconn tiles', () => {
  let t: TileOrigin
  let dir: string
  let flags: string[]
  beforeAll(async () => {
    t = await startTileOrigin({ forbiddenIps: ['127.0.0.5'] })
    dir = await mkdtemp(join(tmpdir(), 'hotconn-cli-tiles-'))
    await writeFile(join(dir, 'ca.pem'), t.origin.caPem)
    flags = ['--resolve', `tiles.test=${t.origin.ips.join(',')}`, '--ca', join(dir, 'ca.pem')]
  })
  afterAll(async () => {
    await t.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('fetches a list into a directory, prints the summary and writes the report when asked', async () => {
    await writeFile(join(dir, 'list.txt'), '# two zooms\n0/0/0\n1/0/0\n1/1/0\n1/0/1\n1/1/1\n2/1/1\n')
    const report = join(dir, 'rep', 'tiles.md')
    const out = join(dir, 'tree')
    const r = await runCli([
      'tiles',
      t.template,
      '--list',
      join(dir, 'list.txt'),
      '--out',
      out,
      '--rate',
      '100/s',
      '--verify-image',
      '--report-to',
      report,
      '--mosaic-zoom',
      '1',
      ...flags,
    ])
    expect(r.stderr).toMatch(/^=+ 6\/6 tiles 100% \| \d+\/s \| ETA 0s \| 0 failed, 0 skipped, \d+ retries$/m)
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('6/6 tiles stored in dir')
    expect(r.stdout).toMatch(/\nOK\n/)
    expect(r.stdout).toMatch(/^127\.0\.0\.5 +blacklisted|^127\.0\.0\.5 +active/m)
    const md = await readFile(report, 'utf8')
    expect(md).toMatch(
      /^# hotconn tiles: https:\/\/tiles\.test:\d+\/tiles\/\{z\}\/\{x\}\/\{y\}\.png\n\nResult: \*\*PASS\*\*/,
    )
    expect(md).toContain('| 6 | 6 | 0 | 0 | 0 |')
    expect(md).toMatch(/\| tiles\.test:\d+ \| 127\.0\.0\.2 \| active \| \d+ \| 200: \d+ \|/)
    expect(md).toContain('![tiles per second](tiles-throughput.svg)')
    expect(await readFile(join(dir, 'rep', 'tiles-latency.svg'), 'utf8')).toMatch(
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/,
    )
    const mosaic = PNG.sync.read(await readFile(join(dir, 'rep', 'tiles-mosaic-z1.png')))
    expect([mosaic.width, mosaic.height]).toEqual([512, 512])
    expect(md).toContain('4 tiles drawn, 0 missing, 0 not decodable as PNG.')
    // A rerun finds everything stored.
    const again = await runCli(['tiles', t.template, '--list', join(dir, 'list.txt'), '--out', out, ...flags])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('6/6 tiles stored in dir')
    expect(again.stdout).toContain('0 fetched now, 6 already there')
  })

  it('a host blocking the only egress: the failed tiles name the cause, and the IPs stay active', async () => {
    for (const ip of t.origin.ips) t.origin.setBehaviour(ip, { status: 403 })
    try {
      const r = await runCli([
        'tiles',
        t.template,
        '--bbox=-180,-85,180,85',
        '--zoom',
        '0-1',
        '--out',
        join(dir, 'blocked'),
        '-c',
        '1',
        '--attempts',
        '1',
        ...flags,
      ])
      expect(r.code).toBe(1)
      // Three distinct paths answered 403: the (egress, host) pair is blocked, the last two tiles
      // fail with ERR_ALL_EGRESS_BLOCKED and the summary says why.
      expect(r.stdout).toMatch(/statuses: 403×3; errors: ERR_ALL_EGRESS_BLOCKED×2/)
      const blocked = r.stdout.split('\n').filter((l) => l.includes('ERR_ALL_EGRESS_BLOCKED ('))
      expect(blocked).toHaveLength(2)
      for (const l of blocked)
        expect(l).toMatch(
          /^failed: 1\/\d\/\d after 1 attempt\(s\): ERR_ALL_EGRESS_BLOCKED \(direct: HTTP 403 on 3 paths \(\/tiles\/0\/0\/0\.png, /,
        )
      expect(r.stdout).toContain('blacklisted at the end: none')
      expect(r.stdout).toContain('FAILED: 5 of 5 tiles not stored')
    } finally {
      for (const ip of t.origin.ips) t.origin.setBehaviour(ip, ip === '127.0.0.5' ? { status: 403 } : undefined)
    }
  })

  it('exits 1 when tiles fail, and 2 for usage errors', async () => {
    const failed = await runCli([
      'tiles',
      t.template.replace('/tiles/', '/nope/'),
      '--bbox',
      '0,0,1,1',
      '--zoom',
      '0',
      '--out',
      join(dir, 'x'),
      ...flags,
    ])
    expect(failed.code).toBe(1)
    expect(failed.stdout).toMatch(/failed: 0\/0\/0 after 1 attempt\(s\): HTTP 404/)
    expect(failed.stdout).toContain('FAILED: 1 of 1 tiles not stored')
    const cases: [string[], RegExp][] = [
      [['tiles', t.template, '--out', dir], /say which tiles/],
      [['tiles', t.template, '--bbox', '0,0,1,1', '--zoom', '0'], /--out is required/],
      [['tiles', t.template, '--list', 'a', '--zoom', '1', '--out', dir], /not both/],
      [['tiles', t.template, '--bbox', '0,0,1,1', '--zoom', '3-1', '--out', dir], /--zoom must be/],
      [
        ['tiles', t.template, '--bbox', '0,0,1,1', '--zoom', '1', '--out', dir, '--rate', '5/s', '--rpm', '60'],
        /--rate or --rpm/,
      ],
      [['tiles', t.template, '--bbox', '0,0,1,1', '--zoom', '1', '--out', dir, '-H', 'nocolon'], /--header must be/],
      [['tiles', t.template, '--bbox', '0,0,1,1', '--zoom', '1', '--out', dir, '--format', 'zip'], /--format must be/],
      [
        ['tiles', 'https://t.test/{z}/{x}.png', '--bbox', '0,0,1,1', '--zoom', '1', '--out', dir],
        /does not name a tile/,
      ],
      [['tiles', t.template, '--list', join(dir, 'missing.txt'), '--out', dir], /--list: cannot read/],
      [
        ['tiles', t.template, '--bbox', '0,0,1,1', '--zoom', '1', '--out', dir, '--metrics', '9464'],
        /--metrics must be ip:port/,
      ],
    ]
    for (const [argv, message] of cases) {
      const r = await runCli(argv)
      expect(r.code, argv.join(' ')).toBe(2)
      expect(r.stderr).toMatch(message)
    }
  })
})
