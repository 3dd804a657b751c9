/**
 * The header plan of one request: an identity's template for the request's Fetch destination with
 * the contextual fields resolved the way the browser resolves them (WHATWG Fetch, Fetch Metadata
 * Request Headers, Referrer Policy), checked against the captures in `test/fixtures/captures/*-requests/`:
 *  - `sec-fetch-site`: `none` for a navigation without referer (typed URL, also after redirects);
 *    otherwise the least-same relation of the initiator (the referer's origin, or the first URL's
 *    origin when no referer is given) to every URL of the redirect chain: `same-origin`, `same-site`
 *    (same scheme and registrable domain, Public Suffix List via tldts) or `cross-site`;
 *  - `referer`: the caller's when given (sent as given on the first request: pass what the browser
 *    would, e.g. only the origin for a cross-origin request); after a redirect, the caller's
 *    referrer under `strict-origin-when-cross-origin` for the new URL; for a subresource without
 *    one, the first URL's origin + `/` (as a same-origin page at `/` would send); none for a
 *    navigation without one;
 *  - `origin`: per the destination's rule for GET/HEAD (Chromium's fonts always, CORS requests when
 *    cross-origin), always for other methods; `null` once a redirect tainted it (Fetch §4.4);
 *  - `sec-fetch-storage-access: none` on cross-site no-cors requests;
 *  - `sec-fetch-user: ?1` on navigations unless `userActivated: false` (a script navigation);
 *  - to a URL that is not potentially trustworthy (plain http to anything but loopback): no
 *    `sec-fetch-*` and no client hints (Chromium and Gecko send both to secure contexts only), and
 *    `accept-encoding: gzip, deflate` (Chromium advertises br and zstd over TLS and to localhost
 *    only; Firefox's `network.http.accept-encoding` for http, `.secure` for https).
 * A caller's `user-agent` must belong to the identity's browser family (see `reconcileUserAgent`).
 */
import { IdentityMismatchError, InvalidArgumentError } from '../../errors.js'
import type { HeaderTemplate } from '../http.js'
import { chromiumBrands, secChUa, secChUaMobile, secChUaPlatform, type ClientHints } from './client-hints.js'
import {
  chainSite,
  potentiallyTrustworthy,
  strictOriginWhenCrossOrigin,
  taintedOrigin,
  type FetchSite,
} from './referrer.js'
import type { Destination, RequestIdentity } from './types.js'
import { CHROMIUM_UA_PLATFORM, osOfUserAgent } from './user-agent.js'

export { fetchSite, type FetchSite } from './referrer.js'

/** What the plan depends on besides the identity. */
export interface RequestContext {
  /** Target URL (absolute). */
  readonly url: string | URL
  /** Request method (default GET). */
  readonly method?: string
  readonly destination: Destination
  /**
   * The caller's `referer`, if the caller gave one; `null` sends none (the page's policy is
   * `no-referrer`), so `initiator` must say where the request comes from.
   */
  readonly referer?: string | null
  /**
   * Origin of the page the request comes from (default: the referer's origin; without a referer,
   * the target's origin for a subresource, none for a navigation).
   */
  readonly initiator?: string
  /** Navigations: whether a user gesture started it (default true: `sec-fetch-user: ?1`). */
  readonly userActivated?: boolean
  /** The caller's `user-agent`, if the caller gave one. */
  readonly userAgent?: string
  /**
   * The URLs this request was redirected from, first one first (`url` is where it goes now): the
   * referer, `sec-fetch-site` and `origin` are then the browser's for a redirected request.
   */
  readonly redirects?: readonly (string | URL)[]
}

