/**
 * The HTTP/1.1 request head of each profile against the browsers' `.http.txt` captures: the pool
 * sends requests over HTTP/1.1 (server offers only http/1.1), a raw TLS server records the heads,
 * and the field names must come in the captured order and case. Values that depend on the origin
 * (Host, Referer) are not compared.
 */
import { readFileSync } from 'node:fs'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getHttpProfile } from '../../src/fingerprint/profiles/index.js'
import { headLayout, rewriteRequestHead } from '../../src/http/h1-head.js'
import { HotConnPool } from '../../src/pool/index.js'
import { startH2Recorder, type H2Recorder } from './helpers/h2-recorder.js'

const CAPTURES = new URL('../fixtures/captures/', import.meta.url)

function capturedNames(file: string): string[] {
  const text = readFileSync(new URL(file, CAPTURES), 'latin1')
  return text
    .split('\r\n')
    .slice(1)
    .filter((l) => l.includes(':'))
    .map((l) => l.slice(0, l.indexOf(':')))
}

function headNames(head: string): string[] {
  return head
    .split('\r\n')
    .slice(1)
    .filter((l) => l.includes(':'))
    .map((l) => l.slice(0, l.indexOf(':')))
}

describe('rewriteRequestHead', () => {
  it("moves undici's host and connection lines to the layout's places, in its spelling", () => {
    const layout = headLayout(getHttpProfile('firefox').headers.image.h1)!
    const undici =
      'GET /a.png HTTP/1.1\r\nhost: t.test\r\nconnection: keep-alive\r\nUser-Agent: x\r\nAccept: y\r\nAccept-Language: z\r\nAccept-Encoding: gzip\r\nSec-Fetch-Dest: image\r\nX-Caller: 1\r\n\r\n'
    expect(rewriteRequestHead(undici, layout)).toBe(
      'GET /a.png HTTP/1.1\r\nHost: t.test\r\nUser-Agent: x\r\nAccept: y\r\nAccept-Language: z\r\nAccept-Encoding: gzip\r\nConnection: keep-alive\r\nSec-Fetch-Dest: image\r\nX-Caller: 1\r\n\r\n',
    )
  })

  it("leaves a head without undici's host line alone", () => {
    const layout = headLayout(getHttpProfile('chrome').headers.image.h1)!
    expect(rewriteRequestHead('GET / HTTP/1.1\r\nX: 1\r\n\r\n', layout)).toBe('GET / HTTP/1.1\r\nX: 1\r\n\r\n')
  })
})

describe('HTTP/1.1 heads through the pool vs the captures', () => {
  let rec: H2Recorder
  beforeAll(async () => {
    rec = await startH2Recorder({ alpn: ['http/1.1'], hostname: 'tiles.test' })
  })
  afterAll(() => rec.close())

  const cases = [
    { profile: 'chrome', kind: 'navigation', path: '/', capture: 'chromium-156/chromium_ice-01.http.txt' },
    { profile: 'chrome', kind: 'image', path: '/px.gif', capture: 'chromium-156/chromium_ice-02.http.txt' },
    { profile: 'firefox', kind: 'image', path: '/px.gif', capture: 'firefox-esr-153/firefox_ca-01.http.txt' },
  ] as const

  for (const c of cases) {
    it(`${c.profile} ${c.kind}: field names in the captured order and case (${c.capture})`, async () => {
      const pool = new HotConnPool({
        ca: rec.caPem,
        tls: { profile: c.profile },
        http2: { defaultHeaders: c.kind },
        pool: { warmConnsPerIp: 0 },
      })
      try {
        const before = rec.connections.length
        const origin = `https://127.0.0.1:${rec.port}`
        // The captured image is same-origin (Sec-Fetch-Site: same-origin): its page is the target's origin.
        const headers = c.kind === 'image' ? { referer: `${origin}/` } : {}
        const res = await request(`${origin}${c.path}`, { dispatcher: pool, headers })
        await res.body.dump()
        const conn = rec.connections[before]!
        expect(conn.alpn).toBe('http/1.1')
        const want = capturedNames(c.capture)
        const got = headNames(conn.h1Heads[0]!)
        expect(got).toEqual(want)
      } finally {
        await pool.close()
      }
    })
  }
})
