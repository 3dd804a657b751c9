import { describe, expect, it } from 'vitest'
import { Progress } from '../../src/cli/progress.js'
import { recorder } from './helpers.js'

describe('Progress', () => {
  it('prints a line at every 10 % step when not a terminal', () => {
    const s = recorder(false)
    let t = 0
    const p = new Progress(s, { total: 50, label: 'tiles', now: () => t })
    for (let i = 0; i < 50; i++) {
      t += 10
      p.tick(1, 'x')
    }
    p.finish()
    const lines = s.text.trimEnd().split('\n')
    expect(lines).toHaveLength(10)
    expect(lines[0]).toBe('5/50 tiles  10%  100/s  x')
    expect(lines[9]).toBe('50/50 tiles 100%  100/s  x')
  })

  it('ends with a final line when stopped short', () => {
    const s = recorder(false)
    const p = new Progress(s, { total: 100, now: () => 0 })
    p.tick(3)
    p.finish('stopped')
    p.finish('again')
    expect(s.text).toBe('3/100 done   3%  0/s  stopped\n')
  })

  it('redraws one bar in place on a terminal, throttled', () => {
    const s = recorder(true)
    let t = 0
    const p = new Progress(s, { total: 4, label: 'tiles', redrawMs: 100, now: () => t })
    p.tick() // drawn (first)
    p.tick() // throttled
    t = 200
    p.tick() // drawn
    p.tick() // last: always drawn
    p.finish()
    const frames = s.text.split('\r').filter((f) => f !== '')
    expect(frames).toHaveLength(4)
    expect(frames[0]).toMatch(/^\[#{8}\.{22}\] 1\/4 tiles  25%/)
    expect(frames[3]).toMatch(/^\[#{30}\] 4\/4 tiles 100%.*\x1b\[K\n$/)
  })

  it('rejects a bad total', () => {
    expect(() => new Progress(recorder(), { total: 0 })).toThrow(RangeError)
  })
})
