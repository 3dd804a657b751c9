import { describe, expect, it } from 'vitest'
import { checkJobData, FleetError, MAX_BATCH } from '../../../src/tiles/index.js'

const good = { template: 'https://tiles.test/{z}/{x}/{y}.png', subdomains: [], tiles: [0, 0, 0, 3, 7, 7] }

describe('checkJobData: a job taken from the fleet queue', () => {
  it('accepts what enqueueTiles puts there', () => {
    expect(checkJobData(good)).toBe(good)
    expect(checkJobData({ ...good, tiles: Array.from({ length: 3 * MAX_BATCH }, () => 0) }).tiles).toHaveLength(30_000)
  })

  it.each([
    ['no data', null],
    ['a string', 'tiles'],
    ['no template', { ...good, template: undefined }],
    ['a huge template', { ...good, template: 'x'.repeat(5000) }],
    ['subdomains that are not strings', { ...good, subdomains: [1] }],
    ['no tiles', { ...good, tiles: [] }],
    ['a partial triple', { ...good, tiles: [1, 0] }],
    ['too many tiles', { ...good, tiles: Array.from({ length: 3 * MAX_BATCH + 3 }, () => 0) }],
    ['a zoom above 30', { ...good, tiles: [31, 0, 0] }],
    ['x outside the zoom', { ...good, tiles: [3, 8, 0] }],
    ['a negative y', { ...good, tiles: [3, 0, -1] }],
    ['a fraction', { ...good, tiles: [3, 0.5, 0] }],
    ['a string coordinate', { ...good, tiles: [3, '1', 0] }],
  ])('refuses %s with ERR_FLEET', (_, data) => {
    let err: unknown
    try {
      checkJobData(data)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(FleetError)
    expect((err as FleetError).code).toBe('ERR_FLEET')
    expect((err as Error).message).toMatch(/not a hotconn tile job .*hotconn tiles enqueue/)
  })
})
