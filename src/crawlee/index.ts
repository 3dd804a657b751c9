/**
 * `hotconn/crawlee`: an HTTP client for Crawlee (3.x `BaseHttpClient`: `sendRequest` and `stream`)
 * that sends through a HotConnPool, so crawlers get browser TLS/HTTP fingerprints, hot connections
 * and egress rotation. Crawlee is not loaded by this module: the types below are the shapes of
 * `@crawlee/core`'s `HttpRequest` / `HttpResponse` / `StreamingHttpResponse` (3.18) it needs.
 *
 *   new HttpCrawler({ httpClient: new HotConnHttpClient({ pool }), proxyConfiguration, ... })
 *
 * `proxyUrl` picks the request's egress (pool.forEgress), the cookie jar (tough-cookie's or
 * Crawlee's promise jar) gets every Set-Cookie and gives its cookies to each hop unless the request
 * names them already, redirects are followed here (Crawlee's `onRedirect` may rewrite the next hop's
 * headers), and `headerGenerator` is not used: the pool's identity sends the browser's own headers,
 * which match its ClientHello.
 */
import type { Readable } from 'node:stream'
import { request as undiciRequest, type Dispatcher } from 'undici'
import type { ProfileName } from '../config/index.js'
import { InvalidArgumentError } from '../errors.js'
import type { HotConnPool } from '../pool/index.js'

type Headers = Record<string, string | string[] | undefined>

/** A tough-cookie jar (callback or promise API) or Crawlee's promise jar. */
interface AnyCookieJar {
  getCookieString(url: string, ...rest: unknown[]): unknown
  setCookie(cookie: string, url: string, ...rest: unknown[]): unknown
}

/** The part of Crawlee's `HttpRequest` this client reads. */
export interface CrawleeHttpRequest {
  [k: string]: unknown
  url: string | URL
  method?: string
  headers?: Headers
  body?: string | Buffer | Readable | Uint8Array
  signal?: AbortSignal
  timeout?: { request?: number; response?: number }
  cookieJar?: AnyCookieJar
  followRedirect?: boolean | ((response: unknown) => boolean)
  maxRedirects?: number
  responseType?: 'text' | 'json' | 'buffer'
  encoding?: BufferEncoding
  throwHttpErrors?: boolean
  proxyUrl?: string
}

export interface CrawleeResponseData {
  redirectUrls: URL[]
  url: string
  ip?: string
  statusCode: number
  statusMessage?: string
  headers: Headers
  trailers: Headers
  complete: boolean
}

export interface HotConnHttpClientOptions {
  /** The pool the requests go through (the client does not close it). */
  pool: HotConnPool
  /** The identity of every request (default: the pool's). */
  identity?: ProfileName
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

export class HotConnHttpClient {
  readonly #pool: HotConnPool
  readonly #identity: ProfileName | undefined
  readonly #byProxy = new Map<string, Dispatcher>()

  constructor(options: HotConnHttpClientOptions) {
    if (options?.pool === undefined) throw new InvalidArgumentError('HotConnHttpClient: options.pool is required')
    this.#pool = options.pool
    this.#identity = options.identity
  }

