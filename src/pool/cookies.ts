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
import type { Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'
import { InvalidArgumentError } from '../errors.js'
import { toLegacyHandler, type LegacyHandler } from '../http/handler.js'
import { flatHeaders, headerPairs } from '../http/headers.js'

/**
 * `set-cookie` values of undici raw headers (`[name, value, …]`, Buffers or strings; a repeated
 * field may arrive as one entry whose value is the array of its values).
 */
function setCookies(raw: readonly (Buffer | string | readonly (Buffer | string)[])[] | null | undefined): string[] {
  const out: string[] = []
  if (raw == null) return out
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (String(raw[i]).toLowerCase() !== 'set-cookie') continue
    const value = raw[i + 1]!
    if (Array.isArray(value)) for (const v of value) out.push(String(v))
    else out.push(String(value))
  }
  return out
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
    const inner = toLegacyHandler(handler)
    const store = (raw: readonly (Buffer | string)[] | null): void => {
      for (const value of setCookies(raw)) jar.setCookieSync(value, url, { ignoreError: true })
    }
    // Methods are called on `inner` (class-based handlers keep their `this`).
    const wrapped: LegacyHandler = {
      onConnect: (abort, context) => inner.onConnect?.(abort, context),
      onResponseStarted: () => inner.onResponseStarted?.(),
      onBodySent: (size, total) => inner.onBodySent?.(size, total),
      onRequestSent: () => inner.onRequestSent?.(),
      onHeaders: (statusCode, rawHeaders, resume, statusText) => {
        store(rawHeaders)
        return inner.onHeaders?.(statusCode, rawHeaders, resume, statusText) ?? true
      },
      onData: (chunk) => inner.onData?.(chunk) ?? true,
      onComplete: (trailers) => inner.onComplete?.(trailers),
      onError: (err) => inner.onError?.(err),
      ...(inner.onUpgrade !== undefined
        ? {
            onUpgrade: (statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: Duplex) => {
              store(rawHeaders)
              inner.onUpgrade?.(statusCode, rawHeaders, socket)
            },
          }
        : {}),
    }
    return dispatch({ ...opts, headers }, wrapped as unknown as Dispatcher.DispatchHandler)
  }
}
