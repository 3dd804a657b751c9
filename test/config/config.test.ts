import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_CONFIG_PATH,
  defaultConfig,
  isExpectedStatus,
  isProfileName,
  loadConfig,
  parseConfig,
  resolveConfig,
  type Config,
} from '../../src/config/index.js'
import { SECTIONS } from '../../src/config/keys.js'
import { ConfigError } from '../../src/errors.js'
import { documentationProblems } from './documented.js'

const CONFIG_TOML = join(import.meta.dirname, '../../config/config.toml')

function configError(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('defaults', () => {
  it('has the documented values', () => {
    const c = defaultConfig()
    expect(c.pool).toEqual({
      maxIdleConns: 20,
      maxConnsPerHost: 10,
      maxConnections: 100,
      maxConnsPerIp: undefined,
      idleTimeoutMs: 60_000,
      maxLifetimeMs: 300_000,
      cleanupIntervalMs: 60_000,
      healthCheckIntervalMs: 30_000,
      warmConnsPerIp: 1,
      connectTimeoutMs: 10_000,
      maxPending: 1000,
      pendingTimeoutMs: 30_000,
      headersTimeoutMs: 30_000,
      bodyTimeoutMs: 30_000,
    })
    expect(c.tls).toEqual({
      profile: 'chrome-latest-windows',
      verify: true,
      caFile: undefined,
      extraCaFile: undefined,
      useSystemCa: false,
      sessionResumption: true,
    })
    expect(c.dns).toEqual({ servers: [], refreshIntervalMs: 1_800_000, family: 0 })
    expect(c.blacklist).toEqual({
      statusCodes: [403, 429],
      statusBlame: 'auto',
      failureThreshold: 3,
      ttlMs: 900_000,
      checkIntervalMs: 300_000,
    })
    expect(c.health).toEqual({ path: '/', method: 'HEAD', expect: [{ from: 200, to: 399 }] })
  })

  it('is deeply frozen', () => {
    const c = defaultConfig()
    expect(Object.isFrozen(c)).toBe(true)
    expect(Object.isFrozen(c.pool)).toBe(true)
    expect(Object.isFrozen(c.blacklist.statusCodes)).toBe(true)
    expect(Object.isFrozen(c.health.expect[0])).toBe(true)
    expect(() => {
      ;(c.pool as { maxIdleConns: number }).maxIdleConns = 1
    }).toThrow(TypeError)
  })

  it('config/config.toml documents exactly the defaults', async () => {
    const loaded = await loadConfig(CONFIG_TOML)
    expect(loaded).toEqual(defaultConfig())
    expect(parseConfig('')).toEqual(defaultConfig())
  })

  it('config/config.toml documents every key of the table, and nothing else', async () => {
    const text = await readFile(CONFIG_TOML, 'utf8')
    expect(documentationProblems(text, SECTIONS)).toEqual([])
  })
})

describe('parseConfig', () => {
  it('reads values, durations in both forms and converts names', () => {
    const c = parseConfig(`
[pool]
max_idle_conns = 5
max_conns_per_ip = 2
idle_timeout = "1m30s"
max_lifetime = 120000
warm_conns_per_ip = 2
[tls]
profile = "firefox"
verify = false
ca_file = "certs/ca.pem"
extra_ca_file = "certs/extra.pem"
use_system_ca = true
[dns]
servers = ["127.0.0.1:5353", "[::1]:53", "10.0.0.1"]
family = 4
[blacklist]
status_codes = [403, 429, 503]
[health]
method = "GET"
path = "/healthz"
expect = [204, "2xx", "300-304"]
`)
    expect(c.pool.maxIdleConns).toBe(5)
    expect(c.pool.maxConnsPerIp).toBe(2)
    expect(c.pool.idleTimeoutMs).toBe(90_000)
    expect(c.pool.maxLifetimeMs).toBe(120_000)
    expect(c.pool.warmConnsPerIp).toBe(2)
    expect(c.tls).toEqual({
      profile: 'firefox',
      verify: false,
      caFile: 'certs/ca.pem',
      extraCaFile: 'certs/extra.pem',
      useSystemCa: true,
      sessionResumption: true,
    })
    expect(c.dns.servers).toEqual(['127.0.0.1:5353', '[::1]:53', '10.0.0.1'])
    expect(c.dns.family).toBe(4)
    expect(c.blacklist.statusCodes).toEqual([403, 429, 503])
    expect(c.health).toEqual({ path: '/healthz', method: 'GET', expect: [{ from: 200, to: 304 }] })
    expect(isExpectedStatus(c.health.expect, 304)).toBe(true)
    expect(isExpectedStatus(c.health.expect, 305)).toBe(false)
  })

  it('accepts dotted keys and inline tables', () => {
    const c = parseConfig('pool.max_idle_conns = 3\ndns = { family = 6 }\n')
    expect(c.pool.maxIdleConns).toBe(3)
    expect(c.dns.family).toBe(6)
  })

  it('accepts the Go aliases at the top level and inside their section', () => {
    const c = parseConfig(`
MaxIdleConns = 7
MaxConnsPerHost = 8
MaxConnections = 50
IdleTimeout = "10s"
MaxLifetime = "20s"
ConnTimeout = "3s"
HealthCheckInterval = "4s"
CleanupInterval = "5s"
BlacklistCheckInterval = "6s"
DNSUpdateInterval = "7s"
`)
    expect(c.pool).toMatchObject({
      maxIdleConns: 7,
      maxConnsPerHost: 8,
      maxConnections: 50,
      idleTimeoutMs: 10_000,
      maxLifetimeMs: 20_000,
      connectTimeoutMs: 3_000,
      healthCheckIntervalMs: 4_000,
      cleanupIntervalMs: 5_000,
    })
    expect(c.blacklist.checkIntervalMs).toBe(6_000)
    expect(c.dns.refreshIntervalMs).toBe(7_000)
    const inSection = parseConfig('[pool]\nMaxIdleConns = 4\n[dns]\nDNSUpdateInterval = "1m"\n')
    expect(inSection.pool.maxIdleConns).toBe(4)
    expect(inSection.dns.refreshIntervalMs).toBe(60_000)
  })

  it('refuses an alias together with its snake_case name, naming both and the line', () => {
    const e = configError(() => parseConfig('IdleTimeout = "10s"\n\n[pool]\nidle_timeout = "20s"\n', 'c.toml'))
    expect(e.key).toBe('pool.idle_timeout')
    expect(e.message).toContain('IdleTimeout')
    expect(e.message).toContain('pool.idle_timeout')
    expect(e.line).toBe(4)
    expect(e.message).toMatch(/^c\.toml:4: /)
    expect(e.code).toBe('ERR_CONFIG')
    const twice = configError(() => parseConfig('MaxIdleConns = 1\n[pool]\nMaxIdleConns = 2\n'))
    expect(twice.key).toBe('pool.max_idle_conns')
    expect(twice.line).toBe(3)
  })

  it('refuses unknown keys with their line and a suggestion', () => {
    const e = configError(() => parseConfig('[pool]\nmax_idle_conns = 1\nmax_idle_con = 2\n', 'c.toml'))
    expect(e.key).toBe('pool.max_idle_con')
    expect(e.line).toBe(3)
    expect(e.message).toContain('did you mean max_idle_conns')
    const top = configError(() => parseConfig('\n\nbogus = 1\n'))
    expect(top.key).toBe('bogus')
    expect(top.line).toBe(3)
    const section = configError(() => parseConfig('[pools]\n'))
    expect(section.key).toBe('pools')
    expect(section.message).toContain('did you mean pool')
    const dotted = configError(() => parseConfig('[pool]\nx = 1\n\npool2.y = 1\n'))
    expect(dotted.key).toBe('pool.x')
    expect(dotted.line).toBe(2)
    // camelCase typed names are for programmatic input only
    expect(configError(() => parseConfig('[pool]\nmaxIdleConns = 1\n')).key).toBe('pool.maxIdleConns')
  })

  it('refuses wrong types, naming the key and line', () => {
    const cases: Array<[string, string, number]> = [
      ['[pool]\n\nmax_idle_conns = "20"\n', 'pool.max_idle_conns', 3],
      ['[pool]\nidle_timeout = true\n', 'pool.idle_timeout', 2],
      ['[pool]\nidle_timeout = 1.5\n', 'pool.idle_timeout', 2],
      ['[tls]\nverify = "yes"\n', 'tls.verify', 2],
      ['pool = 3\n', 'pool', 1],
      ['[dns]\nservers = "127.0.0.1"\n', 'dns.servers', 2],
      ['[dns]\nservers = [\n  "127.0.0.1",\n  "localhost:53",\n]\n', 'dns.servers[1]', 4],
      ['[blacklist]\nstatus_codes = [403,\n 42]\n', 'blacklist.status_codes[1]', 3],
      ['[health]\nexpect = ["2xx", "6xx"]\n', 'health.expect[1]', 2],
      ['[tls]\nca_file = ""\n', 'tls.ca_file', 2],
    ]
    for (const [text, key, line] of cases) {
      const e = configError(() => parseConfig(text, 'c.toml'))
      expect({ key: e.key, line: e.line }).toEqual({ key, line })
      expect(e.message).toContain(key)
    }
  })

  it('refuses impossible values', () => {
    const cases: Array<[string, string]> = [
      ['[pool]\nmax_idle_conns = -1', 'pool.max_idle_conns'],
      ['[pool]\nmax_connections = 0', 'pool.max_connections'],
      ['[pool]\nmax_connections = 5', 'pool.max_conns_per_host'],
      ['[pool]\nmax_connections = 15\nmax_conns_per_host = 5', 'pool.max_idle_conns'],
      ['[pool]\nmax_conns_per_ip = 11', 'pool.max_conns_per_ip'],
      ['[pool]\nwarm_conns_per_ip = 11', 'pool.warm_conns_per_ip'],
      ['[pool]\nmax_conns_per_ip = 2\nwarm_conns_per_ip = 3', 'pool.warm_conns_per_ip'],
      ['[pool]\nidle_timeout = "0s"', 'pool.idle_timeout'],
      ['[pool]\nidle_timeout = 0', 'pool.idle_timeout'],
      ['[pool]\nidle_timeout = "-5s"', 'pool.idle_timeout'],
      ['[pool]\nidle_timeout = "5 minutes"', 'pool.idle_timeout'],
      ['[pool]\nmax_lifetime = "30d"', 'pool.max_lifetime'],
      ['[pool]\nmax_lifetime = "1000h"', 'pool.max_lifetime'],
      ['[pool]\nmax_pending = -1', 'pool.max_pending'],
      ['[tls]\nprofile = "netscape"', 'tls.profile'],
      ['[dns]\nfamily = 5', 'dns.family'],
      ['[dns]\nservers = ["127.0.0.1:70000"]', 'dns.servers[0]'],
      ['[blacklist]\nfailure_threshold = 0', 'blacklist.failure_threshold'],
      ['[blacklist]\nstatus_codes = [403, 403]', 'blacklist.status_codes[1]'],
      ['[blacklist]\nstatus_blame = "host"', 'blacklist.status_blame'],
      ['[health]\npath = "healthz"', 'health.path'],
      ['[health]\nmethod = "POST"', 'health.method'],
      ['[health]\nexpect = []', 'health.expect'],
      ['[health]\nexpect = ["399-200"]', 'health.expect[0]'],
    ]
    for (const [text, key] of cases) {
      const e = configError(() => parseConfig(text))
      expect(e.key, text).toBe(key)
      expect(e.line, text).toBeGreaterThan(0)
    }
  })

  it('reports TOML syntax errors with their line', () => {
    const e = configError(() => parseConfig('[pool]\nmax_idle_conns = = 3\n', 'c.toml'))
    expect(e.line).toBe(2)
    expect(e.message).toMatch(/^c\.toml:2:\d+: TOML syntax error/)
  })

  it('loadConfig() with no path reads the config/config.toml beside the sources (the packaged one in an install)', async () => {
    expect(DEFAULT_CONFIG_PATH).toBe(CONFIG_TOML)
    expect(await loadConfig()).toEqual(await loadConfig(CONFIG_TOML))
    expect(await loadConfig(pathToFileURL(CONFIG_TOML))).toEqual(defaultConfig())
  })

  it('loadConfig reports a missing file', async () => {
    await expect(loadConfig('/nonexistent/hotconn.toml')).rejects.toThrow(/ENOENT/)
    await expect(loadConfig('/nonexistent/hotconn.toml')).rejects.toBeInstanceOf(ConfigError)
  })
})

describe('resolveConfig', () => {
  it('takes camelCase, snake_case and alias names, and duration strings', () => {
    const c: Config = resolveConfig({
      pool: { maxIdleConns: 3, idleTimeoutMs: '2s', max_lifetime: 5000 },
      tls: { profile: 'firefox' },
      CleanupInterval: '9s',
    })
    expect(c.pool.maxIdleConns).toBe(3)
    expect(c.pool.idleTimeoutMs).toBe(2000)
    expect(c.pool.maxLifetimeMs).toBe(5000)
    expect(c.pool.cleanupIntervalMs).toBe(9000)
    expect(c.tls.profile).toBe('firefox')
    expect(Object.isFrozen(c.pool)).toBe(true)
  })

  it('validates like the file, without a line', () => {
    const e = configError(() => resolveConfig({ pool: { maxIdleConns: -2 } }))
    expect(e.key).toBe('pool.max_idle_conns')
    expect(e.line).toBeUndefined()
    expect(e.message).toContain('pool.max_idle_conns (written as pool.maxIdleConns)')
    expect(configError(() => resolveConfig({ pool: { maxIdleConns: 1, max_idle_conns: 2 } })).key).toBe(
      'pool.max_idle_conns',
    )
    // @ts-expect-error ConfigInput is closed; JavaScript callers get the runtime check
    expect(configError(() => resolveConfig({ pool: { nope: 1 } })).key).toBe('pool.nope')
    expect(configError(() => resolveConfig({ dns: { servers: [53 as unknown as string] } })).key).toBe('dns.servers[0]')
  })

  it('ignores keys set to undefined', () => {
    expect(resolveConfig({ pool: { maxConnsPerIp: undefined }, tls: undefined })).toEqual(defaultConfig())
  })
})

describe('profile names', () => {
  it('are exactly the built-in fingerprint profiles', async () => {
    const { PROFILE_NAMES } = await import('../../src/config/index.js')
    const { getProfile, profileNames } = await import('../../src/fingerprint/profiles/index.js')
    expect([...PROFILE_NAMES]).toEqual([...profileNames])
    // An identity's ClientHello is its engine's: Chromium's for chrome-*/edge-*, NSS's for firefox-*.
    for (const name of PROFILE_NAMES)
      expect(getProfile(name).name).toBe(name.startsWith('firefox') ? 'firefox' : 'chrome')
    expect(isProfileName('chrome')).toBe(true)
    expect(isProfileName('chrom')).toBe(false)
    expect(isProfileName('toString')).toBe(false)
  })
})