/** A request's header plan: templates with every contextual value resolved. */
export interface RequestPlan {
  readonly destination: Destination
  readonly site: FetchSite
  /** The referer the plan sends (the caller's, or derived), or undefined. */
  readonly referer: string | undefined
  /**
   * HTTP/2 fields after the pseudo-headers and HTTP/1.1 fields (with `Host`/`Connection` slots),
   * in the browser's order. A `null` value is a position only: nothing is sent there unless the
   * caller gives that field.
   */
  readonly h2: HeaderTemplate
  readonly h1: HeaderTemplate
  /** RFC 9218 `priority` the plan sends, or undefined. */
  readonly priority: string | undefined
  /** HTTP/2 HEADERS weight (1-256) for the destination's urgency. */
  readonly weight: number
}

function parseUrl(value: string | URL, what: string): URL {
  try {
    return value instanceof URL ? value : new URL(value)
  } catch {
    throw new InvalidArgumentError(`${what} must be an absolute URL, got ${JSON.stringify(String(value))}`)
  }
}

type UaFamily = 'chromium' | 'firefox' | 'safari' | 'other'

/** Browser family a UA string claims. */
function uaFamily(ua: string): UaFamily {
  if (/\bFirefox\/\d/.test(ua) || /\bGecko\/\d{8}\b/.test(ua)) return 'firefox'
  if (/\b(?:Chrome|Chromium|CriOS|Edg|EdgA)\/\d/.test(ua)) return 'chromium'
  if (/\bVersion\/[\d.]+.*\bSafari\/\d/.test(ua)) return 'safari'
  return 'other'
}

/** Client hints a Chromium-based browser with UA string `ua` sends (brands from its major and product). */
function hintsFromUa(ua: string): ClientHints {
  const major = Number(/\bChrom(?:e|ium)\/(\d+)/.exec(ua)?.[1] ?? /\bEdgA?\/(\d+)/.exec(ua)?.[1] ?? 0)
  const product = /\bEdgA?\//.test(ua) ? 'Microsoft Edge' : /\bChromium\//.test(ua) ? undefined : 'Google Chrome'
  const os = osOfUserAgent(ua)
  // An iOS string names "Mac OS X" too; Chromium's platform for it is macOS's.
  const platform =
    os === undefined ? 'Unknown' : os === 'chromeos' ? 'Chrome OS' : CHROMIUM_UA_PLATFORM[os === 'ios' ? 'macos' : os]
  return { brands: chromiumBrands(major, product), mobile: /\bMobile\b/.test(ua), platform }
}

/**
 * The client hints to send with the caller's UA `ua` on `identity`, or `undefined` to send none.
 *  - the identity's own UA, or none given: the identity's hints;
 *  - a UA of the same browser family (a Chrome/Edge UA on a Chromium identity, a Firefox UA on a
 *    Firefox identity): made consistent — for Chromium, brands, platform and mobile recomputed
 *    from the UA (Chromium's brand algorithm for its major version);
 *  - a non-browser UA (`MyCrawler/1.0`): sent as given, without client hints;
 *  - a UA of another browser family: rejected, since the ClientHello and HTTP/2 flight would still
 *    be the identity's browser.
 * @throws IdentityMismatchError (ERR_IDENTITY_MISMATCH) for a UA of another browser family.
 */
export function reconcileUserAgent(identity: RequestIdentity, ua: string | undefined): ClientHints | undefined {
  if (ua === undefined || ua === identity.userAgent) return identity.clientHints
  const family = uaFamily(ua)
  const own: UaFamily = identity.browser === 'firefox' ? 'firefox' : 'chromium'
  if (family === 'other') return undefined
  if (family !== own) {
    throw new IdentityMismatchError(
      `user-agent ${JSON.stringify(ua)} is a ${family} UA, but identity ${identity.name} sends ${own}'s TLS ClientHello and HTTP/2 settings; ` +
        `use a ${family === 'firefox' ? 'firefox-…' : family === 'chromium' ? 'chrome-… or edge-…' : 'matching'} identity or a ${own} UA`,
    )
  }
  return own === 'chromium' ? hintsFromUa(ua) : undefined
}

const HINT_FIELDS = new Set(['sec-ch-ua', 'sec-ch-ua-mobile', 'sec-ch-ua-platform'])
/** Fields browsers send to potentially trustworthy URLs only: Fetch Metadata and client hints. */
const SECURE_ONLY = /^sec-(?:fetch|ch)-/i

