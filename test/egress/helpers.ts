/**
 * Shared by the egress tests (npm test and interop): who the servers see, a resolver that counts
 * its questions, ClientHello captures through an egress and their comparison.
 */
import diagnostics from 'node:diagnostics_channel'
import type { Socket } from 'node:net'
import { expect } from 'vitest'
import type { EgressChoice } from '../../src/pool/egress-route.js'
import { CaptureServer, type Capture } from '../../src/fingerprint/capture-server.js'
import { HotConnPool, type Resolution, type Resolver } from '../../src/pool/index.js'
import { ECH_AEADS, normalisedExtensions } from '../fingerprint/compare.js'
import { normGrease } from '../fingerprint/helpers.js'

/** Remote addresses of the TCP connections accepted by servers listening on `ips`, per server IP. */
export class PeerTracker {
  readonly peers = new Map<string, string[]>()
  readonly #ips: ReadonlySet<string>
  readonly #onSocket = (msg: unknown): void => {
    const socket = (msg as { socket: Socket }).socket
    const local = socket.localAddress ?? ''
    if (!this.#ips.has(local)) return
    const list = this.peers.get(local) ?? []
    list.push(socket.remoteAddress ?? '')
    this.peers.set(local, list)
  }

  constructor(ips: readonly string[]) {
    this.#ips = new Set(ips)
    diagnostics.subscribe('net.server.socket', this.#onSocket)
  }

  /** Every remote address seen, in order. */
  all(): string[] {
    return [...this.peers.values()].flat()
  }

  dispose(): void {
    diagnostics.unsubscribe('net.server.socket', this.#onSocket)
  }
}

/** A resolver answering `names` (name -> IPs) and counting the questions it got. */
export function countingResolver(names: Readonly<Record<string, readonly string[]>>): Resolver & { asked: string[] } {
  const asked: string[] = []
  return {
    asked,
    resolve(host: string): Promise<Resolution> {
      asked.push(host)
      const ips = names[host]
      if (ips === undefined) return Promise.reject(new Error(`no answer for ${host}`))
      return Promise.resolve({
        addresses: ips.map((address) => ({ address, family: address.includes(':') ? 6 : 4, ttlMs: 60_000 }) as const),
        minTtlMs: 60_000,
      })
    },
  }
}

/**
 * The ClientHello a pool sends to `tiles.test` through `egress` (default: the pool's), captured by
 * hotconn's capture server listening on `ip`. The capture server answers with an alert, so the
 * warm-up fails; the hello is what counts.
 */
export async function captureHello(
  ip: string,
  options: { egress?: EgressChoice; proxies?: readonly string[]; proxyResolve?: 'local' | 'proxy' } = {},
): Promise<Capture> {
  const server = await CaptureServer.listen({ host: ip })
  const pool = new HotConnPool({
    resolver: countingResolver({ 'tiles.test': [ip] }),
    pool: { warmConnsPerIp: 1, connectTimeoutMs: 5000 },
    egress: { proxies: [...(options.proxies ?? [])], resolve: options.proxyResolve ?? 'local' },
  })
  try {
    const capture = server.nextCapture()
    await pool.warmup(
      `https://tiles.test:${server.port}`,
      options.egress === undefined ? {} : { egress: options.egress },
    )
    const got = await capture
    if (got === undefined) throw new Error('no ClientHello captured')
    return got
  } finally {
    await pool.close()
    await server.close()
  }
}

/**
 * Two ClientHellos are the same browser's hello: same record and handshake framing, cipher
 * suites, extensions (set, and every body but the fields random per connection: random,
 * session id, key share bytes, GREASE values, GREASE ECH bytes), JA3 and JA4.
 */
export function expectSameHello(got: Capture, want: Capture): void {
  expect(normGrease(got.hello.cipherSuites)).toEqual(normGrease(want.hello.cipherSuites))
  expect(got.hello.compressionMethods).toEqual(want.hello.compressionMethods)
  expect(got.hello.sessionId.length).toBe(want.hello.sessionId.length)
  expect(got.hello.legacyVersion).toBe(want.hello.legacyVersion)
  expect(got.fingerprints.ja4).toBe(want.fingerprints.ja4)
  expect(got.fingerprints.ja4_r).toBe(want.fingerprints.ja4_r)
  // JA3 with sorted extensions: Chromium shuffles the extension order per connection.
  expect(got.fingerprints.ja3n).toEqual(want.fingerprints.ja3n)
  const norm = (c: Capture): Map<string, unknown> => normalisedExtensions(c.hello, ECH_AEADS.chrome)
  expect(Object.fromEntries(norm(got))).toEqual(Object.fromEntries(norm(want)))
  expect(got.serverName).toBe(want.serverName)
  expect(got.alpn).toEqual(want.alpn)
  expect(got.records.subarray(0, 3)).toEqual(want.records.subarray(0, 3))
}
