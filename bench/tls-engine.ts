/**
 * TLS engine benchmark: hotconn's TLS 1.3 client (`connect()`, chrome profile) against node:tls
 * (OpenSSL) on the same loopback node:https server, in interleaved rounds of a fixed count, compared
 * as ratios (hotconn / native) measured in the same process and time window.
 *
 *   npx tsx bench/tls-engine.ts            # full run; writes reports/tls-engine.{md,json}
 *   npx tsx bench/tls-engine.ts --quick    # short smoke run, prints only
 *
 * Scenarios: full handshakes per second (x25519; X25519MLKEM768 when the running Node's OpenSSL
 * can serve it, else the client-side ML-KEM-768 cost on its own; TLS 1.2 against a TLS 1.2-only
 * server), resumed handshakes per second (TLS 1.3 PSK from a SessionTicketStore, TLS 1.2 RFC 5077
 * tickets, vs node:tls reusing `session`), and requests per second on one hot HTTP/1.1 connection
 * through undici for 1 KiB and 16 KiB responses. When a project-local
 * Node >= 24 is installed (`node_modules/node/bin/node` or `.cache/node24/...`), the scenarios
 * run a second time under it in a child process and its rows join the report.
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as tls from 'node:tls'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { Client, buildConnector } from 'undici'
import { createCA, issueLeaf } from '../src/testing/pki.js'
import {
  SessionTicketStore,
  connect,
  generateKeyShares,
  mlKemBackend,
  type ConnectOptions,
  type TlsSocket,
} from '../src/tls/index.js'
import { startBenchServer, type BenchServer } from './lib/https-server.js'
import { calibrate, interleave, type Contender } from './lib/interleave.js'
import { machineInfo, type MachineInfo } from './lib/machine.js'
import { fmt, markdownTable } from './lib/markdown.js'
import { pairedRatio, summarize, type PairedRatio, type Summary } from './lib/stats.js'
import { profileHotSpots, type ProfileSummary } from './lib/cpuprofile.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const HOST = 'tiles.test'
const IP = '127.0.0.1'
const SUITE = 'TLS_AES_128_GCM_SHA256'
/** The TLS 1.2 rows' one suite (OpenSSL name). */
const SUITE12 = 'ECDHE-ECDSA-AES128-GCM-SHA256'
const X25519MLKEM768 = 0x11ec
const X25519 = 0x001d
const MLKEM768_EK_LENGTH = 1184
const COMMAND = 'npm run bench:tls   (= npx tsx bench/tls-engine.ts)'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const childOut = args.includes('--child') ? args[args.indexOf('--child') + 1] : undefined
const ROUNDS = quick ? 3 : 7
const ROUND_MS = quick ? 80 : 300
/** Below this hotconn/native ratio a scenario gets an in-process CPU profile of the hotconn side. */
const PROFILE_BELOW = 0.8
/** How long the hotconn side runs under the profiler, ms. */
const PROFILE_MS = quick ? 300 : 1500

interface ContenderResult {
  readonly name: string
  /** What was negotiated / which implementation, checked during warm-up. */
  readonly detail: string
  readonly opsPerSec: number[]
  readonly summary: Summary
}

interface ScenarioResult {
  readonly id: string
  readonly title: string
  readonly unit: string
  /** Bytes of response body per operation (throughput scenarios). */
  readonly bytesPerOp?: number
  readonly rounds: number
  readonly countPerRound: number
  readonly baseline: string
  readonly contenders: ContenderResult[]
  /** Each non-baseline contender / baseline. */
  readonly ratios: Record<string, PairedRatio>
  readonly note?: string
  hotSpots?: ProfileSummary
}

interface RunResult {
  readonly machine: MachineInfo
  readonly hybridTls: boolean
  readonly mlKemBackend: string
  readonly scenarios: ScenarioResult[]
}

interface Pki {
  caPem: string
  keyPem: string
  certPem: string
}

