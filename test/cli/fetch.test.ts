import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_TILE_BYTES, startDemoOrigin, type DemoOrigin } from '../../src/demo/index.js'
import { runCli } from './helpers.js'

interface Line {
  url: string
  status?: number
  error?: string
  message?: string
  ip: string | null
  protocol: string | null
  tlsVersion: string | null
  cipher: string | null
  group: string | null
  bytes?: number
  ms: number
  reused: boolean | null
  stats?: { hosts: Record<string, { ips: { ip: string; requests: number }[] }> }
}

describe('hotconn fetch', () => {
  let origin: DemoOrigin
  let dir: string
  let caFile: string
  let dnsServer: string

  beforeAll(async () => {
    origin = await startDemoOrigin({ dns: true })
    dir = await mkdtemp(join(tmpdir(), 'hotconn-cli-'))
    caFile = join(dir, 'ca.pem')
    await writeFile(caFile, origin.caPem)
    dnsServer = `127.0.0.1:${origin.dns!.port}`
  })
  afterAll(async () => {
    await origin.close()
    await rm(dir, { recursive: true, force: true })
  })
  beforeEach(() => {
    origin.resetStats()
  })

  it('prints one JSON line per response with the connection that carried it, then the stats', async () => {
    const url = origin.url('/tiles/3/1/2.png')
    const out = await runCli(['fetch', url, '-n', '24', '-c', '6', '--ca', caFile, '--dns-server', dnsServer, '--json'])
    expect(out.stderr).toBe('')
    expect(out.code).toBe(0)
    const lines = out.lines.map((l) => JSON.parse(l) as Line)
    const stats = lines.pop()!.stats!
    expect(lines).toHaveLength(24)
    for (const l of lines) {
      expect(l).toMatchObject({
        url,
        status: 200,
        protocol: 'http/1.1',
        tlsVersion: 'TLSv1.3',
        bytes: DEFAULT_TILE_BYTES,
      })
      expect(origin.ips).toContain(l.ip)
      expect(l.cipher).toMatch(/^TLS_AES_|^TLS_CHACHA20_/)
      expect(typeof l.group).toBe('string')
      expect(typeof l.reused).toBe('boolean')
      expect(l.ms).toBeGreaterThan(0)
    }
    // Per-response IPs agree with what each server counted.
    const server = origin.allStats()
    for (const ip of origin.ips) {
      expect(lines.filter((l) => l.ip === ip).length, ip).toBe(server[ip]!.requests)
    }
    // A connection's first request is "new": as many as the servers saw handshakes (no warm-up).
    expect(lines.filter((l) => l.reused === false).length).toBe(origin.totals().tlsSessions)
    expect(lines.some((l) => l.reused === true)).toBe(true)
    // The pool resolved every IP of the host through the demo DNS server.
    const host = stats.hosts[`tiles.test:${origin.port}`]!
    expect(host.ips.map((i) => i.ip).sort()).toEqual([...origin.ips].sort())
    expect(host.ips.reduce((n, i) => n + i.requests, 0)).toBe(24)
  })

  it('prints human-readable lines and the per-IP table without --json', async () => {
    const out = await runCli([
      'fetch',
      origin.url('/'),
      origin.url('/tiles/1/1/1.png'),
      '--ca',
      caFile,
      '--dns-server',
      dnsServer,
    ])
    expect(out.code).toBe(0)
    expect(out.lines[0]).toMatch(/^200 {2}https:\/\/tiles\.test:\d+\/ {2}127\.0\.0\.\d {2}http\/1\.1 {2}TLSv1\.3 TLS_/)
    expect(out.stdout).toMatch(/^ip +state +conns +handshakes +requests +reuse/m)
    for (const ip of origin.ips) expect(out.stdout).toContain(ip)
  })

  it('--resolve pins the host to the given IPs without asking DNS', async () => {
    const queries = origin.dns!.queries
    const out = await runCli([
      'fetch',
      origin.url('/tiles/2/0/1.png'),
      '-n',
      '10',
      '-c',
      '4',
      '--ca',
      caFile,
      '--resolve',
      'tiles.test=127.0.0.3,127.0.0.4',
      '--json',
    ])
    expect(out.code).toBe(0)
    const lines = out.lines.map((l) => JSON.parse(l) as Line)
    const stats = lines.pop()!.stats!
    expect(lines.every((l) => l.status === 200 && (l.ip === '127.0.0.3' || l.ip === '127.0.0.4'))).toBe(true)
    expect(stats.hosts[`tiles.test:${origin.port}`]!.ips.map((i) => i.ip).sort()).toEqual(['127.0.0.3', '127.0.0.4'])
    expect(origin.dns!.queries).toBe(queries)
    expect(origin.stats('127.0.0.2').requests + origin.stats('127.0.0.5').requests).toBe(0)
  })

  it('--resolve falls back to DNS for other hosts', async () => {
    const out = await runCli([
      'fetch',
      origin.url('/'),
      '--ca',
      caFile,
      '--resolve',
      'other.test=127.0.0.3',
      '--dns-server',
      dnsServer,
      '--json',
    ])
    expect(out.code).toBe(0)
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ status: 200 })
  })

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['-n', '0'], /--count must be an integer from 1/],
    [['-c', 'many'], /--concurrency must be an integer/],
    [['--resolve', 'tiles.test'], /--resolve must be host=ip/],
    [['--resolve', 'tiles.test=1.2.3'], /"1\.2\.3" is not an IP address/],
    [['--dns-server', 'localhost:53'], /--dns-server must be ip or ip:port/],
    [['--profile', 'netscape'], /--profile must be one of chrome-156-windows, .*, chrome, firefox, got "netscape"/],
    [['--ca', '/nonexistent/ca.pem'], /--ca: cannot read \/nonexistent\/ca\.pem \(ENOENT\)/],
  ])('exits 2 for a bad flag: %j', async (flags, message) => {
    const out = await runCli(['fetch', origin.url('/'), ...flags])
    expect(out.code).toBe(2)
    expect(out.stderr).toMatch(/^hotconn fetch: ERR_INVALID_ARGUMENT: /)
    expect(out.stderr).toMatch(message)
    expect(out.stdout).toBe('')
  })

  it('exits 2 without a URL or for a non-https URL', async () => {
    expect((await runCli(['fetch'])).code).toBe(2)
    const out = await runCli(['fetch', 'http://tiles.test/'])
    expect(out.code).toBe(2)
    expect(out.stderr).toContain('only https:// URLs are supported')
  })

  it('exits 2 for a config file with an unknown key', async () => {
    const file = join(dir, 'bad.toml')
    await writeFile(file, '[pool]\nmax_idle = 3\n')
    const out = await runCli(['fetch', origin.url('/'), '--config', file])
    expect(out.code).toBe(2)
    expect(out.stderr).toContain(`--config ${file}`)
    expect(out.stderr).toContain('max_idle')
  })

  it('applies a config file with the flags on top', async () => {
    const file = join(dir, 'good.toml')
    await writeFile(
      file,
      `[tls]\nprofile = "firefox"\nca_file = ${JSON.stringify(caFile)}\n[dns]\nservers = ["${dnsServer}"]\n`,
    )
    const out = await runCli(['fetch', origin.url('/'), '--config', file, '--json'])
    expect(out.code).toBe(0)
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ status: 200, tlsVersion: 'TLSv1.3' })
  })

  it('prints the error code and exits 1 when the IP is down', async () => {
    await origin.stopIp('127.0.0.5')
    try {
      const out = await runCli([
        'fetch',
        origin.url('/'),
        '--ca',
        caFile,
        '--resolve',
        'tiles.test=127.0.0.5',
        '--json',
      ])
      expect(out.code).toBe(1)
      const first = JSON.parse(out.lines[0]!) as Line
      expect(first).toMatchObject({ url: origin.url('/'), error: 'ERR_CONNECT', ip: null })
      expect(first.message).toContain('127.0.0.5')
      expect(out.stderr).toMatch(/^ERR_CONNECT {2}https:\/\/tiles\.test/m)
      expect(JSON.parse(out.lines.at(-1)!)).toHaveProperty('stats')
    } finally {
      await origin.startIp('127.0.0.5')
    }
  })

  it('prints ERR_DNS and exits 1 for an unknown host', async () => {
    const out = await runCli([
      'fetch',
      `https://nowhere.test:${origin.port}/`,
      '--ca',
      caFile,
      '--dns-server',
      dnsServer,
    ])
    expect(out.code).toBe(1)
    expect(out.stderr).toMatch(/^ERR_DNS {2}https:\/\/nowhere\.test:\d+\/ {2}.*ENOTFOUND/m)
    expect(out.stderr).toContain('1 request(s) failed')
  })

  it('rejects a certificate it cannot verify, and --insecure accepts it', async () => {
    const bad = await runCli(['fetch', origin.url('/'), '--dns-server', dnsServer, '--json'])
    expect(bad.code).toBe(1)
    expect(JSON.parse(bad.lines[0]!)).toMatchObject({ error: 'ERR_TLS_BAD_CERTIFICATE' })
    const ok = await runCli(['fetch', origin.url('/'), '--dns-server', dnsServer, '--insecure', '--json'])
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.lines[0]!)).toMatchObject({ status: 200 })
  })

  it('an untrusted CA: every request of a run fails with ERR_TLS_BAD_CERTIFICATE and what to do, and blacklists nothing', async () => {
    const out = await runCli([
      'fetch',
      origin.url('/tiles/1/1/1.png'),
      '-n',
      '12',
      '-c',
      '4',
      '--dns-server',
      dnsServer,
      '--json',
    ])
    expect(out.code).toBe(1)
    const lines = out.lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    const failures = lines.filter((l) => 'error' in l)
    expect(failures).toHaveLength(12)
    for (const f of failures) {
      expect(f.error).toBe('ERR_TLS_BAD_CERTIFICATE')
      expect(String(f.message)).toMatch(/--ca <pem file>/)
      expect(String(f.message)).not.toMatch(/slow down|fewer requests/)
    }
    const stats = lines.find((l) => 'stats' in l) as {
      stats: { hosts: Record<string, { blacklisted: unknown[]; ips: { state: string }[] }> }
    }
    for (const h of Object.values(stats.stats.hosts)) {
      expect(h.blacklisted).toEqual([])
      expect(h.ips.every((i) => i.state === 'active')).toBe(true)
    }
  })

  it('status_blame = "ip" in --config: every IP blacklisted, ERR_ALL_IPS_BLACKLISTED is printed with each IP\'s cause', async () => {
    for (const ip of origin.ips) origin.setBehaviour(ip, { status: 403 })
    try {
      const config = join(dir, 'blame-ip.toml')
      await writeFile(config, '[blacklist]\nstatus_blame = "ip"\nfailure_threshold = 1\nttl = "1m"\n')
      const n = origin.ips.length + 2
      const out = await runCli([
        'fetch',
        origin.url('/members'),
        '-n',
        String(n),
        '-c',
        '1',
        '--config',
        config,
        '--ca',
        caFile,
        '--dns-server',
        dnsServer,
      ])
      expect(out.code).toBe(1)
      expect(out.stdout.split('\n').filter((l) => l.startsWith('403  '))).toHaveLength(origin.ips.length)
      const lines = out.stderr.split('\n').filter((l) => l.startsWith('ERR_ALL_IPS_BLACKLISTED  '))
      expect(lines).toHaveLength(2)
      for (const l of lines) {
        expect(l).toContain('every IP of tiles.test:')
        for (const ip of origin.ips) expect(l).toContain(`${ip}: HTTP 403`)
        expect(l).toContain('check that the requests are allowed')
        expect(l).not.toContain('fewer requests per second')
      }
    } finally {
      for (const ip of origin.ips) origin.setBehaviour(ip, undefined)
    }
  })

  it('a host rate-limiting the only egress: ERR_ALL_EGRESS_BLOCKED is printed with its cause and when to retry', async () => {
    for (const ip of origin.ips) origin.setBehaviour(ip, { status: 429, retryAfterS: 30 })
    try {
      const out = await runCli([
        'fetch',
        origin.url('/tiles/2/2/2.png'),
        '-n',
        '4',
        '-c',
        '1',
        '--ca',
        caFile,
        '--dns-server',
        dnsServer,
      ])
      expect(out.code).toBe(1)
      // The first 429 with Retry-After rests its IP; the second, from another IP, blocks the
      // (egress, host) pair for the 30 s named; the requests after it fail at once with the cause.
      const blocked = out.stderr.split('\n').filter((l) => l.startsWith('ERR_ALL_EGRESS_BLOCKED  '))
      expect(blocked).toHaveLength(2)
      for (const l of blocked) {
        expect(l).toContain('the only egress of requests to tiles.test:')
        expect(l).toMatch(/blocked by the host until \S+ \(direct: HTTP 429; Retry-After 30 s\)/)
        expect(l).toContain('send fewer requests per second')
        // The IP that sent the first Retry-After rests too: the message does not call the IPs fine.
        expect(l).toMatch(/the IPs are not the cause \(127\.0\.0\.\d rests too, blacklisted meanwhile\)/)
        expect(l).not.toContain('its IPs are fine')
        const until = Date.parse(/blocked by the host until (\S+) /.exec(l)![1]!)
        expect(until - Date.now()).toBeGreaterThan(25_000)
        expect(until - Date.now()).toBeLessThanOrEqual(30_000)
      }
      expect(out.stderr).toContain('2 request(s) failed')
    } finally {
      for (const ip of origin.ips) origin.setBehaviour(ip, undefined)
    }
  })
})

