/**
 * The performance harness behind `npm run bench` and `hotconn bench`: starts the origins (Debian's
 * nginx when installed, else node:https in a child process), installs the peer clients, records every
 * client's JA4, runs the scenarios and returns raw results (report.ts renders them).
 *
 * Scenarios (ids for --scenario): hot (1 KB, sequential and concurrency 16), tiles (256 KB,
 * concurrency 8), h2 (hot c16 and tiles on an HTTP/2 origin, one connection, vs undici allowH2), tiles-like
 * concurrency 8), cold (new connection per request, x25519 and X25519MLKEM768 servers), rtt (hot
 * vs cold with 5 ms one-way delay), scale (acquire/release at 10 … 10,000 connections, heap per
 * idle connection and warm-up of 1,000 connections across 50 IPs).
 */
import { existsSync, mkdirSync } from 'node:fs'
import * as os from 'node:os'
import { join } from 'node:path'
import * as tls from 'node:tls'
import { createCA, issueLeaf } from '../../src/testing/pki.js'
import { profileHotSpots, type ProfileSummary } from '../lib/cpuprofile.js'
import { startBenchServer, type BenchServer } from '../lib/https-server.js'
import { machineInfo, type MachineInfo } from '../lib/machine.js'
import { quantile, summarize } from '../lib/stats.js'
import {
  BASELINE,
  BASELINE_H2,
  HOTCONN,
  HOTCONN_NODE24,
  hotconnKind,
  peerKind,
  undiciH2Kind,
  undiciKind,
  type ClientKind,
  type HttpClient,
  type Target,
} from './clients.js'
import { childHotconnKind, childPeerKind } from './child-kind.js'
import { oneLine } from './errors.js'
import { captureJa4, type Ja4Capture } from './ja4.js'
import {
  compareLoad,
  runGets,
  latencySummary,
  type LatencySummary,
  type LoadEntry,
  type LoadResult,
  type LoadSpec,
} from './load.js'
import { nginxHasHttp2Directive, nginxVersion, startNginx, type NginxOrigin } from './nginx.js'
import { library } from './library.js'
import { loadPeers, PEER_PACKAGES, type PeerName } from './peers.js'
import { setupNetem, startDelayRelay, type DelayRelay, type NetemPath } from './rtt.js'
import { acquireRelease, memoryAndWarmup, type AcquireResult, type MemoryResult } from './scale.js'

export const SCENARIOS = ['hot', 'tiles', 'h2', 'cold', 'rtt', 'scale'] as const
export type ScenarioId = (typeof SCENARIOS)[number]
/** auto: Debian's nginx when installed, else node:https; nginx: nginx or fail; node: node:https even with nginx. */
export const ORIGINS = ['auto', 'nginx', 'node'] as const
export type OriginChoice = (typeof ORIGINS)[number]

export interface HarnessOptions {
  readonly root: string
  readonly quick: boolean
  readonly scenarios: readonly ScenarioId[]
  readonly peers: boolean
  /** Install missing peers with npm (default true). */
  readonly install: boolean
  /** CPU-profile the hotconn side where it is below PROFILE_BELOW × the baseline. */
  readonly profile: boolean
  /** Where .cpuprofile files go (created when needed). */
  readonly profileDir: string
  /** Which origin serves the hot, tiles, cold x25519 and scale scenarios (default auto). */
  readonly origin?: OriginChoice
  readonly log: (message: string) => void
}

export const PROFILE_BELOW = 0.9
const HOST = 'tiles.test'
const MAIN_IP = '127.0.0.2'
const HYBRID_IP = '127.0.0.3'
const RELAY_IP = '127.0.0.4'
const H2_IP = '127.0.0.5'
const SCALE_IPS = Array.from({ length: 50 }, (_, i) => `127.0.1.${i + 1}`)
const SMALL = 1024
const TILE = 256 * 1024
const SUITE = 'TLS_AES_128_GCM_SHA256'
const ONE_WAY_MS = 5

export interface ClientInfo {
  readonly name: string
  readonly role: string
  readonly detail: string
  readonly ja4: Ja4Capture | { readonly error: string }
}

export interface LoadScenario {
  readonly id: string
  readonly title: string
  readonly unit: 'requests/s' | 'handshakes/s'
  readonly bytesPerOp: number
  readonly origin: string
  readonly result: LoadResult
  profile?: { readonly file: string; readonly summary: ProfileSummary }
}

