/** `--proxy` and `--local-address` on hotconn fetch, warm and tiles, against the demo origin. */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemoOrigin, type DemoOrigin } from '../../src/demo/index.js'
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy.js'
import { PeerTracker } from '../egress/helpers.js'
import { loopbackIps } from '../pool/helpers/fixtures.js'
import { runCli } from './helpers.js'

describe('egress flags', () => {
  let origin: DemoOrigin
  let proxy: ConnectProxy
  let peers: PeerTracker
  let dir: string
  let common: string[]
  /** `hotconn tiles` over the whole world at `zoom`, into `out`. */
  const tileArgs = (zoom: string, out: string): string[] => [
    'tiles',
    `${origin.url('')}/tiles/{z}/{x}/{y}.png`,
    '--bbox=-180,-85,180,85',
    '--zoom',
    zoom,
    '--out',
    out,
  ]

  beforeAll(async () => {
    origin = await startDemoOrigin({ ips: loopbackIps(2) })
    proxy = await startConnectProxy({ outgoingAddress: '127.0.0.22', credentials: { user: 'cli', password: 's3cret' } })
    peers = new PeerTracker(origin.ips)
    dir = await mkdtemp(join(tmpdir(), 'hotconn-cli-egress-'))
    const caFile = join(dir, 'ca.pem')
    await writeFile(caFile, origin.caPem)
    common = ['--ca', caFile, '--resolve', `${origin.hostname}=${origin.ips.join(',')}`]
  })
  afterAll(async () => {
    peers.dispose()
    await proxy.close()
    await origin.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('hotconn fetch --proxy: every request goes through the proxy; the stats name it', async () => {
    peers.peers.clear()
    const out = await runCli([
      'fetch',
      origin.url('/tiles/2/1/1.png'),
      '-n',
      '6',
      '--proxy',
      proxy.url,
      '--json',
      ...common,
    ])
    expect(out.stderr).toBe('')
    expect(out.code).toBe(0)
    const stats = JSON.parse(out.lines.at(-1)!) as { stats: { hosts: Record<string, { egress: string }> } }
    expect(Object.values(stats.stats.hosts).map((h) => h.egress)).toEqual(['http://cli@127.0.0.1:' + proxy.port])
    expect(new Set(peers.all())).toEqual(new Set(['127.0.0.22']))
    expect(out.stdout).not.toContain('s3cret')
  })

  it('hotconn warm --local-address (repeated): one partition per address, each warmed', async () => {
    peers.peers.clear()
    const out = await runCli([
      'warm',
      origin.url(),
      '--local-address',
      '127.0.0.10',
      '--local-address',
      '127.0.0.11',
      ...common,
    ])
    expect(out.stderr).toBe('')
    expect(out.code).toBe(0)
    expect(out.stdout).toContain(`${origin.ips[0]}  via direct from 127.0.0.10  opened 1`)
    expect(out.stdout).toContain(`${origin.hostname}:${origin.port} via direct from 127.0.0.11`)
    expect(peers.all().sort()).toEqual(['127.0.0.10', '127.0.0.10', '127.0.0.11', '127.0.0.11'])
  })

  it('hotconn tiles --proxy fetches every tile through the proxy', async () => {
    peers.peers.clear()
    const out = join(dir, 'tiles')
    const before = proxy.requests.length
    const res = await runCli([...tileArgs('0-2', out), '--proxy', proxy.url, '--json', ...common])
    expect(res.code).toBe(0)
    expect((await readdir(join(out, '2'))).length).toBe(4)
    expect(proxy.requests.length).toBeGreaterThan(before)
    expect(new Set(peers.all())).toEqual(new Set(['127.0.0.22']))
  })

  it('--proxy and --local-address repeated on fetch and tiles: requests take turns on every one', async () => {
    const second = await startConnectProxy({ outgoingAddress: '127.0.0.23' })
    try {
      peers.peers.clear()
      const twice = ['--proxy', proxy.url, '--proxy', second.url]
      const out = await runCli([
        'fetch',
        origin.url('/tiles/2/1/1.png'),
        '-n',
        '8',
        '-c',
        '1',
        ...twice,
        '--json',
        ...common,
      ])
      expect(out.code).toBe(0)
      const stats = JSON.parse(out.lines.at(-1)!) as {
        stats: { hosts: Record<string, { egress: string; requests: number }> }
      }
      const through = Object.values(stats.stats.hosts).map((h) => [h.egress, h.requests])
      expect(through).toEqual([
        ['http://cli@127.0.0.1:' + proxy.port, 4],
        [second.url, 4],
      ])
      expect(new Set(peers.all())).toEqual(new Set(['127.0.0.22', '127.0.0.23']))

      peers.peers.clear()
      const sources = ['--local-address', '127.0.0.10', '--local-address', '127.0.0.11']
      const direct = await runCli([
        'fetch',
        origin.url('/tiles/2/1/1.png'),
        '-n',
        '4',
        '-c',
        '1',
        ...sources,
        ...common,
      ])
      expect(direct.code).toBe(0)
      expect(new Set(peers.all())).toEqual(new Set(['127.0.0.10', '127.0.0.11']))

      peers.peers.clear()
      const tiles = await runCli([...tileArgs('0-1', join(dir, 'tiles-sources')), ...sources, ...common])
      expect(tiles.code).toBe(0)
      expect(tiles.stdout).toMatch(/via direct from 127\.0\.0\.10/)
      expect(tiles.stdout).toMatch(/via direct from 127\.0\.0\.11/)
      expect(new Set(peers.all())).toEqual(new Set(['127.0.0.10', '127.0.0.11']))
    } finally {
      await second.close()
    }
  })

  it('bad egress flags are usage errors (exit 2) that say what to write', async () => {
    const bad = await runCli(['fetch', origin.url(), '--proxy', 'ftp://u:pw@x:21'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--proxy "ftp:\/\/u:\*\*\*@x:21" has scheme "ftp"/)
    const addr = await runCli(['warm', origin.url(), '--local-address', 'eth0'])
    expect(addr.code).toBe(2)
    expect(addr.stderr).toMatch(/--local-address must be an IPv4 or IPv6 address/)
    const rot = await runCli(['warm', origin.url(), '--rotation', 'lifo'])
    expect(rot.code).toBe(2)
    expect(rot.stderr).toMatch(/--rotation must be one of round-robin, random, sticky/)
  })
})
