/**
 * HotConnHttpClient: Crawlee's `BaseHttpClient` (3.12+, checked against 3.18) over a HotConnPool.
 * What each field of Crawlee's `HttpRequest` does here:
 *  - `proxyUrl`: the request's egress (the pool's `egress` dispatch option: `http://`, `https://`,
 *    `socks5://`, `socks5h://`); none: the pool's own `[egress]`. Connections stay hot per proxy.
 *  - `cookieJar` (tough-cookie's or a promise jar): its cookies go out on every hop whose headers
 *    name no `cookie`, and every `Set-Cookie` (redirects included) is stored in it.
 *  - `headerGenerator`, `headerGeneratorOptions`, `useHeaderGenerator`: they pick the identity; the
 *    identity's headers go out, never the generator's (src/crawlee/identity.ts).
 *  - `followRedirect`, `maxRedirects` (default 10): redirects are followed here, hop by hop, as
 *    the browser would (303, and 301/302 after POST, become GET); `cookie` and `authorization` are
 *    dropped on a cross-origin hop; `onRedirect` (Crawlee's session cookies) may set the next hop's
 *    headers.
 *  - `timeout.request` (ms): a deadline over the whole exchange, body included
 *    (RequestTimeoutError); phase timeouts are the pool's (`connect_timeout`, `headers_timeout`).
 *  - `signal`, `responseType` (text, json, buffer), `encoding`, `throwHttpErrors`: as in got.
 *  - TLS verification stays the pool's (`ca`, `tls.verify`): Crawlee's `ignoreSslErrors` (on by
 *    default in HttpCrawler) does not turn it off. `sessionToken` and `insecureHTTPParser` are unused.
 */
import type {
  BaseHttpClient,
  BaseHttpResponseData,
  HttpRequest,
  HttpResponse,
  RedirectHandler,
  ResponseTypes,
  StreamingHttpResponse,
} from '@crawlee/core'
import type { Dispatcher } from 'undici'
import type { ProfileName } from '../config/index.js'
import { HttpStatusError, InvalidArgumentError, ResponseParseError, TooManyRedirectsError } from '../errors.js'
import { DESTINATIONS, type Destination } from '../fingerprint/http.js'
import type { HotConnPool } from '../pool/index.js'
import { prepareBody, type PreparedBody } from './body.js'
import { jarCookie, storeSetCookies, type CookieJarLike } from './cookies.js'
import {
  countedBody,
  Deadline,
  definedFields,
  hasField,
  HopHandler,
  withoutFields,
  type SimpleHeaders,
} from './exchange.js'
import { identityFor } from './identity.js'

export interface HotConnHttpClientOptions {
  /** The pool the requests go through. The client never closes it: close it after the crawl. */
  pool: HotConnPool
  /** Identity of the requests (a name or alias, e.g. `firefox-153-linux`); default the pool's `tls.profile`. */
  identity?: ProfileName
  /**
   * Fetch destination of the requests (WHATWG Fetch §2.2.5), which picks the identity's header set:
   * default `document`, a top-level navigation, what a crawler's page fetch is; `empty` for API calls.
   */
  destination?: Destination
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])
const DEFAULT_MAX_REDIRECTS = 10
const BODY_FIELDS = new Set(['content-type', 'content-length', 'transfer-encoding'])
const CROSS_ORIGIN_DROPPED = new Set(['cookie', 'authorization'])
const COOKIE = new Set(['cookie'])

/** One hop's state: where it goes and what it carries. */
interface Hop {
  url: URL
  method: string
  headers: SimpleHeaders
  body: PreparedBody
}

export class HotConnHttpClient implements BaseHttpClient {
  readonly #pool: HotConnPool
  readonly #identity: ProfileName
  readonly #destination: Destination

  /** @throws InvalidArgumentError for a missing pool, an unknown identity or destination. */
  constructor(options: HotConnHttpClientOptions) {
    if (options === null || typeof options !== 'object' || options.pool === undefined)
      throw new InvalidArgumentError('HotConnHttpClient: options.pool (a HotConnPool) is required')
    const destination = options.destination ?? 'document'
    if (!DESTINATIONS.includes(destination))
      throw new InvalidArgumentError(
        `HotConnHttpClient: destination must be one of ${DESTINATIONS.join(', ')}, got ${JSON.stringify(destination)}`,
      )
    this.#pool = options.pool
    // Validated here, so a typo fails at construction, not on the first request.
    if (options.identity !== undefined) options.pool.forIdentity(options.identity)
    this.#identity = options.identity ?? options.pool.config.tls.profile
    this.#destination = destination
  }

