/**
 * Adding a key is one row in src/config/keys.ts and one line in config/config.toml: a table with
 * one more row gets its reader, default, alias, typed field, input names, error messages, the
 * flag round trip and the documentation check, with nothing else written.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { describe, expect, it } from 'vitest'
import { ConfigContext } from '../../src/config/context.js'
import { SECTIONS, type SectionsTable } from '../../src/config/keys.js'
import { locateKeys } from '../../src/config/locate.js'
import { buildFromTable, defaultConfig, tableToInput } from '../../src/config/resolve.js'
import type { ConfigInputOf, ConfigOf } from '../../src/config/types.js'
import { duration } from '../../src/config/values.js'
import { ConfigError } from '../../src/errors.js'
import { documentationProblems } from './documented.js'

const CONFIG_TOML = join(import.meta.dirname, '../../config/config.toml')

/** The shipped table plus one row. */
const WITH_ROW = {
  ...SECTIONS,
  pool: {
    ...SECTIONS.pool,
    /** How long a transfer may stall (ms). TOML `stall_timeout`, default 30 s. */
    stallTimeoutMs: { toml: 'stall_timeout', alias: 'StallTimeout', default: '30s', read: duration() },
  },
} as const satisfies SectionsTable

/** The one line the new row needs in config.toml (in [pool], and in the alias list). */
function documentRow(text: string): string {
  return text
    .replace('# Setting an alias', '#   StallTimeout -> pool.stall_timeout\n# Setting an alias')
    .replace('[tls]', '# How long a transfer may stall.\nstall_timeout = "30s"\n\n[tls]')
}

function parseWith(text: string): ConfigOf<typeof WITH_ROW> {
  return buildFromTable(WITH_ROW, parse(text), new ConfigContext('c.toml', locateKeys(text)), { camelCase: false })
}

function resolveWith(input: ConfigInputOf<typeof WITH_ROW>): ConfigOf<typeof WITH_ROW> {
  return buildFromTable(WITH_ROW, input, new ConfigContext(undefined, undefined), { camelCase: true })
}

describe('a new row in the key table', () => {
  it('is read with its default, its TOML name, its alias and its camelCase name', () => {
    const c = parseWith('')
    expect(c.pool.stallTimeoutMs).toBe(30_000)
    expect({ ...c.pool, stallTimeoutMs: undefined }).toEqual({ ...defaultConfig().pool, stallTimeoutMs: undefined })
    expect(parseWith('[pool]\nstall_timeout = "5s"\n').pool.stallTimeoutMs).toBe(5_000)
    expect(parseWith('StallTimeout = 2000\n').pool.stallTimeoutMs).toBe(2_000)
    expect(resolveWith({ pool: { stallTimeoutMs: '1m' } }).pool.stallTimeoutMs).toBe(60_000)
    expect(resolveWith({ StallTimeout: '3s' }).pool.stallTimeoutMs).toBe(3_000)
    expect(Object.isFrozen(c.pool)).toBe(true)
  })

  it('gets the reader’s errors, with its key and line, and a suggestion for a typo', () => {
    const bad = (fn: () => unknown): ConfigError => {
      try {
        fn()
      } catch (err) {
        if (err instanceof ConfigError) return err
      }
      throw new Error('expected a ConfigError')
    }
    const zero = bad(() => parseWith('[pool]\n\nstall_timeout = 0\n'))
    expect({ key: zero.key, line: zero.line }).toEqual({ key: 'pool.stall_timeout', line: 3 })
    expect(zero.message).toContain('must be a positive duration')
    const typo = bad(() => parseWith('[pool]\nstal_timeout = "1s"\n'))
    expect(typo.message).toContain('did you mean stall_timeout')
    const twice = bad(() => parseWith('StallTimeout = "1s"\n[pool]\nstall_timeout = "2s"\n'))
    expect(twice.key).toBe('pool.stall_timeout')
    // @ts-expect-error the derived input type has the new key's names only
    expect(bad(() => resolveWith({ pool: { stallTimeout: 5 } })).key).toBe('pool.stallTimeout')
  })

  it('round-trips through the input the CLI builds from a loaded file', () => {
    const c = parseWith('[pool]\nstall_timeout = "7s"\nmax_idle_conns = 3\n')
    const input = tableToInput(WITH_ROW, c)
    expect(input.pool?.stallTimeoutMs).toBe(7_000)
    expect(resolveWith(input)).toEqual(c)
  })

  it('is typed in the Config and the input', () => {
    const ms: number = parseWith('').pool.stallTimeoutMs
    const input: ConfigInputOf<typeof WITH_ROW> = { pool: { stall_timeout: '1s', StallTimeout: 2 } }
    expect([ms, input.pool?.stall_timeout]).toEqual([30_000, '1s'])
  })

  it('needs exactly one line in config.toml (plus its alias in the alias list)', async () => {
    const shipped = await readFile(CONFIG_TOML, 'utf8')
    expect(documentationProblems(shipped, WITH_ROW)).toEqual([
      'pool.stall_timeout has no line in [pool]',
      'pool.stall_timeout\'s alias StallTimeout is not in the alias list ("StallTimeout -> pool.stall_timeout")',
    ])
    const documented = documentRow(shipped)
    expect(documentationProblems(documented, WITH_ROW)).toEqual([])
    expect(parseWith(documented)).toEqual(parseWith(''))
  })
})

describe('the documentation check', () => {
  it('finds a stale line, a missing header and a default that is documented wrongly', async () => {
    const shipped = await readFile(CONFIG_TOML, 'utf8')
    expect(documentationProblems(shipped.replace('[health]', '[healthz]'), SECTIONS)).toEqual(
      expect.arrayContaining(['[health] has no header', '[healthz] is not a section of the table']),
    )
    expect(documentationProblems(`${shipped}\n# retired_key = 1\n`, SECTIONS)).toEqual([
      '[http2] documents retired_key, which is not in the table',
    ])
    expect(documentationProblems(shipped.replace('# max_conns_per_ip = 4', 'max_conns_per_ip = 4'), SECTIONS)).toEqual([
      'pool.max_conns_per_ip is set but the table has no default',
    ])
    expect(documentationProblems(shipped.replace('\nmax_pending = 1000', '\n# max_pending = 1000'), SECTIONS)).toEqual([
      'pool.max_pending is commented out but the table has a default',
    ])
  })
})
