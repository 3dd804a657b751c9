/**
 * The per-request plan on its own (no network): destinations checked, fetch()'s own fields told
 * from the caller's, plans cached, and redirect hops planned as the browser plans them (referer
 * policy, sec-fetch-site over the chain, the tainted origin, fields dropped across origins).
 */
import { describe, expect, it } from 'vitest'
import type { Dispatcher } from 'undici'
import { getIdentity } from '../../src/fingerprint/identity/table.js'
import { planRequestHeaders } from '../../src/fingerprint/identity/request-plan.js'
import { headerPairs } from '../../src/http/headers.js'
import { HeaderPlanner, prepareRequest, wirePlanOf } from '../../src/http/request-headers.js'

const chrome = new HeaderPlanner(getIdentity('chrome-156-windows'), 'image')
const value = (t: ReadonlyArray<readonly [string, string | null]>, name: string) =>
  t.find(([n]) => n.toLowerCase() === name)?.[1]

function hop(
  handler: object,
  origin: string,
  path: string,
  headers: Record<string, string>,
  extra: object = {},
): Dispatcher.DispatchOptions {
  return prepareRequest(
    { origin, path, method: 'GET', headers, ...extra } as Dispatcher.DispatchOptions,
    chrome,
    handler,
  )
}

describe('prepareRequest', () => {
  it('checks the destination and the referer, and rejects a UA of another browser family', () => {
    const opts = { origin: 'https://a.test', path: '/', method: 'GET' }
    expect(() => prepareRequest({ ...opts, destination: 'imag' } as never, chrome, undefined)).toThrow(
      /destination must be one of document, image, script, style, font, empty/,
    )
    expect(() => prepareRequest({ ...opts, headers: { referer: 'nope' } } as never, chrome, undefined)).toThrow(
      /referer header must be an absolute URL/,
    )
    const firefoxUa = getIdentity('firefox-153-linux').userAgent
    expect(() => prepareRequest({ ...opts, headers: { 'user-agent': firefoxUa } } as never, chrome, undefined)).toThrow(
      expect.objectContaining({ code: 'ERR_IDENTITY_MISMATCH' }),
    )
  })

  it("drops fetch()'s own fields, also next to the caller's user-agent, and only in fetch()'s dispatches", () => {
    const fetchShape = { maxRedirections: 0, upgrade: undefined }
    const headers = {
      'user-agent': 'MyCrawler/1.0',
      accept: '*/*',
      'accept-language': '*',
      'sec-fetch-mode': 'cors',
      'accept-encoding': 'br, gzip, deflate',
      'x-mine': '1',
    }
    const fromFetch = hop({}, 'https://a.test', '/', headers, fetchShape)
    expect(headerPairs(fromFetch.headers)).toEqual([
      ['user-agent', 'MyCrawler/1.0'],
      ['x-mine', '1'],
    ])
    // The same values set through request() are the caller's.
    expect(headerPairs(hop({}, 'https://a.test', '/', headers).headers)).toHaveLength(6)
    // A non-browser UA goes out without client hints.
    expect(value(wirePlanOf(fromFetch)!.h2, 'sec-ch-ua')).toBeNull()
  })

  it('caches one plan per (destination, method class, origin, referer origin, UA)', () => {
    const a = wirePlanOf(hop({}, 'https://a.test', '/1.png', {}))
    const b = wirePlanOf(hop({}, 'https://a.test', '/2.png', { referer: 'https://a.test/' }))
    const c = wirePlanOf(hop({}, 'https://a.test', '/3.png', { referer: 'https://b.test/page' }))
    expect(a).toBe(b)
    expect(c).not.toBe(a)
    expect(value(c!.h2, 'sec-fetch-site')).toBe('cross-site')
  })

  it('plans redirect hops: referer policy, sec-fetch-site over the chain, fields dropped across origins', () => {
    const user = {}
    const page = 'https://www.a.test/page?q=1'
    hop(user, 'https://www.a.test', '/img', { referer: page, authorization: 'x', cookie: 'c=1' })
    const same = hop(user, 'https://www.a.test', '/img2', { referer: page, authorization: 'x', cookie: 'c=1' })
    expect(value(wirePlanOf(same)!.h2, 'referer')).toBe(page)
    expect(headerPairs(same.headers).map(([n]) => n)).toEqual(['authorization', 'cookie'])
    const cross = hop(user, 'https://cdn.b.test', '/img', { referer: page, authorization: 'x', cookie: 'c=1' })
    const plan = wirePlanOf(cross)!
    expect(value(plan.h2, 'referer')).toBe('https://www.a.test/')
    expect(value(plan.h2, 'sec-fetch-site')).toBe('cross-site')
    expect(headerPairs(cross.headers)).toEqual([['cookie', 'c=1']])
    // Back on the page's origin: still cross-site (the chain went through another site).
    const back = hop(user, 'https://www.a.test', '/img3', { referer: page })
    expect(value(wirePlanOf(back)!.h2, 'sec-fetch-site')).toBe('cross-site')
    expect(value(wirePlanOf(back)!.h2, 'referer')).toBe(page)
  })

  it('tells a hop by the handler object itself: a frozen handler too, a copy of a handler not', () => {
    const page = 'https://www.a.test/page'
    const crossSite = (h: object) => value(wirePlanOf(hop(h, 'https://cdn.b.test', '/x', {}))!.h2, 'sec-fetch-site')
    const frozen = Object.freeze({})
    hop(frozen, 'https://www.a.test', '/img', { referer: page })
    expect(crossSite(frozen)).toBe('cross-site') // its second dispatch is a hop from www.a.test
    const user: Record<string | symbol, unknown> = {}
    hop(user, 'https://www.a.test', '/img', { referer: page })
    expect(Object.keys(user)).toEqual([]) // nothing enumerable added to the caller's object
    const copy = { ...user }
    // The copy's first dispatch is a request of its own, not a hop from www.a.test.
    expect(crossSite(copy)).not.toBe('cross-site')
    expect(crossSite(user)).toBe('cross-site')
  })

  it('a CORS request redirected from one foreign origin to another sends Origin: null (Fetch §4.4)', () => {
    const identity = getIdentity('chrome-156-linux')
    const plan = planRequestHeaders(identity, {
      url: 'https://c.test/font.woff2',
      destination: 'font',
      referer: 'https://a.test/style.css',
      redirects: ['https://b.test/font.woff2'],
    })
    expect(value(plan.h2, 'origin')).toBe('null')
    const once = planRequestHeaders(identity, {
      url: 'https://b.test/font.woff2',
      destination: 'font',
      referer: 'https://a.test/style.css',
      redirects: ['https://a.test/font.woff2'],
    })
    expect(value(once.h2, 'origin')).toBe('https://a.test')
  })

  it('an http:// target gets no Fetch Metadata, no client hints, gzip and deflate, no referer from https', () => {
    const identity = getIdentity('chrome-156-linux')
    const plan = planRequestHeaders(identity, {
      url: 'http://plain.test/x.png',
      destination: 'image',
      referer: 'https://www.a.test/page',
      redirects: ['https://www.a.test/x.png'],
    })
    expect(plan.h1.map(([n]) => n)).toEqual([
      'Host',
      'Connection',
      'User-Agent',
      'Accept',
      'Referer',
      'Accept-Encoding',
      'Accept-Language',
      'Cookie',
    ])
    expect(value(plan.h1, 'referer')).toBeNull()
    expect(value(plan.h1, 'accept-encoding')).toBe('gzip, deflate')
    // Loopback is potentially trustworthy: Chromium keeps Fetch Metadata and br/zstd there.
    const local = planRequestHeaders(identity, { url: 'http://127.0.0.1:8080/x.png', destination: 'image' })
    expect(value(local.h1, 'sec-fetch-dest')).toBe('image')
    expect(value(local.h1, 'accept-encoding')).toBe('gzip, deflate, br, zstd')
  })
})
