/**
 * The resumption ClientHello of hotconn's own client: a real ticket from an OpenSSL server, then a
 * resumption attempt sent to the capture server, compared with the browsers' resumption captures
 * (chromium_ice-03, firefox_ca-04) field by field, minus what is random per connection (and the
 * ticket and binder, whose bytes and lengths come from the server that issued the ticket).
 */
import type { Server } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CaptureServer } from '../../src/fingerprint/capture-server.js'
import { isGrease } from '../../src/fingerprint/grease.js'
import { parseClientHello, type ParsedClientHello } from '../../src/fingerprint/parse.js'
import { SessionTicketStore, connect } from '../../src/tls/index.js'
import { ByteReader } from '../../src/util/bytes.js'
import { httpGet, startHttps, testPki, type Started } from '../helpers/servers.js'
import { listCaptures } from './captures.js'
import { ECH_AEADS, normalisedExtensions } from './compare.js'

const PSK = 0x0029
let capture: CaptureServer
let origin: Started<Server>
const pki = testPki()

beforeAll(async () => {
  capture = await CaptureServer.listen({ host: '127.0.0.1', port: 0, timeout: 5_000 })
  origin = await startHttps()
})
afterAll(async () => {
  await capture.close()
  await origin.close()
})

async function resumptionHello(
  profile: 'chrome' | 'firefox',
): Promise<{ hello: ParsedClientHello; ja4: string; ticket: Buffer }> {
  const store = new SessionTicketStore()
  const first = await connect({
    host: 'tiles.test',
    ip: '127.0.0.1',
    port: origin.port,
    profile,
    ca: pki.ca.certPem,
    alpn: ['http/1.1'],
    sessionStore: store,
  })
  await httpGet(first, 'tiles.test')
  const key = SessionTicketStore.key('tiles.test', profile)
  expect(store.count(key)).toBeGreaterThan(0)
  const captured = capture.nextCapture()
  await connect({
    host: 'tiles.test',
    ip: '127.0.0.1',
    port: capture.port,
    profile,
    ca: pki.ca.certPem,
    sessionStore: store,
  }).then(
    (s) => s.destroy(),
    () => undefined,
  )
  const c = (await captured)!
  const pskExt = c.hello.extensions.find((e) => e.type === PSK)!
  const r = new ByteReader(pskExt.body)
  const ticket = r.sub(2).vec(2)
  return { hello: c.hello, ja4: c.fingerprints.ja4, ticket }
}

/** pre_shared_key shape: identities (count), binders (count and lengths). */
function pskShape(hello: ParsedClientHello): { identities: number; binders: number[] } {
  const r = new ByteReader(hello.extensions.find((e) => e.type === PSK)!.body)
  const ids = r.sub(2)
  let identities = 0
  while (ids.remaining) {
    ids.vec(2)
    ids.u32()
    identities++
  }
  const bl = r.sub(2)
  const binders: number[] = []
  while (bl.remaining) binders.push(bl.vec(1).length)
  r.expectEmpty()
  return { identities, binders }
}

function withoutPsk(m: Map<string, unknown>): Record<string, unknown> {
  const o = Object.fromEntries(m)
  delete o['0029']
  return o
}

describe('resumption ClientHello, hotconn client -> capture server', () => {
  it('firefox: same extensions in the same order as firefox_ca-04, session_ticket dropped, pre_shared_key last', async () => {
    const ref = parseClientHello(listCaptures('firefox-esr-153').find((c) => c.name === 'firefox_ca-04')!.bin)
    const { hello, ja4 } = await resumptionHello('firefox')
    expect(ja4).toBe('t13d1617h2_86a278354501_e6dcd7ae0a9e')
    expect(hello.extensions.map((e) => e.type)).toEqual(ref.extensions.map((e) => e.type))
    expect(hello.extensions.some((e) => e.type === 0x0023)).toBe(false)
    expect(withoutPsk(normalisedExtensions(hello, ECH_AEADS.firefox))).toEqual(
      withoutPsk(normalisedExtensions(ref, ECH_AEADS.firefox)),
    )
    expect(pskShape(hello).identities).toBe(pskShape(ref).identities)
    expect(pskShape(hello).binders).toHaveLength(1)
  })

  it('chrome: the extension set of chromium_ice-03, GREASE first, pre_shared_key last after the last GREASE', async () => {
    const ref = parseClientHello(listCaptures('chromium-156').find((c) => c.name === 'chromium_ice-03')!.bin)
    const { hello, ja4 } = await resumptionHello('chrome')
    expect(ja4).toBe('t13d1518h2_8daaf6152771_e2d80978ab2e')
    const types = hello.extensions.map((e) => e.type)
    expect(isGrease(types[0]!)).toBe(true)
    expect(types.at(-1)).toBe(PSK)
    expect(isGrease(types.at(-2)!)).toBe(true)
    const mine = normalisedExtensions(hello, ECH_AEADS.chrome)
    const theirs = normalisedExtensions(ref, ECH_AEADS.chrome)
    expect(new Set(mine.keys())).toEqual(new Set(theirs.keys()))
    expect(withoutPsk(mine)).toEqual(withoutPsk(theirs))
    expect(pskShape(hello).identities).toBe(pskShape(ref).identities)
  })
})
