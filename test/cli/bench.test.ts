import { describe, expect, it } from 'vitest'
import { parseBenchArgs } from '../../bench/run.js'
import { main } from '../../src/cli/main.js'

function capture(): {
  io: { stdout: { write(c: string): boolean }; stderr: { write(c: string): boolean } }
  out: () => string
  err: () => string
} {
  let out = ''
  let err = ''
  return {
    io: { stdout: { write: (c: string) => ((out += c), true) }, stderr: { write: (c: string) => ((err += c), true) } },
    out: () => out,
    err: () => err,
  }
}

describe('hotconn bench', () => {
  it('is listed in the usage', async () => {
    const c = capture()
    expect(await main(['--help'], c.io)).toBe(0)
    expect(c.out()).toMatch(/^\s+bench\s+run the performance harness/m)
  })

  it('runs the harness entry in a child process and passes its exit code and output through', async () => {
    const help = capture()
    expect(await main(['bench', '--help'], help.io)).toBe(0)
    expect(help.out()).toContain('--scenario <ids>')
    const bad = capture()
    expect(await main(['bench', '--scenario', 'nope'], bad.io)).toBe(2)
    expect(bad.err()).toContain('unknown scenario "nope"')
  })

  it('parses scenario lists and flags', () => {
    const a = parseBenchArgs(['--quick', '--scenario', 'hot,cold', '--scenario', 'rtt', '--no-peers'])
    expect(a.quick).toBe(true)
    expect(a.scenarios).toEqual(['hot', 'cold', 'rtt'])
    expect(a.peers).toBe(false)
    expect(a.install).toBe(true)
    expect(parseBenchArgs([]).scenarios).toEqual(['hot', 'tiles', 'h2', 'cold', 'rtt', 'scale'])
    expect(() => parseBenchArgs(['--scenario', 'warp'])).toThrow(/unknown scenario/)
  })
})
