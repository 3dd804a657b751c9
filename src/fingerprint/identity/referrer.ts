/**
 * What a browser derives from where a request comes from and where it has been redirected:
 *  - the `Referer` under `strict-origin-when-cross-origin`, the default policy of Chromium (85+) and
 *    Firefox (87+) (W3C Referrer Policy §3.10, §8.3 "Determine request's Referrer");
 *  - `Sec-Fetch-Site` over the redirect chain (Fetch Metadata §5.4: the least-same relation of the
 *    request's origin to every URL of its URL list; a user-typed navigation stays `none`);
 *  - the tainted origin flag (WHATWG Fetch §4.4 "HTTP-redirect fetch" step 11), which serialises
 *    `Origin` as `null`;
 *  - potentially trustworthy URLs (W3C Secure Contexts §3.1): https, and http to localhost or a
 *    loopback address; browsers send Fetch Metadata and client hints to those only.
 */
import { getDomain } from 'tldts'

/** Fetch Metadata `Sec-Fetch-Site` values. */
export type FetchSite = 'none' | 'same-origin' | 'same-site' | 'cross-site'

/** Registrable domain ("site") of a host: eTLD+1, or the host itself for IPs and single labels. */
function siteOf(host: string): string {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host
  return getDomain(bare, { allowPrivateDomains: true }) ?? bare
}

/** How `initiator` relates to `target` (Fetch Metadata §2.1; schemeful same-site). */
export function fetchSite(initiator: URL, target: URL): Exclude<FetchSite, 'none'> {
  if (initiator.origin === target.origin) return 'same-origin'
  if (initiator.protocol === target.protocol && siteOf(initiator.hostname) === siteOf(target.hostname))
    return 'same-site'
  return 'cross-site'
}

const RANK: Readonly<Record<Exclude<FetchSite, 'none'>, number>> = { 'same-origin': 0, 'same-site': 1, 'cross-site': 2 }

/** `Sec-Fetch-Site` of a request from `initiator` whose URL list is `chain` (first URL first). */
export function chainSite(initiator: URL, chain: readonly URL[]): Exclude<FetchSite, 'none'> {
  let worst: Exclude<FetchSite, 'none'> = 'same-origin'
  for (const url of chain) {
    const site = fetchSite(initiator, url)
    if (RANK[site] > RANK[worst]) worst = site
    if (worst === 'cross-site') break
  }
  return worst
}

/** Whether a request with origin `initiator` and URL list `chain` has its tainted origin flag set. */
export function taintedOrigin(initiator: URL, chain: readonly URL[]): boolean {
  for (let i = 1; i < chain.length; i++) {
    const from = chain[i - 1]!
    if (from.origin !== chain[i]!.origin && initiator.origin !== from.origin) return true
  }
  return false
}

/** W3C Secure Contexts §3.1 "Is url potentially trustworthy?" for http(s) URLs. */
export function potentiallyTrustworthy(url: URL): boolean {
  if (url.protocol === 'https:' || url.protocol === 'wss:') return true
  const host = url.hostname.toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost') || host === '[::1]') return true
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * The `Referer` a browser sends to `target` for a request whose referrer is `referrer`, under
 * `strict-origin-when-cross-origin`: the full URL (without fragment and credentials) to the same
 * origin, none from a potentially trustworthy page to a URL that is not (https -> http), else the
 * referrer's origin followed by `/`.
 */
export function strictOriginWhenCrossOrigin(referrer: URL, target: URL): string | undefined {
  if (referrer.origin === target.origin) {
    const url = new URL(referrer.href)
    url.hash = ''
    url.username = ''
    url.password = ''
    return url.href
  }
  if (potentiallyTrustworthy(referrer) && !potentiallyTrustworthy(target)) return undefined
  return `${referrer.origin}/`
}
