/**
 * A TCP relay on loopback that keeps each connection's ClientHello bytes: it listens on `ip:port`
 * and forwards every connection to `target:port` (the same port on another loopback IP, so an
 * origin's URLs stay valid). It can also cut connections: all at once (`cutAll`), or each open
 * one at the first byte its client sends after `armCut()` (a request on a connection the server
 * let die: the keep-alive race a retry answers).
 */
import { createServer, connect, type Server, type Socket } from 'node:net'
import { readClientHelloRecords } from '../../src/fingerprint/parse.js'

export interface HelloTap {
  readonly ip: string
  readonly port: number
  /** ClientHello handshake messages (no record header), one per connection, in accept order. */
  readonly hellos: Buffer[]
  /** Connections accepted so far. */
  readonly accepted: number
  cutAll(): void
  armCut(): void
  close(): Promise<void>
}

export async function startHelloTap(ip: string, target: string, port: number): Promise<HelloTap> {
  const hellos: Buffer[] = []
  const open = new Set<{ client: Socket; upstream: Socket; armed: boolean }>()
  let accepted = 0
  const server: Server = createServer((client) => {
    accepted++
    const upstream = connect(port, target)
    const pair = { client, upstream, armed: false }
    open.add(pair)
    let head: Buffer | null = Buffer.alloc(0)
    const cut = (): void => {
      client.destroy()
      upstream.destroy()
    }
    client.on('data', (chunk: Buffer) => {
      if (pair.armed) return cut()
      if (head !== null) {
        head = Buffer.concat([head, chunk])
        const rec = readClientHelloRecords(head)
        if (rec !== undefined) {
          hellos.push(rec.message)
          head = null
        } else if (head.length > 65_536) head = null
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => client.write(chunk))
    client.on('end', () => upstream.end())
    upstream.on('end', () => client.end())
    client.on('error', cut)
    upstream.on('error', cut)
    client.on('close', () => {
      upstream.destroy()
      open.delete(pair)
    })
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, ip, () => resolve())
  })
  return {
    ip,
    port,
    hellos,
    get accepted() {
      return accepted
    },
    cutAll() {
      for (const p of open) {
        p.client.destroy()
        p.upstream.destroy()
      }
    },
    armCut() {
      for (const p of open) p.armed = true
    },
    close() {
      for (const p of open) {
        p.client.destroy()
        p.upstream.destroy()
      }
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
