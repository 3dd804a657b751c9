import { describe, expect, it } from 'vitest'
import { parsePins, pinnedResolver } from '../../src/cli/resolver.js'

describe('--resolve pins', () => {
  it('parses hosts and addresses, merging repeats', () => {
    const pins = parsePins(['Tiles.Test=127.0.0.2,127.0.0.3', 'tiles.test=127.0.0.3,[::1]', 'b.test.=10.0.0.1'])
    expect([...pins]).toEqual([
      ['tiles.test', ['127.0.0.2', '127.0.0.3', '::1']],
      ['b.test', ['10.0.0.1']],
    ])
  })

  it.each([
    'tiles.test',
    '=127.0.0.1',
    'tiles.test=',
    'tiles.test=abc',
    '127.0.0.1=127.0.0.2',
    'a b=127.0.0.1',
    'host:443=127.0.0.1',
  ])('rejects %j', (entry) => {
    expect(() => parsePins([entry])).toThrow(/--resolve/)
  })

  it('answers pinned hosts and delegates the others', async () => {
    const asked: string[] = []
    const r = pinnedResolver(parsePins(['tiles.test=127.0.0.2,::1']), () => ({
      resolve: async (host) => {
        asked.push(host)
        return { addresses: [{ address: '127.0.0.9', family: 4, ttlMs: 1000 }], minTtlMs: 1000 }
      },
    }))
    expect(await r.resolve('TILES.test')).toEqual({
      addresses: [
        { address: '127.0.0.2', family: 4, ttlMs: Infinity },
        { address: '::1', family: 6, ttlMs: Infinity },
      ],
      minTtlMs: Infinity,
    })
    expect(asked).toEqual([])
    expect((await r.resolve('other.test')).addresses[0]!.address).toBe('127.0.0.9')
    expect(asked).toEqual(['other.test'])
  })
})