  /**
   * Sends `request` and reads its whole body, as `responseType` asks (text by default).
   * @throws what `stream` throws; ResponseParseError (ERR_RESPONSE_PARSE) for a body that is not JSON
   *   with `responseType: 'json'`.
   */
  async sendRequest<T extends keyof ResponseTypes = 'text'>(request: HttpRequest<T>): Promise<HttpResponse<T>> {
    const res = await this.stream(request as HttpRequest)
    const chunks: Buffer[] = []
    for await (const chunk of res.stream) chunks.push(chunk as Buffer)
    const bytes = Buffer.concat(chunks)
    const type = request.responseType ?? 'text'
    let body: unknown
    if (type === 'buffer') body = bytes
    else if (type === 'json') {
      try {
        body = JSON.parse(bytes.toString(request.encoding ?? 'utf8'))
      } catch (err) {
        throw new ResponseParseError(res.url, 'JSON', { cause: err })
      }
    } else body = bytes.toString(request.encoding ?? 'utf8')
    const { stream: _drained, downloadProgress, uploadProgress, ...data } = res
    return { ...data, downloadProgress, uploadProgress, body, request } as HttpResponse<T>
  }

  /**
   * Sends `request`, following its redirects, and resolves once the final response's headers are in;
   * its body is `stream`. Rejects with the pool's errors (ERR_PROXY for a proxy that cannot be
   * reached, ERR_TLS_BAD_CERTIFICATE, …), RequestTimeoutError (ERR_REQUEST_TIMEOUT) when
   * `timeout.request` passes, TooManyRedirectsError (ERR_TOO_MANY_REDIRECTS), HttpStatusError
   * (ERR_HTTP_STATUS) with `throwHttpErrors`, IdentityMismatchError (ERR_IDENTITY_MISMATCH) for a
   * header generator asking for a browser hotconn has no identity of, InvalidArgumentError for a bad
   * URL, proxy URL or a stream body a 307/308 would have to send again.
   */
  async stream(request: HttpRequest, onRedirect?: RedirectHandler): Promise<StreamingHttpResponse> {
    const first = parseUrl(request.url)
    const deadline = new Deadline(request.timeout, request.signal, first.href)
    try {
      return await this.#exchange(request, first, deadline, onRedirect)
    } catch (err) {
      deadline.clear()
      throw deadline.reason(err)
    }
  }

