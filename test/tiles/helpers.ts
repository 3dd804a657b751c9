/** Fixtures of the tile-job tests: a demo origin whose requests are recorded, and pool options pinned to its IPs. */
import {
  startDemoOrigin,
  type DemoOrigin,
  type DemoOriginOptions,
  type OriginRequestEvent,
} from '../../src/demo/index.js'
import type { HotConnPoolOptions, Resolver } from '../../src/pool/index.js'

export interface TileOrigin {
  origin: DemoOrigin
  /** Every request the origin answered, in order. */
  requests: OriginRequestEvent[]
  /** https://tiles.test:port/tiles/{z}/{x}/{y}.png */
  template: string
  /** Pool options trusting the origin's CA and resolving tiles.test to its IPs. */
  pool(extra?: HotConnPoolOptions): HotConnPoolOptions
  /** Tile requests per path ("/tiles/3/1/2.png" -> 2). */
  perTile(): Map<string, number>
  close(): Promise<void>
}

export function pinned(ips: readonly string[]): Resolver {
  return {
    resolve: async () => ({
      addresses: ips.map((address) => ({ address, family: 4 as const, ttlMs: Infinity })),
      minTtlMs: Infinity,
    }),
  }
}

export async function startTileOrigin(options: DemoOriginOptions = {}): Promise<TileOrigin> {
  const requests: OriginRequestEvent[] = []
  const origin = await startDemoOrigin({ ...options, onRequest: (e) => requests.push(e) })
  return {
    origin,
    requests,
    template: origin.url('/tiles/{z}/{x}/{y}.png'),
    pool: (extra = {}) => ({ ca: origin.caPem, resolver: pinned(origin.ips), ...extra }),
    perTile: () => {
      const m = new Map<string, number>()
      for (const r of requests) if (r.path.startsWith('/tiles/')) m.set(r.path, (m.get(r.path) ?? 0) + 1)
      return m
    },
    close: () => origin.close(),
  }
}