  /** Sends `request` and reads the whole body (`responseType` text, json or buffer). */
  async sendRequest(
    request: CrawleeHttpRequest,
  ): Promise<CrawleeResponseData & { body: unknown; request: CrawleeHttpRequest }> {
    const { stream, ...data } = await this.stream(request)
    const chunks: Buffer[] = []
    for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array))
    const bytes = Buffer.concat(chunks)
    const type = request.responseType ?? 'text'
    const body =
      type === 'buffer'
        ? bytes
        : type === 'json'
          ? JSON.parse(bytes.toString('utf8'))
          : bytes.toString(request.encoding ?? 'utf8')
    return { ...data, body }
  }

  /** Sends `request`, following redirects, and resolves with the final response's head and body stream. */
  async stream(
    request: CrawleeHttpRequest,
    onRedirect?: (response: CrawleeResponseData, updated: { url?: string | URL; headers: Headers }) => void,
  ): Promise<
    CrawleeResponseData & {
      stream: Readable
      request: CrawleeHttpRequest
      downloadProgress: object
      uploadProgress: object
    }
  > {
    const dispatcher = this.#dispatcher(request.proxyUrl)
    const redirectUrls: URL[] = []
    let url = new URL(String(request.url))
    let method = (request.method ?? 'GET').toUpperCase()
    let headers: Headers = { ...request.headers }
    let body = request.body
    const max = request.maxRedirects ?? 10
    for (;;) {
      const sent = await withJarCookies(request.cookieJar, url, headers)
      const res = await undiciRequest(url, {
        dispatcher,
        method: method as Dispatcher.HttpMethod,
        headers: stripUndefined(sent),
        body: body as never,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
        ...(request.timeout?.request === undefined ? {} : { headersTimeout: request.timeout.request }),
      })
      await storeCookies(request.cookieJar, url, res.headers['set-cookie'])
      const data: CrawleeResponseData = {
        redirectUrls: [...redirectUrls],
        url: url.href,
        statusCode: res.statusCode,
        headers: res.headers,
        trailers: {},
        complete: false,
      }
      const location = res.headers.location
      const follow =
        typeof request.followRedirect === 'function' ? request.followRedirect(data) : request.followRedirect !== false
      if (!REDIRECTS.has(res.statusCode) || typeof location !== 'string' || !follow) {
        return {
          ...data,
          stream: res.body,
          request,
          downloadProgress: { percent: 0, transferred: 0 },
          uploadProgress: { percent: 1, transferred: 0 },
        }
      }
      await res.body.dump()
      if (redirectUrls.length >= max)
        throw new InvalidArgumentError(`more than ${max} redirects from ${String(request.url)}`)
      const next = new URL(location, url)
      redirectUrls.push(next)
      if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
        method = 'GET'
        body = undefined
      }
      const updated = { url: next as string | URL, headers: { ...headers } }
      onRedirect?.(data, updated)
      url = new URL(String(updated.url ?? next))
      headers = updated.headers
    }
  }

  #dispatcher(proxyUrl: string | undefined): Dispatcher {
    const key = proxyUrl ?? ''
    let d = this.#byProxy.get(key)
    if (d === undefined) {
      const base = proxyUrl === undefined ? this.#pool : this.#pool.forEgress(proxyUrl)
      d =
        this.#identity === undefined
          ? base
          : base.compose(
              (dispatch) => (opts, handler) => dispatch({ ...opts, identity: this.#identity } as never, handler),
            )
      this.#byProxy.set(key, d)
    }
    return d
  }
}

async function withJarCookies(jar: AnyCookieJar | undefined, url: URL, headers: Headers): Promise<Headers> {
  if (jar === undefined) return headers
  const own = Object.keys(headers).some((k) => k.toLowerCase() === 'cookie')
  if (own) return headers
  const cookie = String((await call(jar, 'getCookieString', url.href)) ?? '')
  return cookie === '' ? headers : { ...headers, cookie }
}

async function storeCookies(
  jar: AnyCookieJar | undefined,
  url: URL,
  setCookie: string | string[] | undefined,
): Promise<void> {
  if (jar === undefined || setCookie === undefined) return
  for (const c of Array.isArray(setCookie) ? setCookie : [setCookie]) await call(jar, 'setCookie', c, url.href)
}

/** Calls a jar method of the promise API, or of the callback API when it takes one. */
function call(jar: AnyCookieJar, name: 'getCookieString' | 'setCookie', ...args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const r = (jar[name] as (...a: unknown[]) => unknown)(...args, (err: Error | null, value: unknown) =>
      err ? reject(err) : resolve(value),
    )
    if (r !== undefined && typeof (r as Promise<unknown>).then === 'function')
      (r as Promise<unknown>).then(resolve, reject)
  })
}

function stripUndefined(h: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = v
  return out
}