/**
 * Resolves `identity`'s template for `ctx.destination` into the request's plan.
 * @throws InvalidArgumentError for a URL or referer that is not absolute;
 *   IdentityMismatchError for a user-agent of another browser family.
 */
export function planRequestHeaders(identity: RequestIdentity, ctx: RequestContext): RequestPlan {
  const target = parseUrl(ctx.url, 'request URL')
  const dest = identity.destinations[ctx.destination]
  if (dest === undefined) throw new InvalidArgumentError(`unknown destination ${JSON.stringify(ctx.destination)}`)
  const method = (ctx.method ?? 'GET').toUpperCase()
  const given =
    ctx.referer === undefined || ctx.referer === null || ctx.referer === ''
      ? undefined
      : parseUrl(ctx.referer, 'referer')
  const chain = [...(ctx.redirects ?? []).map((u) => parseUrl(u, 'redirect URL')), target]
  const first = chain[0]!
  const from = ctx.initiator !== undefined ? parseUrl(ctx.initiator, 'initiator') : given
  const navigation = ctx.destination === 'document'
  const redirected = chain.length > 1
  let referer: string | undefined
  if (given !== undefined) referer = redirected ? strictOriginWhenCrossOrigin(given, target) : (ctx.referer as string)
  else if (!navigation && ctx.referer !== null) {
    const page = new URL(`${first.origin}/`)
    referer = redirected ? strictOriginWhenCrossOrigin(page, target) : page.href
  }
  const initiator = from ?? first
  const site: FetchSite = navigation && from === undefined ? 'none' : chainSite(initiator, chain)
  const crossOrigin = chain.some((u) => u.origin !== initiator.origin)
  const sendOrigin =
    (method !== 'GET' && method !== 'HEAD') ||
    dest.origin === 'always' ||
    (dest.origin === 'cross-origin' && crossOrigin)
  const originValue = taintedOrigin(initiator, chain) ? 'null' : initiator.origin
  const secure = potentiallyTrustworthy(target)
  const plainEncoding =
    target.protocol === 'http:' && (!secure || identity.browser === 'firefox') ? 'gzip, deflate' : undefined
  const hints = reconcileUserAgent(identity, ctx.userAgent)
  const hintValues: Record<string, string> | undefined =
    hints === undefined
      ? undefined
      : {
          'sec-ch-ua': secChUa(hints.brands),
          'sec-ch-ua-mobile': secChUaMobile(hints.mobile),
          'sec-ch-ua-platform': secChUaPlatform(hints.platform),
        }
  const resolve = (template: HeaderTemplate): HeaderTemplate =>
    (secure ? template : template.filter(([name]) => !SECURE_ONLY.test(name))).map(
      ([name, value]): readonly [string, string | null] => {
        const n = name.toLowerCase()
        switch (n) {
          case 'sec-fetch-site':
            return [name, site]
          case 'referer':
            return [name, referer ?? null]
          case 'origin':
            return [name, sendOrigin ? originValue : null]
          case 'sec-fetch-storage-access':
            return [name, site === 'cross-site' && dest.mode === 'no-cors' ? 'none' : null]
          case 'sec-fetch-user':
            return [name, navigation && ctx.userActivated !== false ? '?1' : null]
          case 'user-agent':
            return [name, ctx.userAgent ?? value]
          case 'accept-encoding':
            return [name, plainEncoding !== undefined && value !== 'identity' ? plainEncoding : value]
          default:
            if (HINT_FIELDS.has(n)) return [name, hintValues === undefined ? null : (hintValues[n] ?? null)]
            return [name, value]
        }
      },
    )
  return {
    destination: ctx.destination,
    site,
    referer,
    h2: resolve(dest.h2),
    h1: resolve(dest.h1),
    priority: dest.priority,
    weight: dest.weight,
  }
}