export interface RttRow {
  readonly name: string
  readonly role: string
  readonly hot: LatencySummary
  readonly cold: LatencySummary
  /** cold p50 / hot p50 over all requests. */
  readonly coldOverHot: number
  /** Per round: cold p50 / hot p50, median and range. */
  readonly perRound: { readonly median: number; readonly min: number; readonly max: number }
  /** TCP connections per cold and per hot request seen by the relay (a check), when measured. */
  readonly connectionsPerCold?: number
  readonly connectionsPerHot?: number
  readonly hotMs: number[]
  readonly coldMs: number[]
}

export interface RttScenario {
  readonly mode: 'netem' | 'relay'
  /** Why netns + netem was not used (relay mode). */
  readonly netemSkipped?: string
  readonly oneWayDelayMs: number
  readonly rttMs: number
  readonly rounds: number
  readonly countPerRound: number
  readonly origin: string
  readonly rows: RttRow[]
  readonly failed: Record<string, string>
  /** hotconn's cold/hot vs the baseline's cold/hot. */
  readonly ratioVsBaseline?: number
}

export interface HarnessResult {
  readonly date: string
  readonly machine: MachineInfo
  readonly quick: boolean
  readonly origin: { readonly kind: 'nginx' | 'node:https'; readonly version: string; readonly note: string }
  readonly clients: ClientInfo[]
  readonly peersSkipped: Partial<Record<PeerName, string>>
  readonly load: LoadScenario[]
  readonly coldSkipped: Record<string, string>
  readonly rtt?: RttScenario
  readonly rttSkipped?: string
  readonly acquire?: AcquireResult
  readonly memory?: MemoryResult
  readonly memorySkipped?: string
  readonly notes: string[]
  readonly durationS: number
  /** Which hotconn was measured: the built package or the sources through tsx (bench/perf/library.ts). */
  readonly library?: 'dist' | 'src'
  /** os.loadavg() (1, 5, 15 min) when the run started: what else the machine was doing. */
  readonly loadAtStart?: readonly number[]
}

interface Origin {
  readonly kind: 'nginx' | 'node:https'
  readonly version: string
  /** One line for the report: what served the requests and why. */
  readonly note: string
  readonly port: number
  stop(): Promise<void>
}

async function startOrigin(
  pki: { certPem: string; keyPem: string },
  ips: readonly string[],
  choice: OriginChoice,
  log: (m: string) => void,
): Promise<Origin> {
  const v = choice === 'node' ? undefined : nginxVersion()
  if (choice === 'nginx' && v === undefined) throw new Error('--origin nginx: nginx is not installed')
  if (v !== undefined) {
    try {
      const ng: NginxOrigin = await startNginx({
        certPem: pki.certPem,
        keyPem: pki.keyPem,
        ips,
        sizes: [SMALL, TILE],
        groups: 'X25519',
      })
      return {
        kind: 'nginx',
        version: `nginx ${ng.version}`,
        port: ng.port,
        stop: () => ng.stop(),
        note: `nginx ${ng.version} (Debian), 1 worker process, TLS 1.3 only, ssl_ecdh_curve X25519, no session tickets or cache, HTTP/1.1, static files, access log off`,
      }
    } catch (err) {
      if (choice === 'nginx') throw err
      log(`nginx could not start (${(err as Error).message}); falling back to node:https`)
    }
  }
  const s: BenchServer = await startBenchServer({
    keyPem: pki.keyPem,
    certPem: pki.certPem,
    ecdhCurve: 'x25519',
    ciphers: SUITE,
    hosts: ips,
    noTickets: true,
    // A child process, not a worker: the clients' CPU (process.cpuUsage) must not include the origin's.
    node: process.execPath,
  })
  const why = choice === 'node' ? '--origin node' : v === undefined ? 'nginx not installed' : 'nginx failed to start'
  return {
    kind: 'node:https',
    version: `node:https ${process.version} (child process)`,
    port: s.port,
    stop: () => s.close(),
    note: `node:https ${process.version} in a child process (${why}), TLS 1.3 only, groups ${s.groups}, no session tickets, HTTP/1.1`,
  }
}

interface H2Origin {
  readonly port: number
  readonly note: string
  stop(): Promise<void>
}

