/**
 * What the building blocks of a pure-TypeScript browser client cost on their own, on the hot 1 KB
 * HTTP/1.1 rows: undici + node:tls (the baseline) with one block added at a time, next to hotconn.
 * Every client runs in the same interleaved rounds on the same nginx origin; CPU is user + sys of
 * this process per request, paired medians against the baseline.
 *
 *   npx tsx bench/floor.ts [--rounds 9] [--round-ms 400] [--rows seq,c16] [--markdown]
 *
 * The clients:
 * - `undici + node:tls`: undici Agent over node:tls (OpenSSL in C++, TLSWrap: one stream layer).
 * - `+ browser headers`: the same, sending the request headers hotconn's default identity sends for
 *   this request (read off one hotconn request at a Node HTTPS server), in its order.
 * - `+ JS stream layer`: the same Agent, its socket wrapped in a JavaScript Duplex that forwards each
 *   write to the node:tls socket and pushes each chunk it reads (what any TLS client written in
 *   JavaScript puts between undici and the transport), plus the browser headers.
 * - `+ node:crypto records`: the relay above also runs each chunk through the node:crypto calls one
 *   TLS 1.3 record costs (createCipheriv/createDecipheriv with AES-128-GCM, setAAD, update, final,
 *   tag; opening without the tag check): the record protection a JavaScript TLS client must do per record, without its framing.
 * - `hotconn TlsSocket + undici Client`: hotconn's TLS engine under a bare undici Client (no pool),
 *   no request headers.
 * - `hotconn`: HotConnPool (chrome identity), as in `npm run bench`.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto'
import { createServer as createHttpsServer } from 'node:https'
import { Duplex } from 'node:stream'
import * as tls from 'node:tls'
import { parseArgs } from 'node:util'
import { Agent, Client } from 'undici'
import { createCA, issueLeaf } from '../src/testing/pki.js'
import { pairedRatio, summarize } from './lib/stats.js'
import { calibrateEach, interleave } from './lib/interleave.js'
import {
  BASELINE,
  HOTCONN,
  hotconnKind,
  hotconnPool,
  hotconnPinnedClient,
  undiciKind,
  type HttpClient,
  type Target,
} from './perf/clients.js'
import { useBuiltLibrary } from './perf/library.js'
import { cpuRecordingContenders, runGets } from './perf/load.js'
import { nginxVersion, startNginx } from './perf/nginx.js'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    'round-ms': { type: 'string', default: '400' },
    rows: { type: 'string', default: 'seq,c16' },
    markdown: { type: 'boolean', default: false },
  },
})
const ROUNDS = Number(values.rounds)
const ROUND_MS = Number(values['round-ms'])
const HOST = 'tiles.test'
const IP = '127.0.0.2'
const PATH = '/size/1024'

const HEADERS = '+ browser headers'
const STREAM = '+ JS stream layer'
const RECORDS = '+ node:crypto records'
const ENGINE = 'hotconn TlsSocket + undici Client'

/** The headers hotconn sends for a GET of `PATH`, read by a Node HTTPS server (order kept, host left to undici). */
async function hotconnHeaders(ca: ReturnType<typeof createCA>): Promise<Record<string, string>> {
  const leaf = issueLeaf(ca, { hosts: [HOST], keyType: 'ecdsa-p256' })
  let seen: string[] = []
  const server = createHttpsServer({ key: leaf.keyPem, cert: leaf.chainPem }, (req, res) => {
    seen = req.rawHeaders
    res.end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.3', resolve))
  const port = (server.address() as { port: number }).port
  const pool = hotconnPool({ host: HOST, ip: '127.0.0.3', port, caPem: ca.certPem }, 1)
  try {
    const { body } = await pool.request({ origin: `https://${HOST}:${port}`, path: PATH, method: 'GET' })
    await body.text()
  } finally {
    await pool.close()
    await new Promise((resolve) => server.close(resolve))
  }
  const out: Record<string, string> = {}
  for (let i = 0; i < seen.length; i += 2) {
    const name = seen[i]!.toLowerCase()
    if (name !== 'host' && name !== 'connection') out[name] = seen[i + 1]!
  }
  return out
}

/** One TLS 1.3 record's node:crypto work (AES-128-GCM), sealing or opening `chunk`'s bytes. */
class RecordCryptoCost {
  private readonly key = createSecretKey(randomBytes(16))
  private readonly nonce = randomBytes(12)
  private readonly aad = Buffer.from([23, 3, 3, 0, 0])
  private readonly tag = Buffer.alloc(16)
  private seq = 0

  seal(chunk: Buffer): void {
    this.nonce.writeUInt32BE(this.seq++ >>> 0, 8)
    const c = createCipheriv('aes-128-gcm', this.key, this.nonce, { authTagLength: 16 })
    c.setAAD(this.aad)
    c.update(chunk)
    c.final()
    c.getAuthTag()
  }

  /** The calls of opening a record except the tag check (these bytes carry no valid tag). */
  open(chunk: Buffer): void {
    this.nonce.writeUInt32BE(this.seq++ >>> 0, 8)
    const d = createDecipheriv('aes-128-gcm', this.key, this.nonce, { authTagLength: 16 })
    d.setAAD(this.aad)
    d.setAuthTag(this.tag)
    d.update(chunk)
  }
}

/** A JavaScript Duplex between undici and a node:tls socket: forwards writes, pushes reads. */
class Relay extends Duplex {
  constructor(
    private readonly inner: tls.TLSSocket,
    private readonly crypto: RecordCryptoCost | undefined,
  ) {
    super({ allowHalfOpen: false })
    inner.on('data', (chunk: Buffer) => {
      this.crypto?.open(chunk)
      if (!this.push(chunk)) inner.pause()
    })
    inner.on('end', () => this.push(null))
    inner.on('error', (err) => this.destroy(err))
    inner.on('close', () => this.destroy())
  }

  get alpnProtocol(): string | false {
    return this.inner.alpnProtocol ?? false
  }

  ref(): this {
    this.inner.ref()
    return this
  }

  unref(): this {
    this.inner.unref()
    return this
  }

  setNoDelay(v?: boolean): this {
    this.inner.setNoDelay(v)
    return this
  }

  setKeepAlive(enable?: boolean, ms?: number): this {
    this.inner.setKeepAlive(enable, ms)
    return this
  }

  setTimeout(ms: number): this {
    this.inner.setTimeout(ms)
    return this
  }

  override _read(): void {
    this.inner.resume()
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.crypto?.seal(chunk)
    if (this.inner.write(chunk)) cb()
    else this.inner.once('drain', () => cb())
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.inner.end()
    cb()
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.inner.destroy()
    cb(err)
  }
}

async function get(d: Agent | Client, origin: string, headers?: Record<string, string>): Promise<number> {
  const { statusCode, body } = await d.request({ origin, path: PATH, method: 'GET', ...(headers ? { headers } : {}) })
  let n = 0
  for await (const chunk of body) n += (chunk as Buffer).length
  if (statusCode !== 200 || n !== 1024) throw new Error(`GET ${PATH}: ${statusCode}, ${n} bytes`)
  return n
}

function agentClient(
  target: Target,
  connections: number,
  headers?: Record<string, string>,
  relay?: 'plain' | 'crypto',
): HttpClient {
  const origin = `https://${target.ip}:${target.port}`
  const tlsOptions = { host: target.ip, port: target.port, ca: target.caPem, servername: target.host }
  const agent = new Agent({
    connections,
    keepAliveTimeout: 300_000,
    connect: relay
      ? (_opts, cb) => {
          const socket = tls.connect(tlsOptions)
          socket.once('secureConnect', () =>
            cb(null, new Relay(socket, relay === 'crypto' ? new RecordCryptoCost() : undefined) as never),
          )
          socket.once('error', (err) => cb(err, null))
        }
      : { ca: target.caPem, servername: target.host, maxCachedSessions: 0 },
  })
  return { get: () => get(agent, origin, headers), close: () => agent.close() }
}

async function engineClient(target: Target): Promise<HttpClient> {
  const client = await hotconnPinnedClient(target)
  return { get: () => get(client, `https://${target.host}:${target.port}`), close: () => client.destroy() }
}

await useBuiltLibrary()
if (!nginxVersion()) throw new Error('nginx is not installed (/usr/sbin/nginx); this script needs it')
const ca = createCA({ keyType: 'ecdsa-p256', name: 'hotconn bench CA' })
const leaf = issueLeaf(ca, { hosts: [HOST, IP], keyType: 'ecdsa-p256' })
const headers = await hotconnHeaders(ca)
const ng = await startNginx({ certPem: leaf.chainPem, keyPem: leaf.keyPem, ips: [IP], sizes: [1024], groups: 'X25519' })
const target: Target = { host: HOST, ip: IP, port: ng.port, caPem: ca.certPem }
const rows: string[] = []
try {
  for (const row of values.rows.split(',')) {
    const concurrency = row === 'seq' ? 1 : Number(row.replace(/^c/, ''))
    const clients: Array<{ name: string; client: HttpClient }> = [
      { name: BASELINE, client: await undiciKind.hot(target, concurrency) },
      { name: HEADERS, client: agentClient(target, concurrency, headers) },
      { name: STREAM, client: agentClient(target, concurrency, headers, 'plain') },
      { name: RECORDS, client: agentClient(target, concurrency, headers, 'crypto') },
      ...(concurrency === 1 ? [{ name: ENGINE, client: await engineClient(target) }] : []),
      { name: HOTCONN, client: await hotconnKind.hot(target, concurrency) },
    ]
    const recorder = cpuRecordingContenders(clients, PATH, concurrency)
    const contenders = recorder.contenders
    const total = (name: string): number[] => {
      const o = recorder.cpu.get(name)!
      return o.user.map((u, i) => u + o.sys[i]!)
    }
    for (const c of clients) await runGets(c.client, PATH, 400, concurrency)
    const count = await calibrateEach(contenders, {
      probe: Math.max(100, concurrency * 8),
      targetMs: ROUND_MS,
      min: 100,
    })
    recorder.start()
    const results = await interleave(contenders, { rounds: ROUNDS, count, warmup: 0 })
    const base = results[BASELINE]!
    const baseCpu = total(BASELINE)
    for (const c of clients) {
      const r = pairedRatio(results[c.name]!, base)
      const cr = pairedRatio(baseCpu, total(c.name))
      const us = summarize(total(c.name)).median
      const line = `| ${row} | ${c.name} | ${r.pairedMedian.toFixed(2)}× | ${us.toFixed(0)} µs | ${cr.pairedMedian.toFixed(2)}× |`
      rows.push(line)
      if (!values.markdown) console.log(line)
    }
    for (const c of clients) await c.client.close()
  }
} finally {
  await ng.stop()
}
if (values.markdown) {
  console.log('| row | client | throughput vs baseline | CPU per request | baseline CPU / client CPU |')
  console.log('|---|---|---:|---:|---:|')
  for (const r of rows) console.log(r)
}
console.log(`\nheaders sent by the '+ browser headers' clients: ${Object.keys(headers).join(', ')}`)