function makePki(): Pki {
  const ca = createCA({ keyType: 'ecdsa-p256' })
  const leaf = issueLeaf(ca, { hosts: [HOST, IP], keyType: 'ecdsa-p256' })
  return { caPem: ca.certPem, keyPem: leaf.keyPem, certPem: leaf.chainPem }
}

/** True when this Node's OpenSSL can use X25519MLKEM768 in TLS (OpenSSL >= 3.5, Node >= 24). */
function tlsSupportsHybrid(): boolean {
  // From the version, not a createSecureContext probe (it leaves OpenSSL 3.0's error queue dirty).
  const [major = 0, minor = 0] = process.versions.openssl.split('.').map(Number)
  return major > 3 || (major === 3 && minor >= 5)
}

function hotconnConnect(port: number, pki: Pki, extra: Partial<ConnectOptions> = {}): Promise<TlsSocket> {
  return connect({ host: HOST, ip: IP, port, profile: 'chrome', ca: pki.caPem, alpn: ['http/1.1'], ...extra })
}

function nativeConnect(port: number, pki: Pki, extra: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolvePromise, reject) => {
    const socket = tls.connect(
      { host: IP, port, servername: HOST, ca: pki.caPem, ALPNProtocols: ['http/1.1'], ...extra },
      () => {
        socket.off('error', reject)
        resolvePromise(socket)
      },
    )
    socket.once('error', reject)
  })
}

function nativeGroup(socket: tls.TLSSocket): string {
  const info = socket.getEphemeralKeyInfo() as { name?: string } | null
  return info?.name ?? 'unknown group'
}

function summarizeScenario(
  base: Omit<ScenarioResult, 'contenders' | 'ratios' | 'baseline'>,
  results: Record<string, number[]>,
  details: Record<string, string>,
  baseline: string,
): ScenarioResult {
  const contenders = Object.entries(results).map(([name, opsPerSec]) => ({
    name,
    detail: details[name] ?? '',
    opsPerSec,
    summary: summarize(opsPerSec),
  }))
  const ratios: Record<string, PairedRatio> = {}
  for (const c of contenders) if (c.name !== baseline) ratios[c.name] = pairedRatio(c.opsPerSec, results[baseline]!)
  return { ...base, baseline, contenders, ratios }
}

function log(message: string): void {
  process.stderr.write(`[${process.version}] ${message}\n`)
}

/** Full handshake then close, sequentially: hotconn chrome vs node:tls against one server. */
async function handshakeScenario(
  id: string,
  title: string,
  server: BenchServer,
  pki: Pki,
  note?: string,
): Promise<ScenarioResult> {
  log(`${title}…`)
  const details: Record<string, string> = {}
  const hot: Contender = {
    name: 'hotconn',
    async run(count) {
      for (let i = 0; i < count; i++) {
        const s = await hotconnConnect(server.port, pki)
        details['hotconn'] ??=
          `chrome profile, ${s.info?.cipherSuite}, ${s.group}, verified=${String(s.info?.verified)}`
        s.destroy()
      }
    },
  }
  const native: Contender = {
    name: 'node:tls',
    async run(count) {
      for (let i = 0; i < count; i++) {
        const s = await nativeConnect(server.port, pki)
        details['node:tls'] ??=
          `default groups, ${s.getCipher().standardName}, ${nativeGroup(s)}, authorized=${String(s.authorized)}`
        s.destroy()
      }
    },
  }
  const contenders = [hot, native]
  for (const c of contenders) await c.run(quick ? 20 : 50)
  const count = await calibrate(contenders, { probe: quick ? 20 : 50, targetMs: ROUND_MS, min: 20 })
  const results = await interleave(contenders, { rounds: ROUNDS, count, warmup: 0 })
  const scenario = summarizeScenario(
    { id, title, unit: 'handshakes/s', rounds: ROUNDS, countPerRound: count, ...(note ? { note } : {}) },
    results,
    details,
    'node:tls',
  )
  if ((scenario.ratios['hotconn']?.pairedMedian ?? 1) < PROFILE_BELOW) {
    scenario.hotSpots = await profile(hot, count)
  }
  return scenario
}

