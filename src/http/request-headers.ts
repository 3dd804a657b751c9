/**
 * The identity's header plan for each request the pool sends. Per request: its Fetch destination
 * (the `destination` dispatch option, else the pool's default), the caller's `referer` and
 * `user-agent`, and, when the same handler is dispatched again for another URL (undici's redirect
 * interceptor follows a redirect that way), the redirect chain. `planRequestHeaders` resolves the
 * contextual fields; the result is cached per (identity, destination, target origin, referer
 * origin, user-agent), so the hot path costs a Map lookup and the merge, O(header fields).
 *
 * What undici's `fetch()` adds on its own never reaches the wire: a request is fetch()'s when its
 * dispatch options carry `maxRedirections: 0` and an `upgrade` key (the shape fetch dispatches,
 * undici 6 and 7); its `sec-fetch-mode` (fetch always writes its own), and `user-agent`
 * (`node`/`undici`), `accept` (`*\/*`), `accept-language` (`*`) and `accept-encoding`
 * (`br, gzip, deflate` / `gzip, deflate`) when they hold fetch's default values, are dropped, so
 * the identity's go out instead, even when the caller set its own `user-agent`.
 */
import type { Dispatcher } from 'undici'
import { InvalidArgumentError } from '../errors.js'
import { DESTINATIONS, type Destination, type HeaderTemplate } from '../fingerprint/http.js'
import { planRequestHeaders, type RequestContext } from '../fingerprint/identity/request-plan.js'
import type { RequestIdentity } from '../fingerprint/identity/types.js'
import { headLayout, type HeadLayout } from './h1-head.js'
import { withFields } from '../util/with-fields.js'
import { flatHeaders, headerPairs, withoutFetchDefaults, type HeaderPairs } from './headers.js'

/** What a request may say about the identity's headers (dispatch options). */
export interface IdentityDispatchOptions {
  /**
   * The request's Fetch destination (WHATWG Fetch §2.2.5): `document` (a top-level navigation),
   * `image`, `script`, `style`, `font` or `empty` (fetch()/XHR, `cors` mode). Default: the pool's
   * `[http2] default_headers`.
   */
  readonly destination?: Destination
}

/** A request's resolved header plan, carried on its dispatch options to the connection's channel. */
export interface WirePlan {
  readonly destination: Destination
  /** HTTP/2 fields after the pseudo-headers; `null` values are positions only. */
  readonly h2: HeaderTemplate
  /** HTTP/1.1 fields with the `Host` and `Connection` slots. */
  readonly h1: HeaderTemplate
  /** Where HTTP/1.1's `Host` and `Connection` go (src/http/h1-head.ts). */
  readonly layout: HeadLayout | undefined
}

const kWirePlan = Symbol('hotconn.wirePlan')

/** The plan `prepareRequest` attached to `opts`, if any. */
export function wirePlanOf(opts: Dispatcher.DispatchOptions): WirePlan | undefined {
  return (opts as { [kWirePlan]?: WirePlan })[kWirePlan]
}

const DESTINATION_SET: ReadonlySet<string> = new Set(DESTINATIONS)
const CACHE_MAX = 512

/** One identity's plans, cached. */
export class HeaderPlanner {
  readonly identity: RequestIdentity
  /** Destination of a request that names none; undefined: such requests get no identity headers. */
  readonly defaultDestination: Destination | undefined
  readonly #cache = new Map<string, WirePlan>()

  constructor(identity: RequestIdentity, defaultDestination: Destination | undefined) {
    this.identity = identity
    this.defaultDestination = defaultDestination
  }

  /** The parts of the last cached plan's key and the plan: a run of requests of one kind builds no key string. */
  #last: { readonly parts: readonly string[]; readonly plan: WirePlan } | undefined

  /**
   * The plan cached for these key parts (destination, method class, origin, referer origin,
   * user-agent), if any: the last one when every part is the same string, else by its key.
   */
  cached(parts: readonly string[]): WirePlan | undefined {
    const last = this.#last
    if (last !== undefined && sameParts(last.parts, parts)) return last.plan
    const plan = this.#cache.get(parts.join('|'))
    if (plan !== undefined) this.#last = { parts, plan }
    return plan
  }

  /** The plan for `ctx`, cached under its key parts (see `cached`). */
  planCached(ctx: RequestContext, parts: readonly string[]): WirePlan {
    const plan = this.plan(ctx, parts.join('|'))
    this.#last = { parts, plan }
    return plan
  }

