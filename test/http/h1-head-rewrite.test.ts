/**
 * rewriteRequestHead against a plain statement of its rule (split the head into lines, take the
 * first `host` and `connection` lines out, insert each before the first field the layout places
 * after it), on generated heads: undici's layout (host, connection first) and any other.
 */
import { describe, expect, it } from 'vitest'
import type { HeaderTemplate } from '../../src/fingerprint/http.js'
import { headLayout, rewriteRequestHead, type HeadLayout } from '../../src/http/h1-head.js'

function reference(head: string, layout: HeadLayout): string {
  const end = head.indexOf('\r\n\r\n')
  if (end < 0) return head
  const lines = head.slice(0, end).split('\r\n')
  let host: string | undefined
  let connection: string | undefined
  const fields: string[] = []
  for (const line of lines.slice(1)) {
    if (host === undefined && line.startsWith('host: ')) host = line.slice(6)
    else if (connection === undefined && line.startsWith('connection: ')) connection = line.slice(12)
    else fields.push(line)
  }
  if (host === undefined) return head
  const rankOf = (line: string): number => layout.rank.get(line.slice(0, line.indexOf(':')).toLowerCase()) ?? Infinity
  const insert = (name: string, value: string): void => {
    const r = layout.rank.get(name.toLowerCase())!
    const at = fields.findIndex((f) => rankOf(f) > r)
    fields.splice(at < 0 ? fields.length : at, 0, `${name}: ${value}`)
  }
  insert(layout.host, host)
  if (connection !== undefined) insert(layout.connection, connection)
  return `${lines[0]}\r\n${fields.join('\r\n')}${head.slice(end)}`
}

/** A small deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed | 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

const NAMES = [
  'Host',
  'Connection',
  'User-Agent',
  'Accept',
  'sec-ch-ua',
  'Accept-Encoding',
  'Accept-Language',
  'Referer',
]
const CHROME: HeaderTemplate = NAMES.map((n) => [n, null])
const FIREFOX: HeaderTemplate = [
  ['Host', null],
  ['User-Agent', null],
  ['Accept', null],
  ['Accept-Language', null],
  ['Accept-Encoding', null],
  ['Connection', null],
  ['Referer', null],
]
const BACKWARDS: HeaderTemplate = [...CHROME].reverse()

describe('rewriteRequestHead', () => {
  for (const [label, template] of [
    ['host and connection first', CHROME],
    ['connection late', FIREFOX],
    ['connection before host', BACKWARDS],
  ] as const) {
    it(`matches the rule on 3,000 generated heads (${label})`, () => {
      const layout = headLayout(template)!
      const r = rng(label.length * 7919)
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
      for (let n = 0; n < 3000; n++) {
        const fields: string[] = []
        const count = Math.floor(r() * 7)
        for (let i = 0; i < count; i++) {
          const name = pick([...NAMES.slice(2), 'x-custom', 'X-Other', 'referer', 'ACCEPT', 'noColon'])
          fields.push(name === 'noColon' ? 'noColon' : `${name}: v${i}`)
        }
        const undiciLike = r() < 0.6
        const top = undiciLike ? ['host: tiles.test', ...(r() < 0.8 ? ['connection: keep-alive'] : [])] : []
        if (!undiciLike) {
          if (r() < 0.8) fields.splice(Math.floor(r() * (fields.length + 1)), 0, 'host: a.test')
          if (r() < 0.7) fields.splice(Math.floor(r() * (fields.length + 1)), 0, 'connection: close')
        }
        if (r() < 0.1) fields.push('host: second.test', 'connection: keep-alive')
        const tail = pick(['\r\n\r\n', '\r\n\r\nbody', '\r\ncontent-length: 4\r\n\r\nbody', ''])
        const head = ['GET /p HTTP/1.1', ...top, ...fields].join('\r\n') + tail
        expect(rewriteRequestHead(head, layout), JSON.stringify(head)).toBe(reference(head, layout))
      }
    })
  }
})
