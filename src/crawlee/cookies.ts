/**
 * Crawlee's cookie jars as the client uses them: tough-cookie's `CookieJar` (callback API, what
 * Crawlee's sessions hold) or a promise jar (`{ getCookieString(url), setCookie(raw, url) }`, what
 * `context.sendRequest` passes). A cookie the jar rejects (another domain, a bad attribute) is
 * dropped, as a browser drops it; the response is not failed for it.
 */
import type { HttpRequest } from '@crawlee/core'

export type CookieJarLike = NonNullable<HttpRequest['cookieJar']>

/** Calls `name` with a node-style callback, or awaits the promise it returns. */
function call(jar: CookieJarLike, name: 'getCookieString' | 'setCookie', args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const fn = jar[name] as (...a: unknown[]) => unknown
    const r = fn.call(jar, ...args, (err: Error | null, value: unknown) => (err ? reject(err) : resolve(value)))
    if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function')
      (r as Promise<unknown>).then(resolve, reject)
  })
}

/** The `cookie` field value the jar holds for `url` ('' for none). */
export async function jarCookie(jar: CookieJarLike, url: URL): Promise<string> {
  const value = await call(jar, 'getCookieString', [url.href])
  return typeof value === 'string' ? value : ''
}

/** Stores each `Set-Cookie` value of a response from `url`; cookies the jar rejects are dropped. */
export async function storeSetCookies(
  jar: CookieJarLike,
  url: URL,
  setCookie: string | string[] | undefined,
): Promise<void> {
  if (setCookie === undefined) return
  for (const raw of Array.isArray(setCookie) ? setCookie : [setCookie]) {
    await call(jar, 'setCookie', [raw, url.href]).catch(() => undefined)
  }
}