describe('hotconn warm', () => {
  let origin: DemoOrigin
  let dir: string
  let caFile: string

  beforeAll(async () => {
    origin = await startDemoOrigin({ dns: true })
    dir = await mkdtemp(join(tmpdir(), 'hotconn-cli-'))
    caFile = join(dir, 'ca.pem')
    await writeFile(caFile, origin.caPem)
  })
  afterAll(async () => {
    await origin.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('opens --conns connections to every IP and prints the table', async () => {
    origin.resetStats()
    const out = await runCli([
      'warm',
      `https://tiles.test:${origin.port}`,
      '--ca',
      caFile,
      '--dns-server',
      `127.0.0.1:${origin.dns!.port}`,
      '--conns',
      '2',
    ])
    expect(out.code).toBe(0)
    for (const ip of origin.ips) {
      expect(out.stdout).toContain(`${ip}  opened 2, failed 0`)
      expect(out.stdout).toMatch(new RegExp(`^${ip.replace(/\./g, '\\.')} +active +\\d+ +2 +0 `, 'm'))
      expect(origin.stats(ip).tlsSessions).toBe(2)
    }
  })

  it('--json prints the warm-up result and the stats', async () => {
    const out = await runCli([
      'warm',
      `https://tiles.test:${origin.port}`,
      '--ca',
      caFile,
      '--resolve',
      'tiles.test=127.0.0.2',
      '--json',
    ])
    expect(out.code).toBe(0)
    const [warmup, stats] = out.lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(warmup).toEqual({
      warmup: { host: `tiles.test:${origin.port}`, ips: [{ ip: '127.0.0.2', egress: 'direct', opened: 1, failed: 0 }] },
    })
    expect(stats).toHaveProperty('stats.hosts')
  })

  it('exits 1 with the error code when an IP cannot be warmed', async () => {
    await origin.stopIp('127.0.0.4')
    try {
      const out = await runCli([
        'warm',
        `https://tiles.test:${origin.port}`,
        '--ca',
        caFile,
        '--resolve',
        'tiles.test=127.0.0.3,127.0.0.4',
      ])
      expect(out.code).toBe(1)
      expect(out.stdout).toContain('127.0.0.3  opened 1, failed 0')
      expect(out.stderr).toMatch(/^ERR_CONNECT {2}127\.0\.0\.4 /m)
    } finally {
      await origin.startIp('127.0.0.4')
    }
  })

  it('exits 2 for a usage error', async () => {
    expect((await runCli(['warm'])).code).toBe(2)
    expect((await runCli(['warm', 'https://a.test', 'https://b.test'])).code).toBe(2)
    const out = await runCli(['warm', 'https://a.test', '--conns', '-1'])
    expect(out.code).toBe(2)
  })
})
