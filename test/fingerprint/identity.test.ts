/**
 * Request identities against the Xvfb captures of Chromium 156 and Firefox ESR 153: every request
 * kind (document, image, script, style, font, fetch) on h2 and HTTP/1.1, with and without referer,
 * same-origin, same-site and cross-site. Names, order and values must be the browser's; the UA and
 * client-hint fields are the identity's (per OS), and for the Linux identity they equal the capture's.
 */
import { describe, expect, it } from 'vitest'
import { chromiumBrands, parseSecChUa, secChUa } from '../../src/fingerprint/identity/client-hints.js'
import { planRequestHeaders } from '../../src/fingerprint/identity/request-plan.js'
import { DEFAULT_IDENTITY, IDENTITY_NAMES, getIdentity } from '../../src/fingerprint/identity/table.js'
import type { Destination } from '../../src/fingerprint/http.js'
import {
  field,
  initiatorOf,
  loadRequestCaptures,
  type CaptureBrowser,
  type CapturedRequest,
} from './request-captures.js'

const UA_FIELDS = new Set(['user-agent', 'sec-ch-ua', 'sec-ch-ua-mobile', 'sec-ch-ua-platform'])

/** The captured head as the identity should send it: UA fields replaced by the identity's. */
function expected(r: CapturedRequest, values: Map<string, string>): Array<[string, string]> {
  return r.headers
    .filter(([n]) => !n.startsWith(':') && n.toLowerCase() !== 'host' && n.toLowerCase() !== 'connection')
    .map(([n, v]) => [n, UA_FIELDS.has(n.toLowerCase()) ? (values.get(n.toLowerCase()) ?? v) : v])
}

function comparable(r: CapturedRequest): boolean {
  return r.path.startsWith('/r/') && !r.path.includes('xhr')
}

describe('Chromium brand list (user_agent_utils.cc GREASE algorithm)', () => {
  it('reproduces the captured Chromium 156 sec-ch-ua and published Chrome/Edge lists', () => {
    const cap = loadRequestCaptures('chromium', 'h2')
    expect(secChUa(chromiumBrands(156))).toBe(field(cap.requests[0]!, 'sec-ch-ua'))
    expect(secChUa(chromiumBrands(156, 'Google Chrome'))).toBe(
      '"Not:A-Brand";v="8", "Chromium";v="156", "Google Chrome";v="156"',
    )
    // Edge 135 as Microsoft ships it (seed 135: permutation 3, GREASE "Not-A.Brand" v=8).
    expect(secChUa(chromiumBrands(135, 'Microsoft Edge'))).toBe(
      '"Microsoft Edge";v="135", "Not-A.Brand";v="8", "Chromium";v="135"',
    )
    // Chrome 130 (permutation 4, "Not?A_Brand" v=99).
    expect(secChUa(chromiumBrands(130, 'Google Chrome'))).toBe(
      '"Chromium";v="130", "Google Chrome";v="130", "Not?A_Brand";v="99"',
    )
    expect(parseSecChUa(secChUa(chromiumBrands(156, 'Microsoft Edge')))).toEqual(chromiumBrands(156, 'Microsoft Edge'))
  })
})

describe('identities', () => {
  it('every identity builds, with a UA, the engine ClientHello and per-destination plans', () => {
    for (const name of IDENTITY_NAMES) {
      const id = getIdentity(name)
      expect(id.name).toBe(name)
      expect(id.userAgent).not.toMatch(/Headless/)
      expect(Object.keys(id.destinations).sort()).toEqual(['document', 'empty', 'font', 'image', 'script', 'style'])
      if (id.browser === 'firefox') expect(id.clientHints).toBeUndefined()
      else expect(id.clientHints?.mobile).toBe(id.os === 'android')
    }
    // Every identity has its -latest alias (one version per browser shipped), the default is Chrome on Windows.
    for (const name of IDENTITY_NAMES)
      expect(getIdentity(name.replace(/-\d+-/, '-latest-')).name, `${name} alias`).toBe(name)
    expect(getIdentity(DEFAULT_IDENTITY).name).toBe('chrome-156-windows')
    expect(getIdentity('chrome-latest-windows').name).toBe('chrome-156-windows')
    expect(getIdentity('chrome').name).toBe('chrome-156-windows')
    expect(getIdentity('firefox').name).toBe('firefox-153-windows')
    expect(() => getIdentity('chrom')).toThrow(/unknown identity "chrom"; known identities: chrome-156-windows/)
  })

  it('UA strings and client hints per OS', () => {
    expect(getIdentity('chrome-156-windows').userAgent).toBe(
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
    )
    expect(getIdentity('chrome-156-android').userAgent).toBe(
      'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36',
    )
    expect(getIdentity('edge-156-macos').userAgent).toBe(
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36 Edg/156.0.0.0',
    )
    expect(getIdentity('firefox-153-macos').userAgent).toBe(
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:153.0) Gecko/20100101 Firefox/153.0',
    )
    const android = planRequestHeaders(getIdentity('chrome-156-android'), {
      url: 'https://a.example/',
      destination: 'document',
    })
    expect(android.h2).toContainEqual(['sec-ch-ua-mobile', '?1'])
    expect(android.h2).toContainEqual(['sec-ch-ua-platform', '"Android"'])
    const edge = planRequestHeaders(getIdentity('edge-156-windows'), {
      url: 'https://a.example/',
      destination: 'image',
    })
    expect(edge.h2).toContainEqual(['sec-ch-ua', '"Not:A-Brand";v="8", "Chromium";v="156", "Microsoft Edge";v="156"'])
  })
})