/** Resolves with the first value `arm` hands to its callback, or rejects after `ms`. */
function within<T>(ms: number, what: string, arm: (done: (value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench: no ${what} within ${ms} ms`)), ms)
    arm((value) => {
      clearTimeout(timer)
      resolvePromise(value)
    })
  })
}

/**
 * Resumed handshakes then close, sequentially. hotconn spends each stored ticket once, and OpenSSL
 * issues no new ticket after a resumed handshake until it writes application data, so each hotconn
 * round first collects its tickets with untimed full handshakes and times only the resumptions;
 * node:tls resumes one saved `session` (from a full handshake) again and again.
 */
async function resumptionScenario(
  id: string,
  title: string,
  version: 'TLSv1.2' | 'TLSv1.3',
  server: BenchServer,
  pki: Pki,
  note: string,
): Promise<ScenarioResult> {
  log(`${title}…`)
  const details: Record<string, string> = {}
  const key = SessionTicketStore.key(HOST, 'chrome')
  const store = new SessionTicketStore({ maxPerKey: 100_000 })
  const tls13 = version === 'TLSv1.3'
  const check = (socketVersion: string | null | undefined, resumed: boolean | undefined, who: string): void => {
    if (socketVersion !== version || !resumed)
      throw new Error(
        `bench: ${who} did not resume with ${version} (got ${String(socketVersion)}, resumed=${String(resumed)})`,
      )
  }
  const held = (): number => (tls13 ? store.count(key) : store.count12(key))

  /** A full handshake without offering a ticket; its ticket(s) go to the store. */
  const prime = async (): Promise<void> => {
    let ticketed: ((v: true) => void) | undefined
    const fresh = tls13 ? within<true>(2000, 'TLS 1.3 ticket', (done) => (ticketed = done)) : undefined
    const s = await hotconnConnect(server.port, pki, {
      onTicket: (ticket, handshake) => {
        store.add(key, ticket, handshake)
        ticketed?.(true)
      },
    })
    if (fresh) await fresh
    else if (s.tls12SessionTicket) store.add12(key, s.tls12SessionTicket)
    else throw new Error('bench: the TLS 1.2 server issued no session ticket')
    s.destroy()
  }
  const hot: Contender = {
    name: 'hotconn',
    async run(count) {
      while (held() < count) await prime()
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < count; i++) {
        const s = await hotconnConnect(server.port, pki, { sessionStore: store })
        check(s.info?.version, s.info?.resumed, 'hotconn')
        details['hotconn'] ??=
          `chrome profile, SessionTicketStore, ${s.info?.version} ${s.info?.cipherSuite}, resumed=${String(s.info?.resumed)}`
        s.destroy()
      }
      return Number(process.hrtime.bigint() - t0)
    },
  }

  const nativeOnce = (session: Buffer | undefined): Promise<tls.TLSSocket> =>
    new Promise((resolvePromise, reject) => {
      const s = tls.connect(
        {
          host: IP,
          port: server.port,
          servername: HOST,
          ca: pki.caPem,
          ALPNProtocols: ['http/1.1'],
          ...(session ? { session } : {}),
        },
        () => {
          s.off('error', reject)
          resolvePromise(s)
        },
      )
      s.once('error', reject)
    })
  // A full handshake leaves the session node:tls resumes (TLS 1.3: from the server's first NewSessionTicket).
  const session = await within<Buffer>(2000, 'node:tls session', (done) => {
    void nativeOnce(undefined).then((s) => {
      const got = s.getSession()
      if (!tls13 && got) {
        done(got)
        s.destroy()
      } else {
        s.once('session', (fresh: Buffer) => {
          done(fresh)
          s.destroy()
        })
      }
    })
  })
  const native: Contender = {
    name: 'node:tls',
    async run(count) {
      for (let i = 0; i < count; i++) {
        const s = await nativeOnce(session)
        check(s.getProtocol(), s.isSessionReused(), 'node:tls')
        details['node:tls'] ??=
          `one saved session reused, ${s.getProtocol()} ${s.getCipher().standardName}, isSessionReused=${String(s.isSessionReused())}, authorized=${String(s.authorized)}`
        s.destroy()
      }
    },
  }
  const contenders = [hot, native]
  for (const c of contenders) await c.run(quick ? 20 : 50)
  const count = await calibrate(contenders, { probe: quick ? 20 : 50, targetMs: ROUND_MS, min: 20 })
  const results = await interleave(contenders, { rounds: ROUNDS, count, warmup: 0 })
  return summarizeScenario(
    { id, title, unit: 'handshakes/s', rounds: ROUNDS, countPerRound: count, note },
    results,
    details,
    'node:tls',
  )
}

/** Client-side cost of the hybrid share: ML-KEM-768 keygen + decapsulation + x25519, vs x25519 alone. */
async function keyShareScenario(): Promise<ScenarioResult> {
  const title = 'Client key share: X25519MLKEM768 vs x25519 (keygen + derive, server side untimed)'
  log(`${title}…`)
  const server = generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' })
  const serverX25519 = Buffer.from(server.subarray(server.length - 32))
  const hybrid = (backend: 'node:crypto' | '@noble/post-quantum'): Contender => ({
    name: `X25519MLKEM768 (${backend})`,
    async run(count) {
      let ns = 0n
      for (let i = 0; i < count; i++) {
        const t0 = process.hrtime.bigint()
        const [share] = generateKeyShares([X25519MLKEM768], { mlKemBackend: backend })
        const t1 = process.hrtime.bigint()
        // The server's side: encapsulate to the client's ML-KEM-768 key (not timed).
        const { cipherText } = ml_kem768.encapsulate(share!.publicKey.subarray(0, MLKEM768_EK_LENGTH))
        const peer = Buffer.concat([cipherText, serverX25519])
        const t2 = process.hrtime.bigint()
        share!.deriveSecret(peer)
        ns += process.hrtime.bigint() - t2 + (t1 - t0)
      }
      return Number(ns)
    },
  })
  const x25519: Contender = {
    name: 'x25519',
    async run(count) {
      let ns = 0n
      for (let i = 0; i < count; i++) {
        const t0 = process.hrtime.bigint()
        const [share] = generateKeyShares([X25519])
        share!.deriveSecret(serverX25519)
        ns += process.hrtime.bigint() - t0
      }
      return Number(ns)
    },
  }
  const backends: Array<'node:crypto' | '@noble/post-quantum'> =
    mlKemBackend === 'node:crypto' ? ['node:crypto', '@noble/post-quantum'] : ['@noble/post-quantum']
  const contenders = [...backends.map(hybrid), x25519]
  const details: Record<string, string> = Object.fromEntries(
    backends.map((b) => [
      `X25519MLKEM768 (${b})`,
      `generateKeyShares([0x11ec]) + deriveSecret(ML-KEM ct ‖ x25519)${b === mlKemBackend ? ', default backend here' : ''}`,
    ]),
  )
  details['x25519'] = 'generateKeyShares([0x001d]) + deriveSecret(x25519)'
  for (const c of contenders) await c.run(quick ? 50 : 200)
  const count = await calibrate(contenders, { probe: quick ? 50 : 200, targetMs: ROUND_MS / 2, min: 50 })
  const results = await interleave(contenders, { rounds: ROUNDS, count, warmup: 0 })
  return summarizeScenario(
    {
      id: 'keyshare',
      title,
      unit: 'key exchanges/s',
      rounds: ROUNDS,
      countPerRound: count,
      note: 'Ratio < 1 = the hybrid share costs more than x25519 alone. The chrome profile always generates the ML-KEM-768 key (it sends both shares); decapsulation is added only when the server picks X25519MLKEM768.',
    },
    results,
    details,
    'x25519',
  )
}

/** undici Client over a hotconn TlsSocket opened beforehand; throws if undici asks for a second connection. */
async function hotconnClient(port: number, pki: Pki): Promise<{ client: Client; detail: string }> {
  const socket = await hotconnConnect(port, pki)
  let handedOut = false
  const client = new Client(`https://${IP}:${port}`, {
    pipelining: 1,
    keepAliveTimeout: 120_000,
    connect: (_opts, cb) => {
      queueMicrotask(() => {
        if (handedOut) {
          cb(new Error('bench: the hot connection was lost; undici asked for a second one'), null)
          return
        }
        handedOut = true
        cb(null, socket as unknown as tls.TLSSocket)
      })
    },
  })
  return { client, detail: `undici Client on a TlsSocket, ${socket.info?.cipherSuite}, ${socket.group}` }
}

