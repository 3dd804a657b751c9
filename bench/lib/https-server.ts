/**
 * A keep-alive node:https server on 127.0.0.1 running in a worker thread, so that the server's
 * OpenSSL work does not share the event loop that is being measured. Answers `GET /size/N` with N
 * bytes (Content-Length) and anything else with `hello`.
 */
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
}

export interface BenchServer {
  readonly port: number
  close(): Promise<void>
}

// CommonJS source for `new Worker(..., { eval: true })`: no TypeScript loader needed in the worker.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const https = require('node:https')
const bodies = new Map()
const server = https.createServer({
  key: workerData.keyPem, cert: workerData.certPem, ecdhCurve: workerData.ecdhCurve,
  ciphers: workerData.ciphers, minVersion: workerData.tlsVersion || 'TLSv1.3', maxVersion: workerData.tlsVersion || 'TLSv1.3',
  keepAliveTimeout: 120000,
}, (req, res) => {
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
})
server.on('tlsClientError', () => {})
server.on('clientError', (err, socket) => socket.destroy())
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }))
parentPort.on('message', (msg) => {
  if (msg === 'close') {
    server.closeAllConnections()
    server.close(() => parentPort.postMessage({ closed: true }))
  }
})
`

export async function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ...options } })
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject)
    worker.once('message', (msg: { port: number }) => resolve(msg.port))
  })
  return {
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => worker.once('message', () => resolve()))
      worker.postMessage('close')
      await closed
      await worker.terminate()
    },
  }
}
