/**
 * `hotconn/crawlee`: Crawlee's HTTP client over a HotConnPool, so a crawler's requests carry a
 * browser's TLS ClientHello, HTTP/2 flight and headers, ride hot connections and leave through the
 * proxy Crawlee picks:
 *
 *   import { CheerioCrawler, ProxyConfiguration } from 'crawlee'
 *   import { HotConnPool } from 'hotconn'
 *   import { HotConnHttpClient } from 'hotconn/crawlee'
 *
 *   const pool = new HotConnPool()
 *   const crawler = new CheerioCrawler({
 *     httpClient: new HotConnHttpClient({ pool }),
 *     proxyConfiguration: new ProxyConfiguration({ proxyUrls: ['http://user:pass@10.0.0.5:3128'] }),
 *     async requestHandler({ $, enqueueLinks }) { await enqueueLinks() },
 *   })
 *   await crawler.run(['https://example.com/'])
 *   await pool.close()
 *
 * Crawlee (`@crawlee/core` 3.12+) is an optional peer dependency: this module uses its types only
 * and loads none of it, and the root `hotconn` import never loads this module.
 */
export { HotConnHttpClient, type HotConnHttpClientOptions } from './client.js'
export {
  HttpStatusError,
  IdentityMismatchError,
  RequestTimeoutError,
  ResponseParseError,
  TooManyRedirectsError,
} from '../errors.js'