async function nativeClient(port: number, pki: Pki): Promise<{ client: Client; connections: () => number }> {
  const connector = buildConnector({ ca: pki.caPem, servername: HOST })
  let connections = 0
  const client = new Client(`https://${IP}:${port}`, {
    pipelining: 1,
    keepAliveTimeout: 120_000,
    connect: (opts, cb) => {
      connections++
      connector(opts, cb)
    },
  })
  return { client, connections: () => connections }
}

async function getLoop(client: Client, path: string, size: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const { statusCode, body } = await client.request({ path, method: 'GET' })
    const bytes = await body.arrayBuffer()
    if (statusCode !== 200 || bytes.byteLength !== size)
      throw new Error(`bench: GET ${path} gave ${statusCode} with ${bytes.byteLength} bytes`)
  }
}

/** Request/response loop on one hot keep-alive connection, undici on both sides so only TLS differs. */
async function throughputScenario(size: number, server: BenchServer, pki: Pki): Promise<ScenarioResult> {
  const path = `/size/${size}`
  const title = `Throughput, one hot connection: GET ${path} (${size / 1024} KiB body), undici Client`
  log(`${title}…`)
  const hot = await hotconnClient(server.port, pki)
  const nat = await nativeClient(server.port, pki)
  try {
    const hotC: Contender = { name: 'hotconn', run: (n) => getLoop(hot.client, path, size, n) }
    const natC: Contender = { name: 'node:tls', run: (n) => getLoop(nat.client, path, size, n) }
    const contenders = [hotC, natC]
    for (const c of contenders) await c.run(quick ? 100 : 500)
    const count = await calibrate(contenders, { probe: quick ? 100 : 300, targetMs: ROUND_MS, min: 100 })
    const results = await interleave(contenders, { rounds: ROUNDS, count, warmup: 0 })
    const details = {
      hotconn: hot.detail,
      'node:tls': `undici Client, connect: { ca, servername }, ${nat.connections()} connection(s) opened`,
    }
    const scenario = summarizeScenario(
      { id: `get-${size}`, title, unit: 'requests/s', bytesPerOp: size, rounds: ROUNDS, countPerRound: count },
      results,
      details,
      'node:tls',
    )
    if ((scenario.ratios['hotconn']?.pairedMedian ?? 1) < PROFILE_BELOW) {
      scenario.hotSpots = await profile(hotC, count)
    }
    return scenario
  } finally {
    await Promise.all([hot.client.destroy(), nat.client.destroy()])
  }
}

