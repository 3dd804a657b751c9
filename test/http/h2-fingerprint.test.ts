/**
 * hotconn's HTTP/2 first flight against the browser captures: a local server records the raw
 * frames of each connection (parsed by hand in the test helper) and the decoded header lists.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { getHttpProfile } from '../../src/fingerprint/profiles/index.js'
import type { RequestKind } from '../../src/fingerprint/http.js'
import type { ProfileName } from '../../src/config/index.js'
import { H2Channel } from '../../src/http/h2-channel.js'
import { connect } from '../../src/tls/connect.js'
import {
  akamaiOf,
  startH2Recorder,
  type H2Recorder,
  type RecordedConnection,
  type RecordedFrame,
} from './helpers/h2-recorder.js'

const CAPTURES = new URL('../fixtures/captures/', import.meta.url)

/** The first request of `path` in the Xvfb request captures (`*-requests/h2.json`) as a HEADERS frame. */
function requestCapture(
  browser: 'chromium-156' | 'firefox-esr-153',
  path: string,
): {
  akamai_fingerprint: string
  frame: CapturedFrame
} {
  const file = JSON.parse(readFileSync(new URL(`${browser}-requests/h2.json`, CAPTURES), 'utf8')) as {
    requests: Array<{
      path: string
      akamai: string
      priority: { exclusive: boolean; dependsOn: number; weight: number }
      headers: Array<[string, string]>
    }>
  }
  const r = file.requests.find((q) => q.path === path)!
  return {
    akamai_fingerprint: r.akamai,
    frame: {
      type: 'HEADERS',
      stream: 0,
      flags: 0x25,
      exclusive: r.priority.exclusive,
      depends_on: r.priority.dependsOn,
      weight: r.priority.weight,
      // The capture's `cookie` is the page's (set by the capture server): not a default header.
      headers: r.headers.filter(([n]) => n !== 'cookie'),
    },
  }
}

interface CapturedFrame {
  type: string
  stream: number
  flags: number
  exclusive?: boolean
  depends_on?: number
  weight?: number
  increment?: number
  headers?: Array<[string, string]>
}

function capture(path: string): { akamai_fingerprint: string; frames: CapturedFrame[] } {
  return JSON.parse(readFileSync(new URL(path, CAPTURES), 'utf8')) as {
    akamai_fingerprint: string
    frames: CapturedFrame[]
  }
}

let rec: H2Recorder
beforeAll(async () => {
  rec = await startH2Recorder()
})
afterAll(async () => {
  await rec.close()
})

/** One connection with `profile`, requests sent one after another; returns what the server recorded. */
async function flight(
  profile: ProfileName,
  kind: RequestKind,
  requests: Array<Record<string, string>>,
): Promise<RecordedConnection> {
  const before = rec.connections.length
  const socket = await connect({ host: 'h2.test', ip: '127.0.0.1', port: rec.port, profile, ca: rec.caPem })
  expect(socket.alpnProtocol).toBe('h2')
  const http = getHttpProfile(profile)
  const channel = new H2Channel(socket, {
    origin: `https://h2.test:${rec.port}`,
    fingerprint: http.http2,
    defaultHeaders: http.headers[kind].h2,
    kind,
  })
  try {
    for (const headers of requests) {
      const res = await request(`https://h2.test:${rec.port}/`, { dispatcher: channel.client, headers })
      expect(res.statusCode).toBe(200)
      expect(await res.body.text()).toBe('ok')
    }
  } finally {
    await channel.close()
  }
  expect(rec.connections.length).toBe(before + 1)
  return rec.connections[before]!
}

const NAMES = (list: Array<[string, string]>): string[] => list.map(([n]) => n)
/**
 * Header values that depend on the server's port or the page, not on the browser; and `sec-ch-ua`,
 * whose product brand is Chrome's in the identity and absent in Debian's Chromium build (checked apart).
 */
const valuesOf = (list: Array<[string, string]>): Array<[string, string]> =>
  list.filter(([n]) => n !== ':authority' && n !== 'referer' && n !== ':path' && n !== 'sec-ch-ua')
const CHROME_156_SEC_CH_UA = '"Not:A-Brand";v="8", "Chromium";v="156", "Google Chrome";v="156"'
const headersFrames = (c: RecordedConnection): RecordedFrame[] => c.frames.filter((f) => f.type === 1)

