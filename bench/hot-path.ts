/**
 * A focused run of the hot HTTP/1.1 rows of `npm run bench` (1 KB GETs, sequential and
 * concurrency 16): hotconn against undici + node:tls on the same nginx origin, interleaved rounds,
 * paired medians, the client process's CPU per request split into user and sys; optionally a CPU
 * profile of hotconn's side of each row. For measuring one hot-path change at a time.
 *
 *   npx tsx bench/hot-path.ts [--rounds 9] [--round-ms 400] [--profile <dir>] [--rows seq,c16,tiles,cold]
 *                             [--before <checkout>]
 *
 * `cold` is a new connection per request (x25519 server); `tiles` is 256 KB responses at concurrency 8. `--before` adds a third client: hotconn
 * from another checkout of the repository (e.g. `git worktree add /tmp/before <commit>` with its
 * node_modules), so that a change is measured against the code before it in the same rounds.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createCA, issueLeaf } from '../src/testing/pki.js'
import { profileHotSpots } from './lib/cpuprofile.js'
import { pairedRatio, summarize } from './lib/stats.js'
import { calibrateEach, interleave } from './lib/interleave.js'
import { BASELINE, HOTCONN, hotconnKind, undiciKind, type HttpClient, type Target } from './perf/clients.js'
import { useBuiltLibrary } from './perf/library.js'
import { cpuRecordingContenders, runGets } from './perf/load.js'
import { nginxVersion, startNginx } from './perf/nginx.js'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    'round-ms': { type: 'string', default: '400' },
    profile: { type: 'string' },
    rows: { type: 'string', default: 'seq,c16' },
    before: { type: 'string' },
  },
})
const ROUNDS = Number(values.rounds)
const ROUND_MS = Number(values['round-ms'])
const HOST = 'tiles.test'
const IP = '127.0.0.2'

await useBuiltLibrary()
if (!nginxVersion()) throw new Error('nginx is not installed (/usr/sbin/nginx); this script needs it')
const ca = createCA({ keyType: 'ecdsa-p256', name: 'hotconn bench CA' })
const leaf = issueLeaf(ca, { hosts: [HOST, IP], keyType: 'ecdsa-p256' })
const ng = await startNginx({
  certPem: leaf.chainPem,
  keyPem: leaf.keyPem,
  ips: [IP],
  sizes: [1024, 262144],
  groups: 'X25519',
})
const target: Target = { host: HOST, ip: IP, port: ng.port, caPem: ca.certPem }
const f = (n: number): string => n.toFixed(2)
const BEFORE = 'hotconn before'
// The other checkout's hotconn is measured in the same form: built, when its harness can build it.
const beforeLibrary = values.before ? join(values.before, 'bench/perf/library.ts') : undefined
if (beforeLibrary !== undefined && existsSync(beforeLibrary))
  await ((await import(beforeLibrary)) as { useBuiltLibrary: () => Promise<unknown> }).useBuiltLibrary()
const beforeKind = values.before
  ? ((await import(join(values.before, 'bench/perf/clients.ts'))) as { hotconnKind: typeof hotconnKind }).hotconnKind
  : undefined

try {
  for (const row of values.rows.split(',')) {
    const cold = row === 'cold'
    const tiles = row === 'tiles'
    const concurrency = row === 'seq' || cold ? 1 : tiles ? 8 : Number(row.replace(/^c/, ''))
    const path = tiles ? '/size/262144' : '/size/1024'
    const make = (k: typeof hotconnKind): Promise<HttpClient> => (cold ? k.cold(target) : k.hot(target, concurrency))
    const clients: Array<{ name: string; client: HttpClient }> = [
      { name: HOTCONN, client: await make(hotconnKind) },
      { name: BASELINE, client: await make(undiciKind) },
      ...(beforeKind ? [{ name: BEFORE, client: await make(beforeKind) }] : []),
    ]
    const { contenders, cpu: ops, start } = cpuRecordingContenders(clients, path, concurrency)
    for (const c of clients) await runGets(c.client, path, cold ? 20 : 400, concurrency)
    const counts = await calibrateEach(contenders, {
      probe: cold ? 10 : Math.max(100, concurrency * 8),
      targetMs: ROUND_MS,
      min: cold ? 10 : 100,
    })
    start()
    const results = await interleave(contenders, { rounds: ROUNDS, count: counts, warmup: 0 })
    const h = results[HOTCONN]!
    const b = results[BASELINE]!
    const r = pairedRatio(h, b)
    const cpu = (name: string): string => {
      const o = ops.get(name)!
      const u = summarize(o.user).median
      const s = summarize(o.sys).median
      return `user ${u.toFixed(0)} + sys ${s.toFixed(0)} = ${(u + s).toFixed(0)} µs/req`
    }
    const tot = (name: string): number[] => ops.get(name)!.user.map((u, i) => u + ops.get(name)!.sys[i]!)
    const cr = pairedRatio(tot(BASELINE), tot(HOTCONN))
    console.log(
      `${row}: ${Object.values(counts).join('/')} per round (${Object.keys(counts).join(', ')}) × ${ROUNDS}: hotconn ${summarize(h).median.toFixed(0)} req/s, undici ${summarize(b).median.toFixed(0)} req/s; ` +
        `paired ${f(r.pairedMedian)}× (${f(r.pairedMin)}–${f(r.pairedMax)}); CPU ratio ${f(cr.pairedMedian)}×\n` +
        `  hotconn ${cpu(HOTCONN)}\n  undici  ${cpu(BASELINE)}`,
    )
    if (beforeKind) {
      const r0 = pairedRatio(results[BEFORE]!, b)
      const now = pairedRatio(h, results[BEFORE]!)
      const cpuNow = pairedRatio(tot(BEFORE), tot(HOTCONN))
      console.log(
        `  before  ${cpu(BEFORE)}; before vs undici ${f(r0.pairedMedian)}×; ` +
          `now vs before: throughput ${f(now.pairedMedian)}× (${f(now.pairedMin)}–${f(now.pairedMax)}), CPU ${f(cpuNow.pairedMedian)}× less`,
      )
    }
    if (values.profile) {
      mkdirSync(values.profile, { recursive: true })
      const hot = clients[0]!.client
      const file = join(values.profile, `hot-${row}.cpuprofile`)
      await profileHotSpots(
        async () => {
          const end = performance.now() + 3000
          while (performance.now() < end) await runGets(hot, path, Math.max(concurrency * 8, 50), concurrency)
        },
        process.cwd(),
        10,
        'src/',
        ['node_modules/undici/', 'bench/'],
        file,
      )
      console.log(`  profile: ${file}`)
    }
    for (const c of clients) await c.client.close()
  }
} finally {
  await ng.stop()
}