/** CPU profile of one contender, run in batches of `batch` for about PROFILE_MS (after the timed rounds). */
async function profile(c: Contender, batch: number): Promise<ProfileSummary> {
  log(`  hotconn is below ${PROFILE_BELOW}× here: CPU profile of its side…`)
  return profileHotSpots(
    async () => {
      const end = performance.now() + PROFILE_MS
      while (performance.now() < end) await c.run(batch)
    },
    ROOT,
    8,
    'src/',
    ['node_modules/undici/', 'bench/'],
  )
}

async function runAll(): Promise<RunResult> {
  const pki = makePki()
  const hybridTls = tlsSupportsHybrid()
  const scenarios: ScenarioResult[] = []
  const x25519Server = await startBenchServer({
    keyPem: pki.keyPem,
    certPem: pki.certPem,
    ecdhCurve: 'x25519',
    ciphers: SUITE,
  })
  try {
    scenarios.push(
      await handshakeScenario('handshake-x25519', 'Full handshakes, server ecdhCurve x25519', x25519Server, pki),
    )
    if (hybridTls) {
      const hybridServer = await startBenchServer({
        keyPem: pki.keyPem,
        certPem: pki.certPem,
        ecdhCurve: 'X25519MLKEM768',
        ciphers: SUITE,
      })
      try {
        scenarios.push(
          await handshakeScenario(
            'handshake-x25519mlkem768',
            'Full handshakes, server ecdhCurve X25519MLKEM768',
            hybridServer,
            pki,
          ),
        )
      } finally {
        await hybridServer.close()
      }
    }
    scenarios.push(
      await resumptionScenario(
        'resume13-x25519',
        'Resumed handshakes, TLS 1.3 PSK (psk_dhe_ke), server ecdhCurve x25519',
        'TLSv1.3',
        x25519Server,
        pki,
        'Each operation is a psk_dhe_ke resumption (x25519 still runs; no certificate is sent or verified). hotconn uses each ticket once and OpenSSL sends no new ticket after a resumption until it writes data, so each round collects its tickets with untimed full handshakes first; node:tls resumes one saved session repeatedly.',
      ),
    )
    const tls12Server = await startBenchServer({
      keyPem: pki.keyPem,
      certPem: pki.certPem,
      ecdhCurve: 'x25519',
      ciphers: SUITE12,
      tlsVersion: 'TLSv1.2',
    })
    try {
      scenarios.push(
        await handshakeScenario(
          'handshake12-x25519',
          `TLS 1.2 full handshakes, ${SUITE12} on x25519 (TLS 1.2-only server)`,
          tls12Server,
          pki,
          "Both clients offer TLS 1.3 too; the server answers TLS 1.2. hotconn's chrome ClientHello still generates its X25519MLKEM768 share, which a TLS 1.2 server never uses.",
        ),
      )
      scenarios.push(
        await resumptionScenario(
          'resume12-x25519',
          `Resumed handshakes, TLS 1.2 session tickets (RFC 5077), ${SUITE12}`,
          'TLSv1.2',
          tls12Server,
          pki,
          "Abbreviated handshakes only (no key exchange, no certificate). hotconn uses each ticket once and OpenSSL does not renew a ticket on resumption, so each round collects its tickets with untimed full handshakes first; node:tls resumes one session repeatedly. hotconn's ClientHello still carries its TLS 1.3 key shares (keygen included in the timing).",
        ),
      )
    } finally {
      await tls12Server.close()
    }
    scenarios.push(await keyShareScenario())
    scenarios.push(await throughputScenario(1024, x25519Server, pki))
    scenarios.push(await throughputScenario(16384, x25519Server, pki))
  } finally {
    await x25519Server.close()
  }
  return { machine: machineInfo(['undici', '@noble/post-quantum', 'tsx']), hybridTls, mlKemBackend, scenarios }
}

