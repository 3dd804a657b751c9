import { describe, expect, it } from 'vitest'
import { lineOf, locateKeys } from '../../src/config/locate.js'

describe('locateKeys', () => {
  it('finds keys under table headers, dotted keys, quoted keys and inline tables', () => {
    const text = [
      '# comment with = and [brackets]', // 1
      'top = 1', // 2
      '[pool]', // 3
      'max_idle_conns = 5  # trailing', // 4
      '"quoted key" = "a # not a comment"', // 5
      'dotted.inner = true', // 6
      '[ dns ]', // 7
      'servers = [', // 8
      '  "127.0.0.1:53", # first', // 9
      '  "[::1]:53",', // 10
      ']', // 11
      'family = 4', // 12
      'nested = { a = 1, b = { c = "x" } }', // 13
      "s = '''", // 14
      'line = 2', // 15
      "'''", // 16
      'm = """', // 17
      'still = string \\"""', // 18
      '"""', // 19
      'after = 1', // 20
      '[blacklist]', // 21
      'status_codes = [403, [1, 2], 429]', // 22
    ].join('\n')
    const lines = locateKeys(text)
    expect(lines.get('top')).toBe(2)
    expect(lines.get('pool')).toBe(3)
    expect(lines.get('pool.max_idle_conns')).toBe(4)
    expect(lines.get('pool.quoted key')).toBe(5)
    expect(lines.get('pool.dotted.inner')).toBe(6)
    expect(lines.get('dns')).toBe(7)
    expect(lines.get('dns.servers')).toBe(8)
    expect(lines.get('dns.servers[0]')).toBe(9)
    expect(lines.get('dns.servers[1]')).toBe(10)
    expect(lines.get('dns.family')).toBe(12)
    expect(lines.get('dns.nested.b.c')).toBe(13)
    expect(lines.get('dns.line')).toBeUndefined()
    expect(lines.get('dns.still')).toBeUndefined()
    expect(lines.get('dns.after')).toBe(20)
    expect(lines.get('blacklist.status_codes[2]')).toBe(22)
    expect(lines.get('blacklist.status_codes[1][1]')).toBe(22)
  })

  it('handles CRLF line ends and dotted table headers', () => {
    const lines = locateKeys('a = 1\r\n[x.y]\r\nb = 2\r\n')
    expect(lines.get('a')).toBe(1)
    expect(lines.get('x.y')).toBe(2)
    expect(lines.get('x.y.b')).toBe(3)
  })

  it('lineOf falls back to the nearest located ancestor', () => {
    const lines = locateKeys('[pool]\nx = [1,\n 2]\n')
    expect(lineOf(lines, 'pool.x[1]')).toBe(3)
    expect(lineOf(lines, 'pool.missing')).toBe(1)
    expect(lineOf(lines, 'nowhere')).toBeUndefined()
  })
})
