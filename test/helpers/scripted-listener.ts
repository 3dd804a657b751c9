/**
 * The TCP side shared by the scripted TLS servers of the tests (hostile-server.ts for TLS 1.3,
 * tls12-server.ts for TLS 1.2): one connection object per accepted socket, a script run on it,
 * connections handed to the test in accept order, everything closed by close().
 */
import { createServer, type AddressInfo, type Socket } from 'node:net'

/** Thrown inside a script when the client went away: not an error of the script. */
export class ClientGone extends Error {}

export interface ScriptedConnection {
  readonly socket: Socket
  scriptError: unknown
}

export interface ScriptedListener<C> {
  readonly port: number
  readonly connections: readonly C[]
  /** Resolves with the next (or an already accepted, not yet returned) connection. */
  nextConnection(): Promise<C>
  close(): Promise<void>
}

/** Listens on 127.0.0.1 (ephemeral port); runs `serve` on `make(socket)` for every client. */
export async function listenScripted<C extends ScriptedConnection>(
  make: (socket: Socket) => C,
  serve: (conn: C) => Promise<void>,
): Promise<ScriptedListener<C>> {
  const connections: C[] = []
  let handedOut = 0
  const waiters: Array<(c: C) => void> = []
  const server = createServer((socket) => {
    socket.setNoDelay(true)
    const conn = make(socket)
    connections.push(conn)
    serve(conn).catch((err: unknown) => {
      if (!(err instanceof ClientGone)) conn.scriptError = err
    })
    const w = waiters.shift()
    if (w) {
      handedOut++
      w(conn)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    nextConnection: () => {
      if (handedOut < connections.length) return Promise.resolve(connections[handedOut++]!)
      return new Promise((resolve) => waiters.push(resolve))
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.socket.destroy()
        server.close(() => resolve())
      }),
  }
}
