/** Loopback servers for tests: Node's own TLS/HTTPS (OpenSSL) with test certificates. */
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { createServer as createTlsServer, type Server as TlsServer, type TlsOptions } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { createCA, issueLeaf, type TestCA, type TestKeyType, type TestLeaf } from '../../src/testing/pki.js'

export interface TestPki {
  ca: TestCA
  leaf: TestLeaf
}

const cache = new Map<string, TestPki>()

/** A CA and a leaf for `hosts` (cached per key type and hosts). */
export function testPki(
  keyType: TestKeyType = 'ecdsa-p256',
  hosts: readonly string[] = ['tiles.test', '127.0.0.1'],
): TestPki {
  const key = `${keyType}|${hosts.join(',')}`
  let pki = cache.get(key)
  if (!pki) {
    const ca = createCA({ keyType: 'ecdsa-p256' })
    pki = { ca, leaf: issueLeaf(ca, { hosts, keyType }) }
    cache.set(key, pki)
  }
  return pki
}

export interface Started<S> {
  server: S
  port: number
  close(): Promise<void>
}

/** An HTTPS server answering `GET /` with `hello <cipher> <group>` and `/size/N` with N bytes. */
export async function startHttps(
  options: TlsOptions & { host?: string } = {},
  pki: TestPki = testPki(),
): Promise<Started<HttpsServer>> {
  const server = createHttpsServer({ key: pki.leaf.keyPem, cert: pki.leaf.chainPem, ...options }, (req, res) => {
    const size = /^\/size\/(\d+)$/.exec(req.url ?? '')
    if (size) {
      const n = Number(size[1])
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n })
      res.end(Buffer.alloc(n, 0x61))
      return
    }
    const sock = req.socket as import('node:tls').TLSSocket
    const body = `hello ${sock.getCipher().name} ${sock.getProtocol()}`
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A raw TLS server (Node/OpenSSL) with an optional per-connection handler. */
export async function startTls(
  options: TlsOptions,
  onSecure: (socket: import('node:tls').TLSSocket) => void,
  pki: TestPki = testPki(),
): Promise<Started<TlsServer>> {
  const sockets = new Set<import('node:net').Socket>()
  const server = createTlsServer({ key: pki.leaf.keyPem, cert: pki.leaf.chainPem, ...options }, onSecure)
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** Writes a minimal HTTP/1.1 GET on `socket` and reads the whole response (Connection: close). */
export async function httpGet(
  socket: import('node:stream').Duplex,
  host: string,
  path = '/',
): Promise<{ status: number; headers: string; body: Buffer }> {
  const chunks: Buffer[] = []
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('end', resolve)
    socket.on('error', reject)
  })
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
  await done
  const all = Buffer.concat(chunks)
  const sep = all.indexOf('\r\n\r\n')
  const head = all.subarray(0, sep).toString('latin1')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)
  return { status, headers: head, body: all.subarray(sep + 4) }
}