describe('first flight vs the captures', () => {
  it('chrome: Akamai 1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p, SETTINGS then WINDOW_UPDATE then HEADERS on stream 1', async () => {
    const cap = capture('chromium-156/chromium-01.h2.json')
    const xvfb = requestCapture('chromium-156', '/r/document/top')
    const conn = await flight('chrome-156-linux', 'navigation', [{}])
    expect(akamaiOf(conn)).toBe('1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p')
    expect(akamaiOf(conn)).toBe(cap.akamai_fingerprint)
    const order = conn.frames
      .filter((f) => !(f.type === 4 && (f.flags & 1) !== 0))
      .slice(0, 3)
      .map((f) => [f.type, f.streamId])
    expect(order).toEqual([
      [4, 0],
      [8, 0],
      [1, 1],
    ])
    const h = headersFrames(conn)[0]!
    expect(xvfb.akamai_fingerprint).toBe(cap.akamai_fingerprint)
    const c = xvfb.frame
    expect(h.flags).toBe(cap.frames.find((f) => f.type === 'HEADERS')!.flags) // 0x25 END_STREAM|END_HEADERS|PRIORITY
    expect(h.priority).toEqual({ exclusive: c.exclusive, dependsOn: c.depends_on, weight: c.weight })
    const got = conn.headers.get(1)!
    expect(NAMES(got)).toEqual(NAMES(c.headers!))
    expect(valuesOf(got)).toEqual(valuesOf(c.headers!))
    expect(got.find(([n]) => n === 'sec-ch-ua')![1]).toBe(CHROME_156_SEC_CH_UA)
    expect(conn.frames.some((f) => f.type === 2)).toBe(false) // no PRIORITY frames
  })

  it('chrome image requests: the captured order (referer in its slot) and weight 183', async () => {
    const c = requestCapture('chromium-156', '/r/image/top.gif').frame
    const conn = await flight('chrome-156-linux', 'image', [{}, { referer: `https://h2.test:${rec.port}/` }])
    const [first, second] = headersFrames(conn)
    expect(first!.priority).toEqual({ exclusive: true, dependsOn: 0, weight: 183 })
    expect(second!.streamId).toBe(3)
    const got = conn.headers.get(3)!
    expect(NAMES(got)).toEqual(NAMES(c.headers!))
    expect(valuesOf(got)).toEqual(valuesOf(c.headers!))
    expect(got.find(([n]) => n === 'sec-ch-ua')![1]).toBe(CHROME_156_SEC_CH_UA)
    expect(NAMES(conn.headers.get(1)!)).toEqual(NAMES(c.headers!).filter((n) => n !== 'referer'))
  })

  it('firefox: Akamai 1:65536;2:0;4:131072;5:16384|12517377|0|m,p,a,s, first request on stream 3, stream WINDOW_UPDATE after it', async () => {
    const cap = capture('firefox-esr-153/firefox-01.h2.json')
    const conn = await flight('firefox-153-linux', 'navigation', [{}, {}])
    expect(akamaiOf(conn)).toBe('1:65536;2:0;4:131072;5:16384|12517377|0|m,p,a,s')
    expect(akamaiOf(conn)).toBe(cap.akamai_fingerprint)
    const hs = headersFrames(conn)
    expect(hs.map((f) => f.streamId)).toEqual([3, 5])
    expect(conn.frames.some((f) => f.streamId === 1)).toBe(false) // stream 1 never appears
    const c = requestCapture('firefox-esr-153', '/r/document/top').frame
    expect(hs[0]!.flags).toBe(cap.frames.find((f) => f.type === 'HEADERS')!.flags)
    expect(hs[0]!.priority).toEqual({ exclusive: c.exclusive, dependsOn: c.depends_on, weight: c.weight })
    // Each HEADERS is followed at once by WINDOW_UPDATE 12451840 on its stream, as in the capture.
    for (const h of hs) {
      const next = conn.frames[conn.frames.indexOf(h) + 1]!
      expect(next).toMatchObject({ type: 8, streamId: h.streamId, increment: 12451840 })
    }
    const capWu = cap.frames.find((f) => f.type === 'WINDOW_UPDATE' && f.stream === 3)!
    expect(capWu.increment).toBe(12451840)
    const got = conn.headers.get(3)!
    expect(NAMES(got)).toEqual(NAMES(c.headers!))
    expect(valuesOf(got)).toEqual(valuesOf(c.headers!))
  })

  it('firefox image requests: the captured order and weight 12', async () => {
    const c = requestCapture('firefox-esr-153', '/r/image/top.gif').frame
    const conn = await flight('firefox-153-linux', 'image', [{ referer: `https://h2.test:${rec.port}/` }])
    const h = headersFrames(conn)[0]!
    expect(h.streamId).toBe(3)
    expect(h.priority).toEqual({ exclusive: c.exclusive, dependsOn: c.depends_on, weight: c.weight })
    const got = conn.headers.get(3)!
    expect(NAMES(got)).toEqual(NAMES(c.headers!))
    expect(valuesOf(got)).toEqual(valuesOf(c.headers!))
  })

  it('large responses flow under the shifted stream ids and the raised windows (firefox)', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 7)
    const local = await startH2Recorder({
      onStream: (stream) => {
        stream.respond({ ':status': 200 })
        stream.end(big)
        return true
      },
    })
    try {
      const socket = await connect({
        host: 'h2.test',
        ip: '127.0.0.1',
        port: local.port,
        profile: 'firefox',
        ca: local.caPem,
      })
      const http = getHttpProfile('firefox')
      const channel = new H2Channel(socket, { origin: `https://h2.test:${local.port}`, fingerprint: http.http2 })
      const sizes = await Promise.all(
        [1, 2, 3].map(async () => {
          const res = await request(`https://h2.test:${local.port}/big`, { dispatcher: channel.client })
          return (await res.body.arrayBuffer()).byteLength
        }),
      )
      expect(sizes).toEqual([big.length, big.length, big.length])
      expect(headersFrames(local.connections[0]!).map((f) => f.streamId)).toEqual([3, 5, 7])
      await channel.close()
    } finally {
      await local.close()
    }
  })
})

describe('caller headers', () => {
  it('override defaults, keep their order and case-insensitive names; defaults fill in around them', async () => {
    const conn = await flight('chrome', 'image', [
      { 'x-first': '1', 'User-Agent': 'custom/1', accept: 'image/png', 'x-last': '2' },
    ])
    const names = NAMES(conn.headers.get(1)!)
    expect(names.filter((n) => ['x-first', 'user-agent', 'accept', 'x-last'].includes(n))).toEqual([
      'x-first',
      'user-agent',
      'accept',
      'x-last',
    ])
    expect(conn.headers.get(1)!.find(([n]) => n === 'user-agent')![1]).toBe('custom/1')
    expect(names.filter((n) => n === 'user-agent')).toHaveLength(1)
    expect(names).toContain('sec-ch-ua')
  })
})
