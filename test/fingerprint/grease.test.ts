import { describe, expect, it } from 'vitest'
import { GREASE_VALUES, chooseGrease, isGrease, randomGrease } from '../../src/fingerprint/grease.js'

describe('GREASE (RFC 8701)', () => {
  it('has the 16 values 0x0a0a … 0xfafa', () => {
    expect(GREASE_VALUES).toHaveLength(16)
    expect(GREASE_VALUES[0]).toBe(0x0a0a)
    expect(GREASE_VALUES[15]).toBe(0xfafa)
    for (const v of GREASE_VALUES) expect(isGrease(v)).toBe(true)
    for (const v of [0x0000, 0x1301, 0x0a1a, 0x1a0a, 0xfefe, 0x0b0b, 0x44cd]) expect(isGrease(v)).toBe(false)
  })

  it('draws every value, and two different extension values per connection', () => {
    const seen = new Set<number>()
    for (let i = 0; i < 2000; i++) {
      seen.add(randomGrease())
      const g = chooseGrease()
      expect(g.extension1).not.toBe(g.extension2)
      for (const v of Object.values(g)) expect(isGrease(v)).toBe(true)
    }
    expect(seen.size).toBe(16)
  })
})
