/**
 * A TCP relay in front of a server: clients connect to the relay, which opens one connection to
 * the server per client and copies bytes both ways. A fault cuts the client's side only: a TCP
 * reset, or a FIN, while the server's side sees an ordinary close of its peer (a FIN, its unread
 * bytes drained). So a test cuts TCP connections under live HTTP/2 sessions without destroying
 * the server's own sockets under them (a TCP socket torn away under a node:http2 session's TLS
 * socket, with the session still writing through it).
 *
 * The server tells which connection to cut by its socket's remote port, the relay's local port
 * towards it (`cut(socket.remotePort, how)`).
 */
import { connect, createServer, type Server, type Socket } from 'node:net'

export type Cut = 'reset' | 'fin'

export interface TcpRelay {
  readonly port: number
  /**
   * Cuts the client connection whose server-side peer port is `serverPeerPort` (the server
   * socket's `remotePort`): `reset` sends a TCP RST, `fin` a FIN after the bytes already relayed.
   * The bytes the server wrote before the call reach the client first. False: no such connection.
   */
  cut(serverPeerPort: number | undefined, how: Cut): boolean
  close(): Promise<void>
}

interface Pair {
  client: Socket
  upstream: Socket
  cut: boolean
}

/** Reads and drops whatever `s` still receives, so that closing it sends no RST. */
function drain(s: Socket): void {
  s.removeAllListeners('data')
  s.on('data', () => {})
  s.resume()
}

/** Ends `s` after its pending bytes, and destroys it if it is still open 5 s later. */
function endSoon(s: Socket): void {
  if (s.destroyed) return
  s.end()
  const stop = setTimeout(() => s.destroy(), 5_000)
  s.once('close', () => clearTimeout(stop))
}

export async function startTcpRelay(ip: string, target: { host: string; port: number }): Promise<TcpRelay> {
  const pairs = new Map<number, Pair>()
  const open = new Set<Socket>()
  const keep = (s: Socket): void => {
    open.add(s)
    s.on('error', () => {})
    s.once('close', () => open.delete(s))
  }
  const server: Server = createServer((client) => {
    const upstream = connect({ host: target.host, port: target.port })
    keep(client)
    keep(upstream)
    const pair: Pair = { client, upstream, cut: false }
    upstream.once('connect', () => {
      const port = upstream.localPort!
      pairs.set(port, pair)
      upstream.once('close', () => pairs.get(port) === pair && pairs.delete(port))
    })
    client.pipe(upstream)
    upstream.pipe(client)
    // A side that ends ends the other through pipe(); one that fails ends the other after its bytes.
    const follow = (from: Socket, to: Socket): void =>
      void from.once('close', () => {
        if (pair.cut) return
        drain(to)
        endSoon(to)
      })
    follow(client, upstream)
    follow(upstream, client)
  })
  const doCut = (pair: Pair, how: Cut): void => {
    const { client, upstream } = pair
    upstream.unpipe(client)
    client.unpipe(upstream)
    // The server's side: a FIN from its peer, and whatever it still sends is read and dropped.
    drain(upstream)
    endSoon(upstream)
    if (how === 'reset') {
      client.resetAndDestroy()
      return
    }
    // The client's side: what was relayed so far, then a FIN; what the client sends after is dropped.
    drain(client)
    endSoon(client)
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, ip, () => resolve())
  })
  return {
    port: (server.address() as { port: number }).port,
    cut(serverPeerPort, how) {
      const pair = serverPeerPort === undefined ? undefined : pairs.get(serverPeerPort)
      if (pair === undefined || pair.cut) return false
      pair.cut = true
      // After this turn's poll phase: the server's bytes already in the kernel are relayed first.
      setImmediate(() => doCut(pair, how))
      return true
    },
    async close() {
      for (const s of open) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
