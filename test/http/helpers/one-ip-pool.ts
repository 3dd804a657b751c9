/** A HotConnPool pinned to one origin IP (its resolver answers only that), trusting the origin's CA. */
import { HotConnPool, type HotConnPoolOptions } from '../../../src/pool/index.js'

export function oneIpPool(
  origin: { readonly caPem: string; readonly ip: string },
  options: { http2: boolean; pool: NonNullable<HotConnPoolOptions['pool']> },
): HotConnPool {
  return new HotConnPool({
    ca: origin.caPem,
    http2: { enabled: options.http2 },
    pool: options.pool,
    resolver: {
      resolve: async () => ({ addresses: [{ address: origin.ip, family: 4, ttlMs: 60_000 }], minTtlMs: 60_000 }),
    },
  })
}
