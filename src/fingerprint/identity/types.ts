/**
 * A request identity: everything a real browser on one OS puts on the wire, as data — its TLS
 * ClientHello (a `ClientHelloSpec`), its HTTP/2 first flight, and per Fetch destination its header
 * fields in order with their values, its RFC 9218 `priority` and HTTP/2 HEADERS weight.
 */
import type { ClientHelloSpec } from '../spec.js'
import type { Destination, Http2Fingerprint, HttpProfile, RequestHeaderTemplates } from '../http.js'
import type { ClientHints } from './client-hints.js'
import type { OperatingSystem } from './user-agent.js'

export type { Destination }
export { DESTINATIONS } from '../http.js'

/** Fetch request mode the browser uses for a destination (Fetch §2.2.5 "mode"). */
export type RequestMode = 'navigate' | 'no-cors' | 'cors'

/**
 * How one destination is requested. The templates list every field the browser may send, in its
 * order; contextual fields are slots filled per request by `planRequestHeaders`:
 * `referer`, `origin`, `sec-fetch-site`, `sec-fetch-user`, `sec-fetch-storage-access`.
 */
export interface DestinationHeaders extends RequestHeaderTemplates {
  readonly mode: RequestMode
  /** RFC 9218 `priority` value the browser sends, or undefined when it sends none. */
  readonly priority: string | undefined
  /** HTTP/2 HEADERS weight (1-256) when the request keeps this destination's urgency. */
  readonly weight: number
  /**
   * When a GET carries `Origin`: `always` (Chromium's fonts), `cross-origin` (CORS-mode requests
   * to another origin), `never` (no-cors and navigations). Requests other than GET/HEAD always carry it.
   */
  readonly origin: 'always' | 'cross-origin' | 'never'
}

export type Browser = 'chrome' | 'edge' | 'firefox'

/** One browser on one OS: the identity a request (or a pool) goes out as. */
export interface RequestIdentity extends HttpProfile {
  /** e.g. `chrome-156-windows`. */
  readonly name: string
  readonly browser: Browser
  /** Major version, e.g. 156. */
  readonly version: number
  readonly os: OperatingSystem
  /** The ClientHello (shared by every OS of a browser version: the captures show no OS dependence in BoringSSL/NSS). */
  readonly tls: ClientHelloSpec
  /** HTTP/2 first flight and HEADERS priority rule (`priority.dependency`: `root` for Firefox, `chain` for Chromium). */
  readonly http2: Http2Fingerprint
  /** Low-entropy client hints (Chromium-based browsers only). */
  readonly clientHints: ClientHints | undefined
  /** Per destination; `headers.navigation` (the older name) is `headers.document`. */
  readonly destinations: Readonly<Record<Destination, DestinationHeaders>>
}
