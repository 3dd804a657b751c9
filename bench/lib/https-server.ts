/**
 * A keep-alive node:https (or, with `http2`, node:http2) server running in a worker thread (or, with `node`, in a child process
 * of another Node binary), so that the server's OpenSSL work does not share the event loop that
 * is being measured. Answers `GET /size/N` with N bytes (Content-Length) and anything else with
 * `hello`. Listens on 127.0.0.1 by default, or on every address of `hosts` with one port.
 */
import { fork } from 'node:child_process'
import { Worker } from 'node:worker_threads'

export interface BenchServerOptions {
  readonly keyPem: string
  readonly certPem: string
  /** OpenSSL group list, e.g. 'x25519' or 'X25519MLKEM768'. */
  readonly ecdhCurve: string
  /** TLS 1.3 cipher suite(s), e.g. 'TLS_AES_128_GCM_SHA256', or OpenSSL TLS 1.2 names with `tlsVersion: 'TLSv1.2'`. */
  readonly ciphers: string
  /** The one protocol version served (default 'TLSv1.3'). TLS 1.2 issues RFC 5077 session tickets. */
  readonly tlsVersion?: 'TLSv1.2' | 'TLSv1.3'
  /** Addresses to listen on, all with the same port (default ['127.0.0.1']). */
  readonly hosts?: readonly string[]
  /** Issue no session tickets (every handshake is a full one). Default false. */
  readonly noTickets?: boolean
  /** Serve HTTP/2 with node:http2 (ALPN h2, and http/1.1 for clients that offer only that). */
  readonly http2?: boolean
  /** Path of another Node binary to run the server under (child process), e.g. a Node >= 24 for X25519MLKEM768. */
  readonly node?: string
}

export interface BenchServer {
  readonly port: number
  /** The groups the server actually set (those of `ecdhCurve` its OpenSSL knows), colon-separated. */
  readonly groups: string
  close(): Promise<void>
}

// CommonJS source run either by `new Worker(..., { eval: true })` or by `node -e` in a child
// process (then messages go through process IPC): no TypeScript loader needed on the other side.
const SERVER_SOURCE = `
const wt = require('node:worker_threads')
const channel = wt.parentPort ?? { postMessage: (m) => process.send(m), on: (e, f) => process.on(e, f) }
const data = wt.parentPort ? wt.workerData : JSON.parse(process.env.HOTCONN_BENCH_SERVER)
const https = require('node:https')
const http2 = require('node:http2')
const { constants } = require('node:crypto')
const bodies = new Map()
const handler = (req, res) => {
  const m = /^\\/size\\/(\\d+)$/.exec(req.url || '')
  if (m) {
    const n = Number(m[1])
    let body = bodies.get(n)
    if (!body) { body = Buffer.alloc(n, 0x61); bodies.set(n, body) }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n })
    res.end(body)
    return
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 5 })
  res.end('hello')
}
const tls = require('node:tls')
// Only the groups this OpenSSL knows (X25519MLKEM768 needs OpenSSL >= 3.5): an unknown one makes
// createSecureContext throw, and a server that cannot start must say so, not die.
const known = (g) => { try { tls.createSecureContext({ ecdhCurve: g }); return true } catch { return false } }
const groups = String(data.ecdhCurve).split(':').filter(known)
const options = {
  key: data.keyPem, cert: data.certPem, ecdhCurve: groups.join(':'),
  ciphers: data.ciphers, minVersion: data.tlsVersion || 'TLSv1.3', maxVersion: data.tlsVersion || 'TLSv1.3',
  keepAliveTimeout: 120000,
  ...(data.noTickets ? { secureOptions: constants.SSL_OP_NO_TICKET } : {}),
}
const hosts = data.hosts && data.hosts.length > 0 ? data.hosts : ['127.0.0.1']
const servers = []
const sessions = new Set()
const listen = (host, port) => new Promise((resolve, reject) => {
  const server = data.http2
    ? http2.createSecureServer({ ...options, allowHTTP1: true, settings: { maxConcurrentStreams: 128 } }, handler)
    : https.createServer(options, handler)
  server.on('session', (s) => { sessions.add(s); s.on('error', () => {}); s.once('close', () => sessions.delete(s)) })
  server.on('tlsClientError', () => {})
  server.on('clientError', (err, socket) => socket.destroy())
  server.once('error', reject)
  server.listen(port, host, () => { servers.push(server); resolve(server.address().port) })
})
;(async () => {
  if (groups.length === 0) throw new Error('none of the groups ' + data.ecdhCurve + ' is known to OpenSSL ' + process.versions.openssl)
  const port = await listen(hosts[0], 0)
  for (const h of hosts.slice(1)) await listen(h, port)
  channel.postMessage({ port, groups: groups.join(':') })
})().catch((err) => { channel.postMessage({ error: String(err && err.message || err) }) })
channel.on('message', (msg) => {
  if (msg === 'close') {
    let left = servers.length
    const done = () => { if (--left <= 0) channel.postMessage({ closed: true }) }
    if (left === 0) done()
    for (const s of sessions) s.destroy()
    for (const s of servers) { if (s.closeAllConnections) s.closeAllConnections(); s.close(done) }
  }
})
`

