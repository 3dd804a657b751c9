import { describe, expect, it } from 'vitest'
import { checkContent, sniffImage } from '../../src/tiles/content.js'
import { gcraReserve, LocalBudget, parseRate, poolSizeForRpm } from '../../src/tiles/rate.js'
import { DEFAULT_RETRY, isRetryable, retryDelayMs } from '../../src/tiles/retry.js'
import { tileBody } from '../../src/demo/index.js'

describe('retry policy', () => {
  const strike = [403, 429]
  it.each([
    [{ kind: 'status', status: 500 }, true],
    [{ kind: 'status', status: 503 }, true],
    [{ kind: 'status', status: 429 }, true],
    [{ kind: 'status', status: 408 }, true],
    [{ kind: 'status', status: 403 }, true],
    [{ kind: 'status', status: 404 }, false],
    [{ kind: 'status', status: 400 }, false],
    [{ kind: 'error', code: 'ERR_CONNECT' }, true],
    [{ kind: 'error', code: 'ERR_TLS_ALERT' }, true],
    [{ kind: 'error', code: 'ERR_POOL_CLOSED' }, false],
    [{ kind: 'bad_content' }, false],
  ] as const)('%o retryable: %s', (r, want) => {
    expect(isRetryable(r, strike)).toBe(want)
  })

  it('backs off exponentially with full jitter, capped', () => {
    const p = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999999 }
    const r = { kind: 'status', status: 500 } as const
    expect([2, 3, 4, 5, 6, 9].map((n) => Math.round(retryDelayMs(n, r, p)!))).toEqual([100, 200, 400, 800, 1000, 1000])
    expect(retryDelayMs(3, r, { ...p, random: () => 0 })).toBe(0)
    const spread = new Set(
      Array.from({ length: 50 }, () => Math.round(retryDelayMs(4, r, { ...p, random: Math.random })!)),
    )
    expect(spread.size).toBeGreaterThan(10)
  })

  it('waits at least Retry-After (seconds or an HTTP-date), and gives up when it is too long', () => {
    const p = { ...DEFAULT_RETRY, baseDelayMs: 10, random: () => 0.5, maxRetryAfterMs: 60_000 }
    const now = Date.UTC(2026, 0, 1)
    expect(retryDelayMs(2, { kind: 'status', status: 429, retryAfter: '7' }, p, now)).toBe(7000)
    const date = new Date(now + 30_000).toUTCString()
    expect(retryDelayMs(2, { kind: 'status', status: 503, retryAfter: date }, p, now)).toBe(30_000)
    expect(retryDelayMs(2, { kind: 'status', status: 429, retryAfter: '3600' }, p, now)).toBeUndefined()
    expect(retryDelayMs(2, { kind: 'status', status: 429, retryAfter: 'soon' }, p, now)).toBe(5)
  })
})

describe('rates', () => {
  it('parses N/s and N/min', () => {
    expect(parseRate('50/s')).toBe(50)
    expect(parseRate('50')).toBe(50)
    expect(parseRate('3000/min')).toBe(50)
    expect(parseRate(' 120 / m')).toBe(2)
    expect(() => parseRate('fast')).toThrow(/--rate must be N\/s/)
    expect(() => parseRate('0/s')).toThrow(/--rate/)
  })

  it('sizes pools as max(10, min(200, rpm / 10))', () => {
    expect(poolSizeForRpm(60)).toBe(10)
    expect(poolSizeForRpm(600)).toBe(60)
    expect(poolSizeForRpm(1500)).toBe(150)
    expect(poolSizeForRpm(3000)).toBe(200)
    expect(poolSizeForRpm(1_000_000)).toBe(200)
  })

  it('GCRA gives evenly spaced slots, never earlier than now', () => {
    let tat = 0
    const slots: number[] = []
    for (let i = 0; i < 5; i++) {
      const r = gcraReserve(tat, 100, 10)
      slots.push(r.slot)
      tat = r.tat
    }
    expect(slots).toEqual([100, 110, 120, 130, 140])
    expect(gcraReserve(140, 500, 10)).toEqual({ slot: 500, tat: 510 })
  })

  it('a LocalBudget paces each host on its own', async () => {
    const budget = new LocalBudget(100)
    const started = performance.now()
    await Promise.all(Array.from({ length: 21 }, () => budget.take('a:443')))
    const a = performance.now() - started
    await budget.take('b:443')
    expect(a).toBeGreaterThanOrEqual(195)
    expect(a).toBeLessThan(600)
    expect(performance.now() - started - a).toBeLessThan(50)
    const stop = new AbortController()
    const waiting = Promise.all(Array.from({ length: 50 }, () => budget.take('a:443', stop.signal)))
    stop.abort()
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' })
  })
})

describe('content checks', () => {
  const png = tileBody(1, 0, 0)
  it('sniffs PNG, JPEG and WebP signatures', () => {
    expect(sniffImage(png)).toBe('png')
    expect(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toBe('jpeg')
    expect(sniffImage(Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'))).toBe('webp')
    expect(sniffImage(Buffer.from('<html>'))).toBeUndefined()
  })

  it('checks emptiness, the content type and, when asked, the signature', () => {
    expect(checkContent('image/png', png, { contentType: 'image/png' })).toBeUndefined()
    expect(checkContent('image/png; q=1', png, { contentType: 'image/' })).toBeUndefined()
    expect(checkContent('image/png', Buffer.alloc(0), {})).toBe('empty body')
    expect(checkContent('text/html', png, { contentType: 'image/' })).toBe('content type text/html, expected image/*')
    expect(checkContent(null, png, { contentType: 'image/png' })).toBe('content type (none), expected image/png')
    expect(checkContent('image/png', Buffer.from('<html>'), { verifyImage: true })).toBe(
      'not a PNG image (signature check)',
    )
    expect(checkContent('image/jpeg', png, { verifyImage: true })).toBe('not a JPEG image (signature check)')
    expect(checkContent('application/octet-stream', png, { verifyImage: true })).toBeUndefined()
  })
})
