/**
 * An HTTP CONNECT proxy in Node for the fault cases and the unit tests: it tunnels (optionally
 * requiring Basic credentials, answering 407 otherwise, from a bound outgoing address, resolving
 * names from a map), or misbehaves on purpose: closes mid-CONNECT, stalls, answers a status, or
 * answers garbage. It records every CONNECT request head it reads.
 */
import { connect as netConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'

export type ProxyMode = 'tunnel' | 'close' | 'stall' | 'status' | 'garbage' | 'huge'

export interface ConnectProxyOptions {
  /** Listen address (default 127.0.0.1). */
  host?: string
  mode?: ProxyMode
  /** The status of mode 'status' (default 502). */
  status?: number
  /** Basic credentials required in mode 'tunnel': 407 without them. */
  credentials?: { user: string; password: string }
  /** Source address of the proxy's connections to targets. */
  outgoingAddress?: string
  /** Names the proxy resolves (by-name CONNECT): name -> IP. */
  names?: Readonly<Record<string, string>>
  /** Bytes sent right after "200 Connection established" (they belong to the tunnel). */
  greeting?: Buffer
  /** Listen with TLS (an https:// proxy). */
  tls?: { cert: string; key: string }
}

export interface ConnectRecord {
  /** The request head as received, CRLFs included. */
  head: string
  /** The request target (authority-form). */
  authority: string
  remoteAddress: string | undefined
}

export interface ConnectProxy {
  readonly url: string
  readonly port: number
  readonly requests: ConnectRecord[]
  /** Connections accepted. */
  readonly accepted: () => number
  close(): Promise<void>
}

export async function startConnectProxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const sockets = new Set<Socket>()
  const requests: ConnectRecord[] = []
  let accepted = 0
  const onSocket = (client: Socket): void => {
    accepted++
    sockets.add(client)
    client.once('close', () => sockets.delete(client))
    client.on('error', () => {})
    let buf = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk])
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      client.off('data', onData)
      const head = buf.subarray(0, end + 4).toString('latin1')
      const authority = /^CONNECT (\S+) HTTP\/1\.1\r\n/.exec(head)?.[1] ?? ''
      requests.push({ head, authority, remoteAddress: client.remoteAddress })
      answer(client, head, authority, buf.subarray(end + 4), options, sockets)
    }
    client.on('data', onData)
  }
  const server: Server =
    options.tls === undefined ? createServer(onSocket) : createTlsServer({ ...options.tls }, onSocket)
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const creds =
    options.credentials === undefined
      ? ''
      : `${encodeURIComponent(options.credentials.user)}:${encodeURIComponent(options.credentials.password)}@`
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://${creds}${options.host ?? '127.0.0.1'}:${port}`,
    port,
    requests,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

function answer(
  client: Socket,
  head: string,
  authority: string,
  rest: Buffer,
  options: ConnectProxyOptions,
  sockets: Set<Socket>,
): void {
  switch (options.mode ?? 'tunnel') {
    case 'close':
      return void client.destroy()
    case 'stall':
      return
    case 'status': {
      const status = options.status ?? 502
      return void client.end(`HTTP/1.1 ${status} Proxy Says No\r\nContent-Length: 2\r\n\r\nno`)
    }
    case 'garbage':
      return void client.end('SSH-2.0-OpenSSH_9.2\r\n\r\n')
    case 'huge':
      return void client.write(`HTTP/1.1 200 OK\r\nX-Pad: ${'a'.repeat(20_000)}`)
    case 'tunnel':
      break
  }
  if (options.credentials !== undefined) {
    const want = Buffer.from(`${options.credentials.user}:${options.credentials.password}`).toString('base64')
    const got = /\r\nProxy-Authorization: Basic (\S+)\r\n/i.exec(head)?.[1]
    if (got !== want) {
      return void client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n',
      )
    }
  }
  const colon = authority.lastIndexOf(':')
  const name = authority.slice(0, colon).replace(/^\[|\]$/g, '')
  const host = options.names?.[name] ?? name
  const upstream = netConnect({
    host,
    port: Number(authority.slice(colon + 1)),
    ...(options.outgoingAddress !== undefined ? { localAddress: options.outgoingAddress } : {}),
  })
  sockets.add(upstream)
  upstream.once('close', () => {
    sockets.delete(upstream)
    client.destroy()
  })
  upstream.on('error', () => client.destroy())
  client.once('close', () => upstream.destroy())
  upstream.once('connect', () => {
    client.write('HTTP/1.1 200 Connection established\r\n\r\n')
    if (options.greeting !== undefined) client.write(options.greeting)
    if (rest.length > 0) upstream.write(rest)
    client.pipe(upstream)
    upstream.pipe(client)
  })
}
