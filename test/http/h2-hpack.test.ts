/**
 * HPACK choices against the browsers' captures: hotconn replays each browser's first HTTP/2
 * connection of the request captures (same header lists, in order, on one connection) and every
 * header block must have the capture's representations field for field: kind (indexed, literal
 * with incremental indexing, without indexing, never indexed), name reference, Huffman flags and
 * strings (the values that carry the server's port aside: `:authority`, `referer`).
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import type { ProfileName } from '../../src/config/index.js'
import { getHttpProfile } from '../../src/fingerprint/profiles/index.js'
import { H2Channel } from '../../src/http/h2-channel.js'
import { connect } from '../../src/tls/connect.js'
import { startH2Recorder, type H2Recorder } from './helpers/h2-recorder.js'
import { readRepresentations, type Representation } from './helpers/hpack-reader.js'

interface CapturedRequest {
  connection: number
  sequence: number
  path: string
  authority: string
  hpack: string
  headers: Array<[string, string]>
}

const HOST = 'www.hotconn-a.test'

/** The capture's requests of its first connection to HOST, in wire order. */
function firstConnection(browser: string): CapturedRequest[] {
  const url = new URL(`../fixtures/captures/${browser}-requests/h2.json`, import.meta.url)
  const all = (JSON.parse(readFileSync(url, 'utf8')) as { requests: CapturedRequest[] }).requests
  return all
    .filter((r) => r.connection === 1 && r.authority.startsWith(`${HOST}:`))
    .sort((a, b) => a.sequence - b.sequence)
}

/** Representations with the strings that carry the origin's port blanked. */
function shape(block: Buffer, names: string[]): Array<Representation & { field: string }> {
  return readRepresentations(block).map((r, i) => {
    const field = names[i] ?? '?'
    const blank = field === ':authority' || field === 'referer' || field === 'origin'
    return { ...r, field, ...(blank && r.value !== undefined ? { value: { ...r.value, value: '…' } } : {}) }
  })
}

/**
 * The one choice left to nghttp2 on the Chromium side: it never indexes a cookie crumb shorter
 * than 20 octets, where Chromium's encoder indexes it (incremental), so from the first cookie on
 * the peer's dynamic table holds one entry less, later dynamic indexes differ by one and the
 * crumb is sent again as a literal where Chromium sends its index. Changing
 * that would put an entry in the peer's table that nghttp2 does not know of (docs/identities.md).
 */
function chromiumCookieGap(list: ReturnType<typeof shape>): unknown[] {
  return list.map((r) =>
    r.field === 'cookie' ? { field: 'cookie' } : { ...r, index: r.index > 61 ? 'dynamic' : r.index },
  )
}

let rec: H2Recorder
beforeAll(async () => {
  rec = await startH2Recorder({ hostname: HOST })
})
afterAll(async () => {
  await rec.close()
})

const CASES: Array<[ProfileName, string]> = [
  ['firefox-153-linux', 'firefox-esr-153'],
  ['chrome-156-linux', 'chromium-156'],
]

describe('HPACK representations vs the captures', () => {
  for (const [profile, browser] of CASES) {
    it(`${profile}: every header block of the first connection as ${browser} encoded it`, async () => {
      const captured = firstConnection(browser)
      expect(captured.length).toBeGreaterThan(10)
      const before = rec.connections.length
      const socket = await connect({ host: HOST, ip: '127.0.0.1', port: rec.port, profile, ca: rec.caPem })
      const http = getHttpProfile(profile)
      const channel = new H2Channel(socket, {
        origin: `https://${HOST}:${rec.port}`,
        fingerprint: http.http2,
        // No defaults: each request carries the captured header list as it is, in its order.
      })
      try {
        for (const c of captured) {
          const headers = c.headers
            .filter(([n]) => !n.startsWith(':'))
            .map(([n, v]): [string, string] => [n, v.replaceAll(c.authority, `${HOST}:${rec.port}`)])
          const res = await request(`https://${HOST}:${rec.port}${c.path}`, {
            dispatcher: channel.client,
            headers: headers.flat(),
          })
          await res.body.dump()
        }
      } finally {
        await channel.close()
      }
      const conn = rec.connections[before]!
      const blocks = conn.frames.filter((f) => f.type === 1).map((f) => f.block!)
      expect(blocks).toHaveLength(captured.length)
      captured.forEach((c, i) => {
        const names = c.headers.map(([n]) => n)
        const ours = shape(blocks[i]!, names)
        const theirs = shape(Buffer.from(c.hpack, 'hex'), names)
        if (browser === 'firefox-esr-153' || i === 0) expect(ours, c.path).toEqual(theirs)
        else expect(chromiumCookieGap(ours), c.path).toEqual(chromiumCookieGap(theirs))
      })
    })
  }
})

describe('cookie crumbs and never-indexed fields', () => {
  for (const [profile, authorization] of [
    ['firefox-153-linux', 'never'],
    // nghttp2 never indexes `authorization` on its own; no capture here shows Chromium's choice.
    ['chrome-156-linux', 'never'],
  ] as const) {
    it(`${profile}: one cookie field per pair; crumbs under 20 octets and authorization never indexed`, async () => {
      const before = rec.connections.length
      const socket = await connect({ host: HOST, ip: '127.0.0.1', port: rec.port, profile, ca: rec.caPem })
      const channel = new H2Channel(socket, {
        origin: `https://${HOST}:${rec.port}`,
        fingerprint: getHttpProfile(profile).http2,
      })
      const long = 'session=0123456789abcdefghij'
      try {
        const res = await request(`https://${HOST}:${rec.port}/c`, {
          dispatcher: channel.client,
          headers: { cookie: `a=1; b=2; ${long}`, authorization: 'Bearer t' },
        })
        await res.body.dump()
      } finally {
        await channel.close()
      }
      const conn = rec.connections[before]!
      const list = conn.headers.get(profile.startsWith('firefox') ? 3 : 1)!
      expect(list.filter(([n]) => n === 'cookie').map(([, v]) => v)).toEqual(['a=1', 'b=2', long])
      const block = conn.frames.find((f) => f.type === 1)!.block!
      const kinds = shape(
        block,
        list.map(([n]) => n),
      ).filter((r) => r.field === 'cookie' || r.field === 'authorization')
      expect(kinds.map((r) => [r.field, r.kind])).toEqual([
        ['cookie', 'never'],
        ['cookie', 'never'],
        ['cookie', 'incremental'],
        ['authorization', authorization],
      ])
    })
  }
})
