import { describe, expect, it } from 'vitest'
import { formatDuration, parseDurationString } from '../../src/config/duration.js'

describe('parseDurationString', () => {
  it.each([
    ['250ms', 250],
    ['60s', 60_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['1.5s', 1_500],
    ['0.25m', 15_000],
    [' 10s ', 10_000],
  ])('%s -> %d ms', (text, ms) => {
    expect(parseDurationString(text)).toBe(ms)
  })

  it.each(['', '10', 's', '10x', '-5s', '1.5', '0.5ms', '5 m', '10sec', '1e3ms', '1m 30s'])('refuses %j', (text) => {
    expect(parseDurationString(text)).toBeUndefined()
  })
})

describe('formatDuration', () => {
  it.each([
    [250, '250ms'],
    [60_000, '1m'],
    [90_000, '1m30s'],
    [1_500, '1500ms'],
    [3_600_000, '1h'],
  ])('%d ms -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
    expect(parseDurationString(text)).toBe(ms)
  })
})