const CASES: Array<{ browser: CaptureBrowser; identities: string[]; linux: string }> = [
  {
    browser: 'chromium',
    identities: IDENTITY_NAMES.filter((n) => n.startsWith('chrome') || n.startsWith('edge')),
    linux: 'chrome-156-linux',
  },
  { browser: 'firefox', identities: IDENTITY_NAMES.filter((n) => n.startsWith('firefox')), linux: 'firefox-153-linux' },
]

for (const c of CASES) {
  for (const alpn of ['h2', 'http/1.1'] as const) {
    describe(`${c.browser} ${alpn} captures`, () => {
      const cap = loadRequestCaptures(c.browser, alpn)
      const requests = cap.requests.filter(comparable)

      it('covers every destination, with and without referer, same-origin, same-site and cross-site', () => {
        const seen = new Set(requests.map((r) => `${field(r, 'sec-fetch-dest')}`))
        expect([...seen].sort()).toEqual(['document', 'empty', 'font', 'image', 'script', 'style'])
        const sites = new Set(requests.map((r) => field(r, 'sec-fetch-site')))
        expect([...sites].sort()).toEqual(['cross-site', 'none', 'same-origin', 'same-site'])
        expect(requests.some((r) => field(r, 'referer') === undefined && field(r, 'sec-fetch-dest') === 'image')).toBe(
          true,
        )
      })

      for (const name of c.identities) {
        it(`${name}: every captured request planned field for field`, () => {
          const id = getIdentity(name)
          for (const r of requests) {
            const dest = field(r, 'sec-fetch-dest') as Destination
            const referer = field(r, 'referer')
            const plan = planRequestHeaders(id, {
              url: `https://${r.authority}${r.path}`,
              destination: dest,
              referer: referer ?? null,
              ...(initiatorOf(cap, r) !== undefined ? { initiator: initiatorOf(cap, r)! } : {}),
              userActivated: field(r, 'sec-fetch-user') !== undefined,
            })
            // A cookie is the caller's (or the jar's): it goes into the plan's `cookie` slot.
            const cookie = field(r, 'cookie')
            const template = (alpn === 'h2' ? plan.h2 : plan.h1).map(([n, v]) =>
              n.toLowerCase() === 'cookie' && cookie !== undefined ? ([n, cookie] as const) : ([n, v] as const),
            )
            const got = template
              .filter((p): p is readonly [string, string] => p[1] !== null)
              .map(([n, v]) => [n, v] as [string, string])
            const own = new Map<string, string>(
              template
                .filter((p): p is readonly [string, string] => p[1] !== null && UA_FIELDS.has(p[0].toLowerCase()))
                .map(([n, v]) => [n.toLowerCase(), v]),
            )
            expect(got, `${name} ${r.path}`).toEqual(expected(r, own))
            expect(plan.priority).toBe(field(r, 'priority') ?? (alpn === 'h2' ? undefined : plan.priority))
            if (r.priority !== undefined) expect(plan.weight, `${name} ${r.path} weight`).toBe(r.priority.weight)
            if (name === c.linux) {
              // The Linux identity's UA fields are the capture's (Chromium's brand list aside: Debian's
              // build carries no product brand, Chrome's carries "Google Chrome").
              expect(field(r, 'user-agent')).toBe(id.userAgent)
              if (id.clientHints !== undefined) {
                expect(field(r, 'sec-ch-ua-platform')).toBe('"Linux"')
                expect(field(r, 'sec-ch-ua')).toBe(secChUa(chromiumBrands(156)))
              }
            }
          }
        })
      }
    })
  }
}