/** The HTTP/2 origin on `ip`: nginx with h2 when it is there (and chosen), else node:http2 in a child process. */
async function startH2Origin(
  pki: { certPem: string; keyPem: string },
  ip: string,
  choice: OriginChoice,
  log: (m: string) => void,
): Promise<H2Origin> {
  const v = choice === 'node' ? undefined : nginxVersion()
  if (v !== undefined) {
    try {
      const ng = await startNginx({
        certPem: pki.certPem,
        keyPem: pki.keyPem,
        ips: [ip],
        sizes: [SMALL, TILE],
        groups: 'X25519',
        http2: true,
      })
      return {
        port: ng.port,
        stop: () => ng.stop(),
        note: `nginx ${ng.version} (Debian) with HTTP/2 (ALPN h2; ${nginxHasHttp2Directive(ng.version) ? '`http2 on`' : '`listen … ssl http2`'}, default http2 settings), 1 worker process, TLS 1.3 only, ssl_ecdh_curve X25519, no session tickets or cache, static files; every client on one connection`,
      }
    } catch (err) {
      if (choice === 'nginx') throw err
      log(`nginx with HTTP/2 could not start (${(err as Error).message}); falling back to node:http2`)
    }
  }
  const s = await startBenchServer({
    keyPem: pki.keyPem,
    certPem: pki.certPem,
    ecdhCurve: 'x25519',
    ciphers: SUITE,
    hosts: [ip],
    noTickets: true,
    http2: true,
    node: process.execPath,
  })
  return {
    port: s.port,
    stop: () => s.close(),
    note: `node:http2 ${process.version} in a child process (createSecureServer, allowHTTP1, maxConcurrentStreams 128), TLS 1.3 only, groups ${s.groups}, no session tickets; every client on one connection`,
  }
}

/** A Node binary whose OpenSSL can serve X25519MLKEM768 (this one, or a project-local Node >= 24). */
/** A Node binary whose node:crypto has ML-KEM-768 other than this one (the project-local Node 24), if any. */
function nativeMlKemNode(root: string): string | undefined {
  const p = join(root, '.cache/node24/node_modules/node/bin/node')
  return process.versions.node.split('.').map(Number)[0]! < 24 && existsSync(p) ? p : undefined
}

/**
 * Whether this process's OpenSSL has X25519MLKEM768 (>= 3.5), read from its version: probing with
 * `tls.createSecureContext({ ecdhCurve })` leaves OpenSSL's error queue dirty on 3.0, and a live
 * TLS socket of this process (a peer's pooled connection) then fails its next read with that error.
 */
export function opensslHasHybrid(): boolean {
  const [major = 0, minor = 0] = process.versions.openssl.split('.').map(Number)
  return major > 3 || (major === 3 && minor >= 5)
}

function hybridNode(root: string): string | undefined {
  if (opensslHasHybrid()) return process.execPath
  for (const p of ['node_modules/node/bin/node', '.cache/node24/node_modules/node/bin/node'])
    if (existsSync(join(root, p))) return join(root, p)
  return undefined
}

