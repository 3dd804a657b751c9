/**
 * A cookie jar for pool requests (RFC 6265, tough-cookie): an undici interceptor that adds the
 * jar's `cookie` for each request's URL on the way out (unless the caller set one) and stores
 * every `Set-Cookie` of the response, redirects included. The field goes into the identity's slot
 * for it (Chromium after `accept-language`, Firefox after `referer`: see the captures).
 *
 *   const jar = new CookieJar()
 *   const browser = pool.compose(cookieJar(jar), interceptors.redirect({ maxRedirections: 10 }))
 *   await fetch(url, { dispatcher: browser })          // or request(url, { dispatcher: browser })
 *
 * One jar per identity keeps identities apart: `pool.forIdentity('firefox-153-linux').compose(cookieJar(jar2))`.
 * With undici's redirect interceptor outside it (as above), a redirect's own `Set-Cookie` is stored
 * and the next hop carries the jar's cookies for its URL, so cross-host redirects behave as in a browser.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'
import { InvalidArgumentError } from '../errors.js'
import { flatHeaders, headerPairs } from '../http/headers.js'
import { toCurrentHandler } from '../http/legacy-handler.js'
import { withFields } from '../util/with-fields.js'

/** `set-cookie` values of parsed response headers (one string, or an array for a repeated field). */
function setCookies(headers: IncomingHttpHeaders): string[] {
  const v = headers['set-cookie'] as string | string[] | undefined
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

/** Passes every callback to the inner handler; stores the response's cookies on the way (undici 7's handler API). */
class CookieHandler implements Dispatcher.DispatchHandler {
  readonly #inner: Dispatcher.DispatchHandler
  readonly #store: (headers: IncomingHttpHeaders) => void
  constructor(inner: Dispatcher.DispatchHandler, store: (headers: IncomingHttpHeaders) => void) {
    this.#inner = inner
    this.#store = store
  }
  /** The handler this one passes to (the pool follows the chain to tell a redirect hop from a new request). */
  get handler(): Dispatcher.DispatchHandler {
    return this.#inner
  }
  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.#inner.onRequestStart?.(controller, context)
  }
  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    socket: Duplex,
  ): void {
    this.#store(headers)
    this.#inner.onRequestUpgrade?.(controller, statusCode, headers, socket)
  }
  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    this.#store(headers)
    this.#inner.onResponseStart?.(controller, statusCode, headers, statusMessage)
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#inner.onResponseData?.(controller, chunk)
  }
  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.#inner.onResponseEnd?.(controller, trailers)
  }
  onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    this.#inner.onResponseError?.(controller, err)
  }
}

/**
 * What cookieJar() needs of a jar: a tough-cookie `CookieJar` (`new CookieJar()` from the
 * tough-cookie package, which you install; hotconn does not load it), or any object with these two
 * synchronous methods of its API.
 */
export interface SyncCookieJar {
  /** The `cookie` field for `url` ('' when none applies). */
  getCookieStringSync(url: string): string
  /** Stores one `Set-Cookie` value received from `url`; with `ignoreError` a rejected cookie is dropped silently. */
  setCookieSync(cookie: string, url: string, options: { ignoreError: boolean }): unknown
}

/**
 * The interceptor. Cookies the jar rejects (a bad domain, a `Secure` cookie over http) are
 * dropped, as a browser drops them.
 * @throws InvalidArgumentError when `jar` has no getCookieStringSync/setCookieSync (not a tough-cookie jar).
 */
export function cookieJar(jar: SyncCookieJar): Dispatcher.DispatcherComposeInterceptor {
  if (typeof jar?.getCookieStringSync !== 'function' || typeof jar.setCookieSync !== 'function')
    throw new InvalidArgumentError('cookieJar(jar): jar must be a tough-cookie CookieJar')
  return (dispatch) => (opts, handler) => {
    if (opts.origin == null) return dispatch(opts, handler)
    const url = new URL(opts.path, opts.origin).href
    const pairs = headerPairs(opts.headers)
    const own = pairs.some(([n]) => n.toLowerCase() === 'cookie')
    const cookie = own ? '' : jar.getCookieStringSync(url)
    const headers = cookie === '' ? opts.headers : flatHeaders([...pairs, ['cookie', cookie]])
    const store = (response: IncomingHttpHeaders): void => {
      for (const value of setCookies(response)) jar.setCookieSync(value, url, { ignoreError: true })
    }
    return dispatch(withFields(opts, { headers }), new CookieHandler(toCurrentHandler(handler), store))
  }
}