/** A project-local Node >= 24 (for the X25519MLKEM768 handshake row), if one is installed. */
function localNode24(): string | undefined {
  for (const p of ['node_modules/node/bin/node', '.cache/node24/node_modules/node/bin/node']) {
    const bin = join(ROOT, p)
    if (!existsSync(bin)) continue
    try {
      const major = Number(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim().slice(1).split('.')[0])
      if (major >= 24) return bin
    } catch {
      // not runnable here
    }
  }
  return undefined
}

function runUnder(node: string): RunResult | string {
  const dir = mkdtempSync(join(tmpdir(), 'hotconn-bench-'))
  const out = join(dir, 'result.json')
  try {
    execFileSync(
      node,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', out, ...(quick ? ['--quick'] : [])],
      {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
        timeout: 180_000,
      },
    )
    return JSON.parse(readFileSync(out, 'utf8')) as RunResult
  } catch (err) {
    return `run under ${node} failed: ${(err as Error).message.split('\n')[0]}`
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const pct = (x: number): string => `${fmt(x * 100, 1)} %`
const times = (x: number): string => `${fmt(x, 2)}×`

function scenarioMarkdown(s: ScenarioResult, run: RunResult): string {
  const lines: string[] = [`### ${s.title} — Node ${run.machine.node} (OpenSSL ${run.machine.openssl})`, '']
  const perOp = s.unit !== 'requests/s'
  const headers = [
    'contender',
    `median ${s.unit}`,
    'min – max',
    'spread',
    perOp ? 'µs/op (median)' : 'MiB/s (median)',
    `ratio vs ${s.baseline} (paired median)`,
    'paired min – max',
  ]
  const rows = s.contenders.map((c) => {
    const r = s.ratios[c.name]
    return [
      c.name,
      fmt(c.summary.median, 0),
      `${fmt(c.summary.min, 0)} – ${fmt(c.summary.max, 0)}`,
      pct(c.summary.spread),
      perOp ? fmt(1e6 / c.summary.median, 1) : fmt((c.summary.median * (s.bytesPerOp ?? 0)) / 2 ** 20, 1),
      r ? times(r.pairedMedian) : '1.00× (baseline)',
      r ? `${times(r.pairedMin)} – ${times(r.pairedMax)}` : '',
    ]
  })
  lines.push(markdownTable(headers, rows), '')
  lines.push(`${s.rounds} interleaved rounds × ${s.countPerRound} operations per contender.`)
  for (const c of s.contenders) if (c.detail) lines.push(`- ${c.name}: ${c.detail}`)
  if (s.note) lines.push('', s.note)
  if (s.hotSpots) {
    const h = s.hotSpots
    lines.push(
      '',
      `CPU profile of the hotconn side alone (${fmt(h.busyMs, 0)} ms busy, idle ${pct(h.idleShare)} of the time; server thread not sampled), shares of busy time:`,
      '',
    )
    lines.push(
      markdownTable(
        [
          'hotconn function (file:name) incl. the node:crypto/net work it calls; undici and the bench loop apart',
          'share',
        ],
        h.own.map((f) => [f.where, pct(f.selfShare)]),
      ),
      '',
    )
    lines.push(
      markdownTable(
        ['any function, self time only', 'share'],
        h.functions.slice(0, 6).map((f) => [f.where, pct(f.selfShare)]),
      ),
    )
  }
  return lines.join('\n')
}

function summaryTable(runs: RunResult[]): string {
  const rows: string[][] = []
  for (const run of runs) {
    for (const s of run.scenarios) {
      for (const [name, r] of Object.entries(s.ratios)) {
        rows.push([
          `Node ${run.machine.node}`,
          s.title.replace(/ — .*/, ''),
          `${name} / ${s.baseline}`,
          times(r.pairedMedian),
          `${times(r.pairedMin)} – ${times(r.pairedMax)}`,
        ])
      }
    }
  }
  return markdownTable(['runtime', 'scenario', 'ratio', 'paired median', 'paired min – max'], rows)
}

function machineMarkdown(runs: RunResult[], date: string): string {
  const m = runs[0]!.machine
  const lines = [
    `- Date: ${date}`,
    `- CPU: ${m.cpuModel}, ${m.cores} logical cores, ${m.memoryGiB} GiB RAM; ${m.platform} ${m.arch} (kernel ${m.kernel}); 1-min load average at the end of each run: ${runs.map((r) => r.machine.loadAverage1m).join(', ')}`,
    ...runs.map(
      (r) =>
        `- Node ${r.machine.node}, OpenSSL ${r.machine.openssl}, V8 ${r.machine.v8}; X25519MLKEM768 in node:tls: ${r.hybridTls ? 'yes' : 'no'}; hotconn ML-KEM backend: ${r.mlKemBackend}`,
    ),
    `- Packages: ${Object.entries(m.packages)
      .map(([k, v]) => `${k} ${v ?? 'not installed'}`)
      .join(', ')}`,
    `- Reproduce: \`${COMMAND}\``,
  ]
  return lines.join('\n')
}

function report(runs: RunResult[], date: string, notes: string[]): string {
  const parts = [
    '# TLS engine benchmark: hotconn vs node:tls',
    '',
    "hotconn's TLS client (`connect()`, chrome profile) against Node's own TLS (OpenSSL), both as clients of the same",
    'keep-alive node:https server on 127.0.0.1 (a worker thread of the same process; ECDSA P-256 certificate from a test CA,',
    `TLS 1.3 only, ${SUITE}; for the TLS 1.2 rows a TLS 1.2-only server with ${SUITE12}). Both sides verify the certificate`,
    'chain and host name (a resumed handshake has none to verify). Rounds alternate A, B, then B, A, …',
    'with a fixed count per round (sized once at start so a round of the slower side takes ~0.3 s); ratios are',
    'hotconn / baseline per round pair, so > 1 means hotconn is faster. Absolute numbers only mean something next to',
    'their baseline from the same run.',
    '',
    '## Machine',
    '',
    machineMarkdown(runs, date),
    '',
    '## Summary',
    '',
    summaryTable(runs),
    '',
  ]
  const busy = runs.filter((r) => r.machine.loadAverage1m > r.machine.cores)
  if (busy.length > 0) {
    notes.push(
      `The machine was busy with other work (1-min load average ${busy.map((r) => r.machine.loadAverage1m).join(', ')} on ${runs[0]!.machine.cores} cores), so the per-round spreads are wide; the paired medians are the figures to read, and an idle machine gives tighter ones.`,
    )
  }
  if (notes.length > 0) parts.push('## Notes', '', ...notes.map((n) => `- ${n}`), '')
  parts.push('## Scenarios', '')
  for (const run of runs) for (const s of run.scenarios) parts.push(scenarioMarkdown(s, run), '')
  const analysis = join(ROOT, 'bench/tls-engine.analysis.md')
  if (existsSync(analysis)) parts.push('## Where the time goes', '', readFileSync(analysis, 'utf8').trim(), '')
  return parts.join('\n')
}

async function main(): Promise<void> {
  const local = await runAll()
  if (childOut) {
    writeFileSync(childOut, JSON.stringify(local))
    return
  }
  const runs: RunResult[] = [local]
  const notes: string[] = []
  if (!local.hybridTls) {
    const node24 = localNode24()
    const hybridNote = `Node ${local.machine.node} (OpenSSL ${local.machine.openssl}) cannot serve X25519MLKEM768, so its run measures the client-side cost that differs instead (key-share scenario). The full-handshake X25519MLKEM768 row needs Node >= 24 (OpenSSL 3.5); \`npm install node@24\` (or the tests' \`.cache/node24\`) provides one project-locally`
    if (node24) {
      log(`running the scenarios again under ${node24}…`)
      const child = runUnder(node24)
      if (typeof child === 'string') notes.push(`${hybridNote}; ${child}.`)
      else {
        runs.push(child)
        notes.push(
          `${hybridNote}, and the rows for Node ${child.machine.node} come from ${node24.slice(ROOT.length + 1)}, run by this bench in a child process.`,
        )
      }
    } else notes.push(`${hybridNote}; none was found, so there is no full-handshake hybrid row.`)
  }
  const date = new Date().toISOString()
  const markdown = report(runs, date, notes)
  process.stdout.write(`${markdown}\n`)
  if (!quick) {
    mkdirSync(join(ROOT, 'reports'), { recursive: true })
    writeFileSync(join(ROOT, 'reports/tls-engine.md'), `${markdown}\n`)
    writeFileSync(
      join(ROOT, 'reports/tls-engine.json'),
      `${JSON.stringify({ date, command: COMMAND, notes, runs }, null, 2)}\n`,
    )
    log('wrote reports/tls-engine.md and reports/tls-engine.json')
  }
}

await main()