  /** The plan for `ctx`, cached under `key` when given (requests that are not redirect hops). */
  plan(ctx: RequestContext, key: string | undefined): WirePlan {
    if (key !== undefined) {
      const hit = this.#cache.get(key)
      if (hit !== undefined) return hit
    }
    const p = planRequestHeaders(this.identity, ctx)
    const plan: WirePlan = { destination: p.destination, h2: p.h2, h1: p.h1, layout: headLayout(p.h1) }
    if (key !== undefined) {
      if (this.#cache.size >= CACHE_MAX) this.#cache.clear()
      this.#cache.set(key, plan)
    }
    return plan
  }
}

function sameParts(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return a.length === b.length
}

const planners = new Map<string, HeaderPlanner>()

/** The planner of `identity` with `defaultDestination`, one per pair for the process. */
export function headerPlanner(identity: RequestIdentity, defaultDestination: Destination | undefined): HeaderPlanner {
  const key = `${identity.name} ${defaultDestination ?? ''}`
  let planner = planners.get(key)
  if (planner === undefined) planners.set(key, (planner = new HeaderPlanner(identity, defaultDestination)))
  return planner
}

/** Whether `opts` is what undici's fetch() dispatches. */
export function isFetchDispatch(opts: Dispatcher.DispatchOptions): boolean {
  return (opts as { maxRedirections?: unknown }).maxRedirections === 0 && Object.hasOwn(opts, 'upgrade')
}

const FETCH_OWN: Readonly<Record<string, ReadonlySet<string> | 'always'>> = {
  'user-agent': new Set(['node', 'undici']),
  accept: new Set(['*/*']),
  'accept-language': new Set(['*']),
  'accept-encoding': new Set(['br, gzip, deflate', 'gzip, deflate']),
  'sec-fetch-mode': 'always',
}

function withoutFetchOwn(pairs: HeaderPairs): HeaderPairs {
  return pairs.filter(([n, v]) => {
    const rule = FETCH_OWN[n.toLowerCase()]
    return rule === undefined || (rule !== 'always' && !rule.has(v))
  })
}

/** Where one logical request has been: the URLs of its redirect chain and its first referer. */
interface Hops {
  /** The handler these hops belong to: a copy of it (a spread carries the symbol along) is a request of its own. */
  readonly owner: object
  readonly urls: string[]
  readonly referer: string | undefined
}

/**
 * Per user handler: undici's redirect interceptor dispatches the same handler for every hop. Kept
 * on the handler under a symbol, set by plain assignment (~5 ns; defineProperty for a
 * non-enumerable one cost ~0.1–1 µs a request, a WeakMap entry ~0.7 µs with its collection); the
 * hops name their owner, so a spread copy that carries them is not taken for a hop. A handler
 * that cannot take a property keeps them in a WeakMap.
 */
const kHops = Symbol('hotconn.redirectHops')
const sealedHops = new WeakMap<object, Hops>()

function hopsOf(handler: object): Hops | undefined {
  const own = (handler as { [kHops]?: Hops })[kHops]
  if (own !== undefined) return own.owner === handler ? own : undefined
  return Object.isExtensible(handler) ? undefined : sealedHops.get(handler)
}

function recordHops(handler: object, hops: Hops): void {
  if (Object.isExtensible(handler)) (handler as { [kHops]?: Hops })[kHops] = hops
  else sealedHops.set(handler, hops)
}

/**
 * The innermost handler reachable from `handler` through the wrappers that expose the one they
 * wrap (`inner`, or `handler` as undici's RedirectHandler and RetryHandler and hotconn's cookie
 * jar do): the same object for every hop of one request, whatever interceptors sit between.
 */
function rootHandler(handler: object): object {
  let h = handler
  for (let depth = 0; depth < 8; depth++) {
    const next = (h as { inner?: unknown }).inner ?? (h as { handler?: unknown }).handler
    if (next === null || typeof next !== 'object' || next === h) break
    h = next
  }
  return h
}

/** Fields a redirect hop takes from the plan, not from the first request. */
const REPLANNED = new Set(['referer', 'origin', 'sec-fetch-site', 'sec-fetch-storage-access'])
/**
 * Fields dropped when a redirect crosses origins (WHATWG Fetch §4.4 step 13). `cookie` is not: undici's
 * redirect interceptor drops the caller's, and a cookie jar inside it sets the new origin's.
 */
const CROSS_ORIGIN_DROPPED = new Set(['authorization', 'proxy-authorization'])

function field(pairs: HeaderPairs, name: string): string | undefined {
  for (const [n, v] of pairs) if (n.length === name.length && n.toLowerCase() === name) return v
  return undefined
}

function originOf(value: string): string | undefined {
  try {
    return new URL(value).origin
  } catch {
    throw new InvalidArgumentError(`the referer header must be an absolute URL, got ${JSON.stringify(value)}`)
  }
}

function destinationOf(opts: Dispatcher.DispatchOptions, planner: HeaderPlanner): Destination | undefined {
  const given = (opts as IdentityDispatchOptions).destination
  if (given === undefined) return planner.defaultDestination
  if (!DESTINATION_SET.has(given)) {
    throw new InvalidArgumentError(
      `destination must be one of ${DESTINATIONS.join(', ')} (Fetch request destinations), got ${JSON.stringify(given)}`,
    )
  }
  return given
}

/**
 * `opts` as it goes to a connection: fetch()'s own defaults dropped, and the identity's plan for
 * the request attached (read back with `wirePlanOf`). `handler` is the user's handler object: a
 * second dispatch of it for another URL is a redirect hop.
 * @throws InvalidArgumentError for an unknown destination or a referer that is not an absolute URL;
 *   IdentityMismatchError (ERR_IDENTITY_MISMATCH) for a user-agent of another browser family.
 */
export function prepareRequest(
  opts: Dispatcher.DispatchOptions,
  planner: HeaderPlanner,
  handler: object | undefined,
  fields?: object,
): Dispatcher.DispatchOptions {
  const raw = headerPairs(opts.headers)
  let pairs = isFetchDispatch(opts) ? withoutFetchOwn(raw) : withoutFetchDefaults(raw)
  const destination = destinationOf(opts, planner)
  if (destination === undefined)
    return pairs.length === raw.length ? opts : withFields(opts, { headers: flatHeaders(pairs) }, fields)
  const origin = typeof opts.origin === 'string' ? opts.origin : String(opts.origin?.origin)
  const userAgent = field(pairs, 'user-agent')
  const method = String(opts.method ?? 'GET').toUpperCase()
  const getLike = method === 'GET' || method === 'HEAD'
  const url = `${origin}${opts.path}`
  const key = handler === undefined ? undefined : rootHandler(handler)
  const seen = key === undefined ? undefined : hopsOf(key)
  let plan: WirePlan
  if (seen !== undefined && seen.urls[seen.urls.length - 1] !== url) {
    const previous = seen.urls[seen.urls.length - 1]!
    const crossOrigin = new URL(previous).origin !== origin
    pairs = pairs.filter(([n]) => {
      const lower = n.toLowerCase()
      return !REPLANNED.has(lower) && !(crossOrigin && CROSS_ORIGIN_DROPPED.has(lower))
    })
    plan = planner.plan(
      {
        url,
        method,
        destination,
        redirects: [...seen.urls],
        ...(seen.referer !== undefined ? { referer: seen.referer } : {}),
        ...(userAgent !== undefined ? { userAgent } : {}),
      },
      undefined,
    )
    seen.urls.push(url)
  } else {
    const referer = field(pairs, 'referer')
    if (key !== undefined && seen === undefined) recordHops(key, { owner: key, urls: [url], referer })
    const refererOrigin = referer === undefined || referer === '' ? undefined : originOf(referer)
    // A same-origin referer plans like none (the derived referer is that origin) but on a navigation.
    const from = refererOrigin === origin && destination !== 'document' ? '' : (refererOrigin ?? '')
    const parts = [destination, getLike ? 'g' : 'o', origin, from, userAgent ?? '']
    plan =
      planner.cached(parts) ??
      planner.planCached(
        {
          url: `${origin}/`,
          method,
          destination,
          ...(refererOrigin !== undefined ? { referer: `${refererOrigin}/` } : {}),
          ...(userAgent !== undefined ? { userAgent } : {}),
        },
        parts,
      )
  }
  const wire = withFields(opts, { headers: flatHeaders(pairs) }, fields) as Dispatcher.DispatchOptions & {
    [kWirePlan]?: WirePlan
  }
  wire[kWirePlan] = plan
  return wire
}
