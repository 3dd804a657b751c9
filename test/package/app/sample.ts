/**
 * A strict TypeScript user of the published package (test/package copies it into an empty project
 * that installed the tarball, type-checks it with module node16, nodenext and bundler, and runs it).
 * Node's global fetch, undici's fetch and request, an interceptor and an identity, all with the
 * pool as `dispatcher` and no cast; misspelt options do not compile.
 *
 *   node sample.js <origin> <ca.pem> <ip>…     prints one line per request, exits 0 on its own
 */
import { readFileSync } from 'node:fs'
import { fetch as undiciFetch, interceptors, request } from 'undici'
import {
  connect,
  HotConnError,
  HotConnPool,
  loadConfig,
  type HotConnPoolOptions,
  type ResolvedAddress,
  type Resolver,
  type TlsConnectionInfo,
} from 'hotconn'

const [origin = 'https://tiles.internal:8443', caFile = 'ca.pem', ...ips] = process.argv.slice(2)
const host = new URL(origin).hostname

/** The origin's addresses, given on the command line. */
const resolver: Resolver = {
  async resolve(name: string) {
    if (name !== host) throw new Error(`no address for ${name}`)
    const addresses = ips.map((address): ResolvedAddress => ({ address, family: 4, ttlMs: 60_000 }))
    return { addresses, minTtlMs: 60_000 }
  },
}

async function main(): Promise<void> {
  const packaged = await loadConfig()
  if (packaged.pool.maxIdleConns !== 20) throw new Error('loadConfig() did not read the packaged defaults')
  const options: HotConnPoolOptions = {
    pool: { maxConnsPerHost: 4, idleTimeoutMs: '30s' },
    tls: { profile: 'chrome-latest-linux' },
    ca: readFileSync(caFile),
    resolver,
    maxRetries: 2,
  }
  const pool = await HotConnPool.create(options)
  try {
    const warm = await pool.warmup(origin)
    console.log(`warm ${warm.ips.map((ip) => `${ip.ip}:${ip.opened}`).join(' ')}`)
    const a: Response = await fetch(`${origin}/global`, { dispatcher: pool })
    console.log(`global-fetch ${a.status} ${await a.text()}`)
    const b = await undiciFetch(`${origin}/undici`, { dispatcher: pool })
    console.log(`undici-fetch ${b.status} ${await b.text()}`)
    const retrying = pool.compose(interceptors.retry({ statusCodes: [503], maxRetries: 2 }))
    const c = await fetch(`${origin}/composed`, { dispatcher: retrying })
    console.log(`composed ${c.status} ${await c.text()}`)
    const d = await request(`${origin}/identity`, { dispatcher: pool.forIdentity('firefox-153-linux') })
    console.log(`request ${d.statusCode} ${await d.body.text()}`)
  } catch (err) {
    if (err instanceof HotConnError) console.error(`${err.code}: ${err.message}`)
    throw err
  } finally {
    await pool.close()
  }
}

/** The TLS engine alone: `info` is there once connect() resolved (typed, never called here). */
export async function handshakeOnly(ip: string): Promise<TlsConnectionInfo> {
  const socket = await connect({ host, ip, profile: 'firefox', alpn: ['http/1.1'] })
  const info: TlsConnectionInfo = socket.info
  socket.destroy()
  return info
}

// Closed option types: each misspelling below must fail to compile (else tsc reports the
// expect-error directive as unused).
// @ts-expect-error maxIdleConn is not a pool key
export const typoKey: HotConnPoolOptions = { pool: { maxIdleConn: 3 } }
// @ts-expect-error pol is not a section
export const typoSection: HotConnPoolOptions = { pol: {} }
// @ts-expect-error chrom is not a profile name
export const typoProfile: HotConnPoolOptions = { tls: { profile: 'chrom' } }

await main()
