/** `--headers-timeout` and `--body-timeout` set the pool's deadlines over the config file's; bad values are exit-2 errors. */
import { describe, expect, it } from 'vitest'
import { poolOptionsFromFlags } from '../../src/cli/pool-flags.js'
import { InvalidArgumentError } from '../../src/errors.js'

describe('pool deadline flags', () => {
  it('default to the config (30 s), and override it', async () => {
    const plain = await poolOptionsFromFlags({})
    expect([plain.pool.headersTimeoutMs, plain.pool.bodyTimeoutMs]).toEqual([30_000, 30_000])
    const set = await poolOptionsFromFlags({ 'headers-timeout': '1500ms', 'body-timeout': '2m' })
    expect([set.pool.headersTimeoutMs, set.pool.bodyTimeoutMs]).toEqual([1_500, 120_000])
  })

  it('reject what is not a positive duration, naming the flag', async () => {
    for (const [flag, value] of [
      ['headers-timeout', '0'],
      ['body-timeout', 'soon'],
    ] as const) {
      const err = await poolOptionsFromFlags({ [flag]: value }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(InvalidArgumentError)
      expect((err as Error).message).toContain(`--${flag}`)
    }
  })
})