export async function runHarness(o: HarnessOptions): Promise<HarnessResult> {
  const started = performance.now()
  const loadAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100)
  const log = o.log
  const q = o.quick
  const want = new Set(o.scenarios)
  const ca = createCA({ keyType: 'ecdsa-p256', name: 'hotconn bench CA' })
  const leaf = issueLeaf(ca, {
    hosts: [HOST, MAIN_IP, HYBRID_IP, RELAY_IP, H2_IP, ...SCALE_IPS],
    keyType: 'ecdsa-p256',
  })
  const pki = { caPem: ca.certPem, certPem: leaf.chainPem, keyPem: leaf.keyPem }
  const notes: string[] = []

  // ---- clients ----
  const kinds: ClientKind[] = [hotconnKind, undiciKind]
  let peersSkipped: Partial<Record<PeerName, string>> = {}
  if (o.peers) {
    const peers = await loadPeers(join(o.root, '.cache/peers'), PEER_PACKAGES, o.install, log)
    peersSkipped = peers.skipped
    // Each peer runs in a child process of its own (child-kind.ts says why).
    for (const p of peers.loaded) kinds.push(childPeerKind(peerKind(p), p.name, o.root))
  } else {
    for (const n of PEER_PACKAGES) peersSkipped[n] = '--no-peers'
  }
  // hotconn under the project-local Node 24 (native ML-KEM in node:crypto), for the X25519MLKEM768 cold row.
  const node24 = nativeMlKemNode(o.root)
  const node24Kind =
    node24 === undefined
      ? undefined
      : childHotconnKind(
          HOTCONN_NODE24,
          node24,
          o.root,
          `hotconn's cold client (as above) run by ${node24.replace(o.root + '/', '')} in a child process: ML-KEM-768 from node:crypto (native) instead of @noble/post-quantum; CPU per handshake is the child's`,
        )
  log("recording each client's JA4 on the capture server…")
  const clients: ClientInfo[] = []
  for (const k of [...kinds, ...(node24Kind ? [node24Kind] : [])]) {
    const ja4 = await captureJa4(k, pki.caPem)
    clients.push({ name: k.name, role: k.role, detail: k.detail, ja4: typeof ja4 === 'string' ? { error: ja4 } : ja4 })
  }

  const choice = o.origin ?? 'auto'
  log(
    choice !== 'node' && nginxVersion()
      ? 'starting nginx…'
      : `${choice === 'node' ? '--origin node' : 'nginx not installed'}: starting node:https origin…`,
  )
  const origin = await startOrigin(pki, [MAIN_IP, ...SCALE_IPS], choice, log)
  const originNote = origin.note
  log(`origin: ${originNote}`)
  const target: Target = { host: HOST, ip: MAIN_IP, port: origin.port, caPem: pki.caPem }
  const load: LoadScenario[] = []
  const coldSkipped: Record<string, string> = {}
  let rtt: RttScenario | undefined
  let rttSkipped: string | undefined
  let acquire: AcquireResult | undefined
  let memory: MemoryResult | undefined
  let memorySkipped: string | undefined

  const rounds = q ? 3 : 9
  const maybeProfile = async (s: LoadScenario, make: () => Promise<HttpClient>, spec: LoadSpec): Promise<void> => {
    const r = s.result.rows.find((x) => x.name === HOTCONN)?.ratio
    if (!o.profile || r === undefined || r.pairedMedian >= PROFILE_BELOW) return
    log(`  hotconn is at ${r.pairedMedian.toFixed(2)}× the baseline: CPU profile of its side…`)
    mkdirSync(o.profileDir, { recursive: true })
    const file = join(o.profileDir, `${s.id}.cpuprofile`)
    const client = await make()
    try {
      await runGets(client, spec.path, spec.warmup, spec.concurrency)
      const summary = await profileHotSpots(
        async () => {
          const end = performance.now() + (q ? 600 : 2500)
          while (performance.now() < end)
            await runGets(client, spec.path, Math.max(spec.concurrency * 8, 50), spec.concurrency)
        },
        o.root,
        10,
        `${library().from}/`,
        ['node_modules/undici/', 'bench/'],
        file,
      )
      s.profile = { file, summary }
    } finally {
      await client.close()
    }
  }

  /** On the HTTP/2 origin: its target and note, every client on `connections` connection(s), undici allowH2 as the baseline. */
  interface H2Run {
    readonly target: Target
    readonly note: string
    readonly connections: number
  }
  const hotLoad = async (id: string, title: string, spec: LoadSpec, bytes: number, h2?: H2Run): Promise<void> => {
    log(`${title}…`)
    const entries: LoadEntry[] = []
    const failed: Record<string, string> = {}
    const t = h2?.target ?? target
    const connections = h2?.connections ?? spec.concurrency
    const list = h2 ? kinds.map((k) => (k === undiciKind ? undiciH2Kind : k)) : kinds
    for (const k of list) {
      try {
        entries.push({ name: k.name, role: k.role, client: await k.hot(t, connections) })
      } catch (err) {
        failed[k.name] = (err as Error).message
      }
    }
    try {
      const result = await compareLoad(entries, spec, h2 ? BASELINE_H2 : BASELINE, log)
      Object.assign(result.failed, failed)
      const note = h2?.note ?? originNote
      const s: LoadScenario = { id, title, unit: 'requests/s', bytesPerOp: bytes, origin: note, result }
      load.push(s)
      await maybeProfile(s, () => hotconnKind.hot(t, connections), spec)
    } finally {
      for (const e of entries) await e.client.close().catch(() => {})
    }
  }

  const coldLoad = async (
    id: string,
    title: string,
    t: Target,
    originText: string,
    extra: readonly ClientKind[] = [],
  ): Promise<void> => {
    log(`${title}…`)
    const spec: LoadSpec = {
      path: `/size/${SMALL}`,
      concurrency: 1,
      rounds,
      roundMs: q ? 150 : 600,
      warmup: q ? 5 : 20,
      minCount: q ? 5 : 15,
    }
    const entries: LoadEntry[] = []
    for (const k of [...kinds, ...extra]) {
      try {
        entries.push({ name: k.name, role: k.role, client: await k.cold(t) })
      } catch (err) {
        if (!extra.includes(k)) throw err
        log(`  ${k.name} left out: ${oneLine(err)}`)
      }
    }
    try {
      const result = await compareLoad(entries, spec, BASELINE, log)
      const s: LoadScenario = { id, title, unit: 'handshakes/s', bytesPerOp: SMALL, origin: originText, result }
      load.push(s)
      await maybeProfile(s, () => hotconnKind.cold(t), spec)
    } finally {
      for (const e of entries) await e.client.close().catch(() => {})
    }
  }

  try {
    if (want.has('hot')) {
      await hotLoad(
        'hot-seq',
        'Hot 1 KB requests, sequential on one connection',
        { path: `/size/${SMALL}`, concurrency: 1, rounds, roundMs: q ? 100 : 500, warmup: q ? 50 : 300, minCount: 50 },
        SMALL,
      )
      await hotLoad(
        'hot-c16',
        'Hot 1 KB requests, concurrency 16',
        {
          path: `/size/${SMALL}`,
          concurrency: 16,
          rounds,
          roundMs: q ? 100 : 500,
          warmup: q ? 100 : 500,
          minCount: 100,
        },
        SMALL,
      )
    }
    if (want.has('tiles')) {
      await hotLoad(
        'tiles-c8',
        'Tiles: 256 KB responses, concurrency 8',
        { path: `/size/${TILE}`, concurrency: 8, rounds, roundMs: q ? 150 : 600, warmup: q ? 16 : 64, minCount: 16 },
        TILE,
      )
    }
    if (want.has('h2')) {
      let h2: H2Origin | undefined
      try {
        h2 = await startH2Origin(pki, H2_IP, choice, log)
      } catch (err) {
        notes.push(`HTTP/2 rows skipped: the h2 origin did not start (${oneLine(err)})`)
        log(`  ${notes[notes.length - 1]}`)
      }
      if (h2 !== undefined) {
        const run: H2Run = { target: { ...target, ip: H2_IP, port: h2.port }, note: h2.note, connections: 1 }
        try {
          await hotLoad(
            'h2-hot-c16',
            'HTTP/2: hot 1 KB requests, 16 streams at once on one connection',
            {
              path: `/size/${SMALL}`,
              concurrency: 16,
              rounds,
              roundMs: q ? 100 : 500,
              warmup: q ? 100 : 500,
              minCount: 100,
            },
            SMALL,
            run,
          )
          await hotLoad(
            'h2-tiles-c8',
            'HTTP/2: tiles, 256 KB responses, 8 streams at once on one connection',
            {
              path: `/size/${TILE}`,
              concurrency: 8,
              rounds,
              roundMs: q ? 150 : 600,
              warmup: q ? 16 : 64,
              minCount: 16,
            },
            TILE,
            run,
          )
        } finally {
          await h2.stop()
        }
      }
    }
    if (want.has('cold')) {
      await coldLoad('cold-x25519', 'Cold: new connection per 1 KB request, server group x25519', target, originNote)
      const node = hybridNode(o.root)
      if (node === undefined) {
        coldSkipped['cold-x25519mlkem768'] =
          `no Node with OpenSSL >= 3.5 to serve X25519MLKEM768 (this is ${process.version}, OpenSSL ${process.versions.openssl}; nginx links the system OpenSSL); \`npm install node@24\` provides one project-locally`
      } else {
        let hybrid: BenchServer | undefined
        try {
          hybrid = await startBenchServer({
            keyPem: pki.keyPem,
            certPem: pki.certPem,
            ecdhCurve: 'X25519MLKEM768:X25519',
            ciphers: SUITE,
            hosts: [HYBRID_IP],
            noTickets: true,
            ...(node !== process.execPath ? { node } : {}),
          })
          if (!hybrid.groups.startsWith('X25519MLKEM768')) throw new Error(`its OpenSSL set only ${hybrid.groups}`)
        } catch (err) {
          await hybrid?.close()
          hybrid = undefined
          coldSkipped['cold-x25519mlkem768'] = `the X25519MLKEM768 origin did not start: ${oneLine(err)}`
          log(`  ${coldSkipped['cold-x25519mlkem768']}`)
        }
        if (hybrid !== undefined) {
          try {
            const v = node === process.execPath ? process.version : node.replace(o.root + '/', '')
            await coldLoad(
              'cold-x25519mlkem768',
              'Cold: new connection per 1 KB request, server groups X25519MLKEM768 then x25519',
              { ...target, ip: HYBRID_IP, port: hybrid.port },
              `node:https under ${v} in a child process (OpenSSL >= 3.5; the system nginx links OpenSSL ${tlsLibVersion()} without ML-KEM), ecdhCurve ${hybrid.groups}, TLS 1.3 only, no session tickets; each client gets X25519MLKEM768 if it offers a share for it, else x25519`,
              node24Kind ? [node24Kind] : [],
            )
          } finally {
            await hybrid.close()
          }
        }
      }
    }
    if (want.has('rtt')) {
      const r = await rttScenario(kinds, pki, origin, rounds, q, log)
      if (typeof r === 'string') rttSkipped = r
      else rtt = r
    }
    if (want.has('scale')) {
      log('Pool scale: acquire + release at 10 … 10,000 pooled connections…')
      acquire = await acquireRelease([10, 100, 1000, 10_000], q ? 10_000 : 40_000, q ? 3 : 5)
      log('Pool scale: heap per idle connection and warm-up of 1,000 connections across 50 IPs…')
      try {
        memory = await memoryAndWarmup({ ...target, ip: SCALE_IPS[0]! }, SCALE_IPS, 1000, q ? 1 : 3, log)
      } catch (err) {
        memorySkipped = (err as Error).message
      }
    }
  } finally {
    await origin.stop()
  }
  return {
    date: new Date().toISOString(),
    machine: machineInfo(['undici', '@noble/post-quantum', 'tsx']),
    quick: q,
    origin: { kind: origin.kind, version: origin.version, note: originNote },
    clients,
    peersSkipped,
    load,
    coldSkipped,
    ...(rtt ? { rtt } : {}),
    ...(rttSkipped ? { rttSkipped } : {}),
    ...(acquire ? { acquire } : {}),
    ...(memory ? { memory } : {}),
    ...(memorySkipped ? { memorySkipped } : {}),
    notes,
    durationS: (performance.now() - started) / 1000,
    loadAtStart,
    library: library().from,
  }
}

