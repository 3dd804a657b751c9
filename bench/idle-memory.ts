/**
 * A focused run of the "idle connections across 50 loopback IPs" table of `npm run bench` (the
 * scale scenario's memory part): hotconn's HotConnPool.warmup against node:tls and an undici Agent,
 * interleaved rounds on the same nginx origin, heap and external bytes per idle connection. For
 * measuring one memory change at a time without the rest of the scale scenario.
 *
 *   npx tsx bench/idle-memory.ts [--rounds 3] [--connections 1000] [--markdown] [--snapshot <file>]
 *
 * `--markdown` prints the section as reports/perf.md renders it (to replace that section by hand).
 * `--snapshot` warms one hotconn pool of `--connections` instead and writes a V8 heap snapshot of it
 * (open in Chrome DevTools → Memory) before the pool is destroyed.
 *
 * In `npm run bench` this runs after the other scenarios, with hotconn's code already compiled; run
 * alone, the first round also carries that one-time cost (compiled code, caches), so read the later
 * rounds for the cost per connection.
 */
import { writeHeapSnapshot } from 'node:v8'
import { parseArgs } from 'node:util'
import { createCA, issueLeaf } from '../src/testing/pki.js'
import { hotconnPool, type Target } from './perf/clients.js'
import { useBuiltLibrary } from './perf/library.js'
import { nginxVersion, startNginx } from './perf/nginx.js'
import { memorySection } from './perf/report.js'
import { memoryAndWarmup, type MemorySample } from './perf/scale.js'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '1000' },
    snapshot: { type: 'string' },
    markdown: { type: 'boolean', default: false },
  },
})
const rounds = Number(values.rounds)
const n = Number(values.connections)
const HOST = 'tiles.test'
const IPS = Array.from({ length: 50 }, (_, i) => `127.0.1.${i + 1}`)
const log = (m: string): void => void process.stderr.write(`[idle-memory] ${m}\n`)

await useBuiltLibrary()
if (nginxVersion() === undefined) throw new Error('nginx is not installed (/usr/sbin/nginx); install it to run this')
const ca = createCA({ keyType: 'ecdsa-p256', name: 'hotconn bench CA' })
const leaf = issueLeaf(ca, { hosts: [HOST, ...IPS], keyType: 'ecdsa-p256' })
const ng = await startNginx({ certPem: leaf.chainPem, keyPem: leaf.keyPem, ips: IPS, sizes: [1024], groups: 'X25519' })
const target: Target = { host: HOST, ip: IPS[0]!, port: ng.port, caPem: ca.certPem }
try {
  if (values.snapshot !== undefined) {
    const pool = hotconnPool(target, n, IPS)
    try {
      await pool.warmup(`https://${HOST}:${ng.port}`)
      log(`${pool.stats().idle} idle; writing ${writeHeapSnapshot(values.snapshot)}`)
    } finally {
      await pool.destroy()
    }
  } else {
    const m = await memoryAndWarmup(target, IPS, n, rounds, log)
    const avg = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length
    const line = (name: string, xs: readonly MemorySample[]): string => {
      const heap = avg(xs.map((s) => s.heapPerConn))
      const ext = avg(xs.map((s) => s.externalPerConn))
      const per = xs.map((s) => Math.round(s.heapPerConn + s.externalPerConn)).join(', ')
      return `${name.padEnd(10)} heap ${heap.toFixed(0).padStart(6)}  external ${ext.toFixed(0).padStart(5)}  heap+external ${(heap + ext).toFixed(0).padStart(6)}  (rounds: ${per})  warm-up ${avg(xs.map((s) => s.warmupMs)).toFixed(0)} ms`
    }
    process.stdout.write(
      [
        line('hotconn', m.hotconn),
        line('node:tls', m.nodeTls),
        ...(m.undiciPooled ? [line('undici', m.undiciPooled)] : []),
        `heap+external hotconn / node:tls: ${m.heapExternalRatio!.pairedMedian.toFixed(2)}× (paired median of ${rounds})`,
        '',
      ].join('\n'),
    )
    if (values.markdown) process.stdout.write(`\n${memorySection(m).join('\n')}\n`)
  }
} finally {
  await ng.stop()
}
