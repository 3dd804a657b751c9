import { describe, expect, it } from 'vitest'
import { Blacklist, MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../src/pool/blacklist.js'

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('2025-01-01T00:00:00Z')
  it('reads delay-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0)
  })
  it('rejects junk and clamps huge values', () => {
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter('-5', now)).toBeUndefined()
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
    expect(parseRetryAfter('99999999', now)).toBe(MAX_RETRY_AFTER_MS)
  })
})

describe('Blacklist', () => {
  const opts = { statusCodes: [403, 429], failureThreshold: 3, ttlMs: 1000 }
  it('blacklists after failureThreshold strikes in a row, for ttl', () => {
    const b = new Blacklist(opts)
    expect(b.isStrikeStatus(403)).toBe(true)
    expect(b.isStrikeStatus(500)).toBe(false)
    expect(b.strike('k', 'HTTP 403', 0)).toBeNull()
    expect(b.strike('k', 'HTTP 403', 0)).toBeNull()
    const r = b.strike('k', 'HTTP 403', 10)
    expect(r?.until).toBe(1010)
    expect(r?.reason).toContain('HTTP 403')
    expect(b.get('k')).toEqual(r)
    expect(b.nextExpiry()).toBe(1010)
    expect(b.expire(1009)).toEqual([])
    expect(b.expire(1010)).toEqual(['k'])
    expect(b.get('k')).toBeUndefined()
    expect(b.strikes('k')).toBe(0)
  })
  it('a success resets the strikes', () => {
    const b = new Blacklist(opts)
    b.strike('k', 'x', 0)
    b.strike('k', 'x', 0)
    b.success('k')
    expect(b.strike('k', 'x', 0)).toBeNull()
    expect(b.strikes('k')).toBe(1)
  })
  it('Retry-After blacklists at once for its duration', () => {
    const b = new Blacklist(opts)
    const r = b.strike('k', 'HTTP 429', 100, 5000)
    expect(r?.until).toBe(5100)
    expect(b.strike('k', 'HTTP 429', 100, 5000)).toBeNull()
  })
})