function tlsLibVersion(): string {
  return process.versions.openssl ?? 'unknown'
}

async function rttScenario(
  kinds: readonly ClientKind[],
  pki: { caPem: string; certPem: string; keyPem: string },
  loopbackOrigin: Origin,
  rounds: number,
  q: boolean,
  log: (m: string) => void,
): Promise<RttScenario | string> {
  log(`Hot vs cold with ${ONE_WAY_MS} ms one-way delay: trying netns + veth + tc netem…`)
  const netem =
    loopbackOrigin.kind === 'nginx' ? await setupNetem(ONE_WAY_MS) : 'the loopback origin is not nginx (see Origin)'
  let path: NetemPath | undefined
  let relay: DelayRelay | undefined
  let nsOrigin: NginxOrigin | undefined
  let target: Target
  let originText: string
  let netemSkipped: string | undefined
  try {
    if (typeof netem !== 'string') {
      path = netem
      try {
        nsOrigin = await startNginx({
          certPem: pki.certPem,
          keyPem: pki.keyPem,
          ips: [path.serverIp],
          sizes: [SMALL, TILE],
          groups: 'X25519',
          wrap: path.exec,
        })
      } catch (err) {
        await path.teardown()
        path = undefined
        netemSkipped = `nginx in the namespace failed: ${(err as Error).message}`
      }
    } else netemSkipped = netem
    if (path !== undefined && nsOrigin !== undefined) {
      target = { host: HOST, ip: path.serverIp, port: nsOrigin.port, caPem: pki.caPem }
      originText = `nginx in network namespace ${path.namespace} (${path.serverIp}), client outside (${path.clientIp}), veth pair with tc netem delay ${ONE_WAY_MS}ms on both ends`
    } else {
      log(`  netem not usable (${netemSkipped}); using a userspace delay relay on loopback instead`)
      relay = await startDelayRelay(RELAY_IP, MAIN_IP, loopbackOrigin.port, ONE_WAY_MS)
      target = { host: HOST, ip: RELAY_IP, port: relay.port, caPem: pki.caPem }
      originText = `${loopbackOrigin.version} on ${MAIN_IP} behind a userspace relay on ${RELAY_IP} (a child process) that delays every chunk ${ONE_WAY_MS} ms each way and holds a new connection's first client bytes one extra round trip (the TCP handshake)`
    }
    const rows: RttRow[] = []
    const failed: Record<string, string> = {}
    const count = q ? 6 : 25
    const warm = 3
    const pairs: Array<{ kind: ClientKind; hot: HttpClient; cold: HttpClient; perCold?: number; perHot?: number }> = []
    for (const k of kinds) {
      try {
        const hot = await k.hot(target, 1)
        const cold = await k.cold(target)
        await runGets(hot, `/size/${SMALL}`, warm, 1)
        const c0 = relay ? await relay.connections() : 0
        await runGets(hot, `/size/${SMALL}`, warm, 1)
        const c1 = relay ? await relay.connections() : 0
        await runGets(cold, `/size/${SMALL}`, warm, 1)
        const c2 = relay ? await relay.connections() : 0
        pairs.push({ kind: k, hot, cold, ...(relay ? { perHot: (c1 - c0) / warm, perCold: (c2 - c1) / warm } : {}) })
      } catch (err) {
        failed[k.name] = oneLine(err)
      }
    }
    const hotRounds = new Map<string, number[][]>(pairs.map((p) => [p.kind.name, []]))
    const coldRounds = new Map<string, number[][]>(pairs.map((p) => [p.kind.name, []]))
    const r = q ? 2 : Math.max(3, rounds - 2)
    log(`  ${pairs.length} clients × ${r} rounds × (${count} hot + ${count} cold) requests…`)
    for (let i = 0; i < r; i++) {
      for (const p of pairs) {
        if (failed[p.kind.name] !== undefined) continue
        try {
          const h: number[] = []
          await runGets(p.hot, `/size/${SMALL}`, count, 1, h)
          const c: number[] = []
          await runGets(p.cold, `/size/${SMALL}`, count, 1, c)
          hotRounds.get(p.kind.name)!.push(h)
          coldRounds.get(p.kind.name)!.push(c)
        } catch (err) {
          failed[p.kind.name] = oneLine(err)
        }
      }
    }
    for (const p of pairs) {
      if (failed[p.kind.name] !== undefined) continue
      const hr = hotRounds.get(p.kind.name)!
      const cr = coldRounds.get(p.kind.name)!
      const hot = latencySummary(hr)
      const cold = latencySummary(cr)
      const med = (xs: number[]): number =>
        quantile(
          [...xs].sort((a, b) => a - b),
          0.5,
        )
      const per = summarize(hr.map((h, i) => med(cr[i]!) / med(h)))
      rows.push({
        name: p.kind.name,
        role: p.kind.role,
        hot,
        cold,
        coldOverHot: cold.p50 / hot.p50,
        perRound: { median: per.median, min: per.min, max: per.max },
        ...(p.perCold !== undefined ? { connectionsPerCold: p.perCold, connectionsPerHot: p.perHot! } : {}),
        hotMs: hr.flat().map((v) => Math.round(v * 1000) / 1000),
        coldMs: cr.flat().map((v) => Math.round(v * 1000) / 1000),
      })
    }
    for (const p of pairs) {
      await p.hot.close().catch(() => {})
      await p.cold.close().catch(() => {})
    }
    const h = rows.find((x) => x.name === HOTCONN)
    const b = rows.find((x) => x.name === BASELINE)
    return {
      mode: path ? 'netem' : 'relay',
      ...(netemSkipped ? { netemSkipped } : {}),
      oneWayDelayMs: ONE_WAY_MS,
      rttMs: 2 * ONE_WAY_MS,
      rounds: r,
      countPerRound: count,
      origin: originText,
      rows,
      failed,
      ...(h && b ? { ratioVsBaseline: h.coldOverHot / b.coldOverHot } : {}),
    }
  } finally {
    await relay?.close()
    await nsOrigin?.stop()
    await path?.teardown()
  }
}