  async #exchange(
    request: HttpRequest,
    first: URL,
    deadline: Deadline,
    onRedirect: RedirectHandler | undefined,
  ): Promise<StreamingHttpResponse> {
    const identity = identityFor(request as HttpRequest<never>, this.#identity)
    // One root per request: the pool plans its hops as one redirect chain.
    const root = {}
    const hops: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) =>
      dispatch(opts, new HopHandler(handler, root))
    const dispatcher = this.#pool.compose(hops)
    const jar = request.cookieJar as CookieJarLike | undefined
    const maxRedirects = request.maxRedirects ?? DEFAULT_MAX_REDIRECTS
    const redirectUrls: URL[] = []
    const hop: Hop = {
      url: first,
      method: (request.method ?? 'GET').toUpperCase(),
      headers: { ...request.headers },
      body: await prepareBody(request.body),
    }
    for (;;) {
      const headers = await this.#headersOf(hop, jar)
      const res = await dispatcher.request({
        origin: hop.url.origin,
        path: `${hop.url.pathname}${hop.url.search}`,
        method: hop.method as Dispatcher.HttpMethod,
        headers,
        body: hop.body.body ?? null,
        ...(deadline.signal === undefined ? {} : { signal: deadline.signal }),
        ...{ identity, destination: this.#destination },
        ...(request.proxyUrl === undefined ? {} : { egress: request.proxyUrl }),
      } as Dispatcher.RequestOptions)
      if (jar !== undefined) await storeSetCookies(jar, hop.url, res.headers['set-cookie'])
      const data: BaseHttpResponseData = {
        redirectUrls: [...redirectUrls],
        url: hop.url.href,
        statusCode: res.statusCode,
        ...(res.statusText ? { statusMessage: res.statusText } : {}),
        headers: res.headers as SimpleHeaders,
        trailers: {},
        complete: false,
      }
      const next = this.#redirectTarget(request, data, hop.url)
      if (next === undefined) {
        if (request.throwHttpErrors === true && res.statusCode >= 400) {
          await res.body.dump()
          throw new HttpStatusError(res.statusCode, hop.url.href)
        }
        return this.#final(request, data, res, deadline, hop)
      }
      await res.body.dump()
      if (redirectUrls.length >= maxRedirects)
        throw new TooManyRedirectsError(
          maxRedirects,
          first.href,
          redirectUrls.map((u) => u.href),
        )
      redirectUrls.push(next)
      this.#redirect(hop, res.statusCode, next, jar !== undefined)
      const updated: { url?: string | URL; headers: SimpleHeaders } = { url: next, headers: hop.headers }
      onRedirect?.(data, updated)
      hop.url = parseUrl(updated.url ?? next)
      hop.headers = updated.headers
    }
  }

  /** The hop's header fields: the jar's cookies added when the hop names none. */
  async #headersOf(hop: Hop, jar: CookieJarLike | undefined): Promise<Record<string, string | string[]>> {
    const out = definedFields(hop.headers)
    if (hop.body.contentType !== undefined && !hasField(out, 'content-type')) out['content-type'] = hop.body.contentType
    if (jar === undefined || hasField(out, 'cookie')) return out
    const cookie = await jarCookie(jar, hop.url)
    if (cookie !== '') out.cookie = cookie
    return out
  }

  /** Where a response sends the request next, or undefined when it is the final one. */
  #redirectTarget(request: HttpRequest, data: BaseHttpResponseData, from: URL): URL | undefined {
    const location = data.headers.location
    if (!REDIRECT_STATUSES.has(data.statusCode) || typeof location !== 'string') return undefined
    const follow =
      typeof request.followRedirect === 'function' ? request.followRedirect(data) : request.followRedirect !== false
    if (!follow) return undefined
    try {
      return new URL(location, from)
    } catch {
      return undefined
    }
  }

  /** Turns `hop` into the next one (RFC 9110 §15.4: method and body; Fetch §4.4: fields dropped across origins). */
  #redirect(hop: Hop, status: number, next: URL, jar: boolean): void {
    if (status === 303 ? hop.method !== 'HEAD' : (status === 301 || status === 302) && hop.method === 'POST') {
      hop.method = 'GET'
      hop.body = { body: undefined, contentType: undefined, replayable: true }
      hop.headers = withoutFields(hop.headers, BODY_FIELDS)
    } else if (hop.body.body !== undefined && !hop.body.replayable) {
      throw new InvalidArgumentError(
        `${hop.url.href} answered ${status}, which sends the body again, and a stream body cannot be: give the body as a string or Buffer`,
      )
    }
    if (next.origin !== hop.url.origin) hop.headers = withoutFields(hop.headers, CROSS_ORIGIN_DROPPED)
    // With a jar, the next hop takes its cookies from it (the redirect's own Set-Cookie included).
    else if (jar) hop.headers = withoutFields(hop.headers, COOKIE)
  }

  #final(
    request: HttpRequest,
    data: BaseHttpResponseData,
    res: Dispatcher.ResponseData,
    deadline: Deadline,
    hop: Hop,
  ): StreamingHttpResponse {
    const length = Number(res.headers['content-length'])
    const { stream, progress } = countedBody(res.body, Number.isFinite(length) ? length : undefined, (err) => {
      deadline.clear()
      if (err) return
      data.complete = true
      Object.assign(data.trailers, res.trailers)
    })
    const b = hop.body.body
    const sent = typeof b === 'string' ? Buffer.byteLength(b) : b instanceof Uint8Array ? b.length : 0
    const uploadProgress = { percent: 1, transferred: sent, total: sent }
    return Object.defineProperties(data, {
      stream: { value: stream, enumerable: true },
      request: { value: request, enumerable: true },
      downloadProgress: { get: progress, enumerable: true },
      uploadProgress: { value: uploadProgress, enumerable: true },
    }) as StreamingHttpResponse
  }
}

function parseUrl(url: string | URL): URL {
  try {
    return new URL(String(url))
  } catch {
    throw new InvalidArgumentError(`request.url must be an absolute URL, got ${JSON.stringify(String(url))}`)
  }
}
