/**
 * Crawlee's CheerioCrawler over hotconn: `httpClient: new HotConnHttpClient({ pool })` and a
 * ProxyConfiguration naming a local squid, crawling the demo origin's 20 linked pages (behind a
 * session cookie: a request without it is redirected with a Set-Cookie). Every page is fetched
 * once, the cookie the origin set on the first request comes back on every request after it, and
 * every connection the origin accepted came from squid's outgoing address (squid carried it all,
 * per-IP: the pool resolved the host and CONNECTed to its IPs). Crawlee's storage stays in memory
 * (its directory a temporary one, removed after).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { CheerioCrawler, Configuration, log, ProxyConfiguration } from '@crawlee/cheerio'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HotConnHttpClient } from '../../src/crawlee/index.js'
import { PAGE_COUNT } from '../../src/demo/pages.js'
import type { OriginRequestEvent } from '../../src/demo/index.js'
import type { HotConnPool } from '../../src/pool/index.js'
import { PeerTracker } from '../egress/helpers.js'
import { PROJECT_ROOT } from '../helpers/project-node.js'
import { loopbackIps, startTestOrigin, testPool, type TestOrigin } from '../pool/helpers/fixtures.js'
import { tempDir } from './helpers.js'
import { skipReason, startSquid, type ProxyProcess } from './proxies.js'

const skip = skipReason({ squid: true })
if (skip !== undefined) console.warn(`skipping the Crawlee crawl through squid: ${skip}`)

const SQUID_OUTGOING = '127.0.0.96'

describe.skipIf(skip !== undefined)('CheerioCrawler through HotConnHttpClient and squid', () => {
  const events: OriginRequestEvent[] = []
  const storage = tempDir('hotconn-crawlee-storage-')
  const hadStorageDir = existsSync(join(PROJECT_ROOT, 'storage'))
  let t: TestOrigin
  let squid: ProxyProcess
  let peers: PeerTracker
  let pool: HotConnPool

  beforeAll(async () => {
    t = await startTestOrigin({ ips: loopbackIps(4), onRequest: (e) => events.push(e) })
    peers = new PeerTracker(t.origin.ips)
    squid = await startSquid({ outgoingAddress: SQUID_OUTGOING })
    pool = testPool(t)
  }, 60_000)
  afterAll(async () => {
    await pool?.close()
    await squid?.close()
    peers?.dispose()
    await t?.close()
    storage.remove()
  })

  it('fetches all 20 pages once, keeps the session cookie between pages, all through squid', async () => {
    log.setLevel(log.LEVELS.WARNING)
    const config = new Configuration({
      persistStorage: false,
      storageClientOptions: { localDataDirectory: storage.dir, persistStorage: false },
    })
    const pages: { url: string; session: string; status: number | undefined; proxy: string | undefined }[] = []
    const failed: string[] = []
    const crawler = new CheerioCrawler(
      {
        httpClient: new HotConnHttpClient({ pool }),
        proxyConfiguration: new ProxyConfiguration({ proxyUrls: [squid.url] }),
        // One session: one cookie jar for the whole crawl, as one browser profile.
        sessionPoolOptions: { maxPoolSize: 1 },
        maxConcurrency: 4,
        maxRequestRetries: 0,
        maxRequestsPerCrawl: 100,
        navigationTimeoutSecs: 20,
        async requestHandler({ request, response, $, enqueueLinks, proxyInfo }) {
          pages.push({
            url: request.loadedUrl ?? request.url,
            session: $('#session').text(),
            status: response.statusCode,
            proxy: proxyInfo?.url,
          })
          await enqueueLinks()
        },
        failedRequestHandler({ request }, error) {
          failed.push(`${request.url}: ${error.message}`)
        },
      },
      config,
    )
    const stats = await crawler.run([t.origin.url('/pages/1')])

    expect(failed).toEqual([])
    expect(stats.requestsFinished).toBe(PAGE_COUNT)
    const want = Array.from({ length: PAGE_COUNT }, (_, i) => t.origin.url(`/pages/${i + 1}`))
    expect(pages.map((p) => p.url).sort()).toEqual([...want].sort())
    expect(pages.every((p) => p.status === 200 && p.proxy === squid.url)).toBe(true)

    // The origin issued one session (the 302 of the very first request), and every page carried it.
    const pageEvents = events.filter((e) => e.path.startsWith('/pages/'))
    expect(pageEvents[0]).toMatchObject({ path: '/pages/1', status: 302 })
    expect(pageEvents.slice(1).map((e) => e.status)).toEqual(Array(PAGE_COUNT).fill(200))
    const sessions = new Set(pages.map((p) => p.session))
    expect(sessions.size).toBe(1)
    expect([...sessions][0]).toMatch(/^[0-9a-f]{16}$/)

    // squid carried every connection: the origin saw only its outgoing address, on the IPs the pool
    // resolved (per-IP through the proxy).
    const remotes = peers.all()
    expect(remotes.length).toBeGreaterThan(0)
    expect(new Set(remotes)).toEqual(new Set([SQUID_OUTGOING]))
    const hosts = Object.values(pool.stats().hosts)
    expect(hosts.map((h) => h.egress)).toEqual([expect.stringContaining(`127.0.0.1:${squid.port}`)])
    // Hot connections: far fewer handshakes than pages.
    expect(hosts[0]!.handshakes).toBeLessThanOrEqual(8)

    // Crawlee wrote nothing to ./storage.
    expect(existsSync(join(PROJECT_ROOT, 'storage'))).toBe(hadStorageDir)
  })
})
