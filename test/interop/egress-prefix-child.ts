/**
 * Run by egress-prefix.test.ts inside a private network namespace whose loopback has
 * fd00:1::/64 as a local route: the demo origin on ::1, a pool drawing its source addresses from
 * that prefix. Prints one JSON line: the drawn addresses' peers as the origin saw them, in order,
 * and the pool's egresses.
 */
import diagnostics from 'node:diagnostics_channel'
import type { Socket } from 'node:net'
import { request } from 'undici'
import { startDemoOrigin } from '../../src/demo/index.js'
import { HotConnPool } from '../../src/pool/index.js'

const PREFIX = process.argv[2] ?? 'fd00:1::/64'
const peers: string[] = []
diagnostics.subscribe('net.server.socket', (m) => void peers.push((m as { socket: Socket }).socket.remoteAddress ?? ''))
const origin = await startDemoOrigin({ ips: ['::1'] })
const pool = new HotConnPool({
  ca: origin.caPem,
  resolver: {
    resolve: async () => ({ addresses: [{ address: '::1', family: 6, ttlMs: 60_000 }], minTtlMs: 60_000 }),
  },
  pool: { warmConnsPerIp: 0 },
  egress: { localPrefix: PREFIX, localPrefixAddresses: 4 },
})
try {
  const statuses: number[] = []
  for (let i = 0; i < 8; i++) {
    const res = await request(origin.url(`/tiles/2/${i % 4}/1.png`), { dispatcher: pool })
    await res.body.arrayBuffer()
    statuses.push(res.statusCode)
  }
  const hosts = Object.values(pool.stats().hosts).map((h) => ({ egress: h.egress, requests: h.requests }))
  process.stdout.write(JSON.stringify({ statuses, peers, hosts }) + '\n')
} finally {
  await pool.close()
  await origin.close()
}