interface Endpoint {
  postMessage(msg: unknown): void
  once(
    event: 'message',
    listener: (msg: { port?: number; groups?: string; error?: string; closed?: boolean }) => void,
  ): void
  once(event: 'error', listener: (err: Error) => void): void
  stop(): Promise<unknown>
  /** Errors the worker or child raised after it was started (kept, never thrown). */
  readonly failures: Error[]
}

function spawnEndpoint(options: BenchServerOptions): Endpoint {
  const failures: Error[] = []
  const data = { ...options, hosts: [...(options.hosts ?? ['127.0.0.1'])] }
  if (options.node === undefined) {
    const worker = new Worker(SERVER_SOURCE, { eval: true, workerData: data })
    // A worker (or child) that fails later must not take the measuring process down with an unhandled 'error'.
    worker.on('error', (err) => failures.push(err))
    return {
      failures,
      postMessage: (m) => worker.postMessage(m),
      once: (e: string, f: (x: never) => void) => void worker.once(e, f as (...a: unknown[]) => void),
      stop: () => worker.terminate(),
    } as Endpoint
  }
  const child = fork('-e', [SERVER_SOURCE], {
    execPath: options.node,
    execArgv: [],
    env: { ...process.env, HOTCONN_BENCH_SERVER: JSON.stringify(data) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  child.on('error', (err) => failures.push(err))
  child.once('exit', (code, signal) => {
    if (code !== 0 && code !== null) failures.push(new Error(`bench server under ${options.node} exited with ${code}`))
    else if (signal !== null && signal !== 'SIGTERM') failures.push(new Error(`bench server killed by ${signal}`))
  })
  return {
    failures,
    postMessage: (m) => child.send(m as string),
    once: (e: string, f: (x: never) => void) => void child.once(e, f as (...a: unknown[]) => void),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill()
      }),
  } as Endpoint
}

export async function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  const endpoint = spawnEndpoint(options)
  const { port, groups } = await new Promise<{ port: number; groups: string }>((resolve, reject) => {
    endpoint.once('error', reject)
    endpoint.once('message', (msg) =>
      msg.port !== undefined
        ? resolve({ port: msg.port, groups: msg.groups ?? options.ecdhCurve })
        : reject(new Error(`bench server: ${msg.error ?? 'no port'}`)),
    )
  }).catch(async (err: unknown) => {
    await endpoint.stop()
    throw err
  })
  return {
    port,
    groups,
    close: async () => {
      const closed = new Promise<void>((resolve) => endpoint.once('message', () => resolve()))
      endpoint.postMessage('close')
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())])
      await endpoint.stop()
    },
  }
}
