/**
 * A small authoritative DNS server for tests and the demo (RFC 1035), over UDP and TCP on the
 * same port, answering A and AAAA queries from a table that can change at runtime.
 *
 * - Known name: NOERROR, AA set, one answer per address with the name's TTL (seconds).
 * - Known name without records of the asked type: NOERROR with no answers (NODATA).
 * - Unknown name: NXDOMAIN (RCODE 3, RFC 1035 §4.1.1).
 * - Opcode other than QUERY: NOTIMP; undecodable message: FORMERR when the ID is readable.
 * - The ID, the RD bit and the question section are echoed (RFC 1035 §4.1.1).
 * - A UDP answer over 512 bytes is sent truncated with TC set (RFC 1035 §4.2.1), so the
 *   client retries over TCP (length-prefixed messages, RFC 1035 §4.2.2).
 */

import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram'
import { isIP, createServer, type Server, type Socket } from 'node:net'
import * as dnsPacket from 'dns-packet'
import type { Answer, Packet, Question } from 'dns-packet'

/** Records of one name. Addresses are IP literals of the matching family. */
export interface DnsRecordSet {
  readonly A?: readonly string[]
  readonly AAAA?: readonly string[]
  /** TTL of the answers in seconds (default 30). */
  readonly ttl?: number
}

export interface DnsServerOptions {
  /** Address to bind (default "127.0.0.1"). */
  host?: string
  /** Port for UDP and TCP; 0 (default) = a free ephemeral port. */
  port?: number
  /** Initial records by name ("tiles.test"); names are case-insensitive, a trailing dot is ignored. */
  records?: Readonly<Record<string, DnsRecordSet>>
  /** Also serve TCP on the same port (default true). */
  tcp?: boolean
}

export interface DnsServer {
  readonly port: number
  readonly address: string
  /** Replaces the records of `name`; `undefined` removes the name (it then answers NXDOMAIN). */
  setRecords(name: string, records: DnsRecordSet | undefined): void
  /** Queries received so far (UDP and TCP, answered or not). */
  readonly queries: number
  /** When true, queries are counted but not answered (for timeout tests). */
  silent: boolean
  /** Stops both listeners and closes TCP connections. Idempotent. */
  close(): Promise<void>
}

const DEFAULT_TTL_S = 30
const UDP_MAX = 512
const RCODE = { NOERROR: 0, FORMERR: 1, NOTIMP: 4, NXDOMAIN: 3 } as const
const FLAG_RD = 1 << 8
const MAX_PORT_ATTEMPTS = 20

/**
 * Starts the server; resolves once UDP (and TCP) are listening.
 * @throws Error if the port cannot be bound (after retries when `port` is 0)
 */
export async function startDnsServer(options: DnsServerOptions = {}): Promise<DnsServer> {
  const host = options.host ?? '127.0.0.1'
  const family = isIP(host)
  if (family === 0) throw new TypeError(`host must be an IP address, got ${JSON.stringify(host)}`)
  const zone = new Map<string, DnsRecordSet>()
  const setRecords = (name: string, records: DnsRecordSet | undefined): void => {
    const key = canonicalName(name)
    if (records === undefined) zone.delete(key)
    else zone.set(key, validateRecords(name, records))
  }
  for (const [name, records] of Object.entries(options.records ?? {})) setRecords(name, records)

  const state = { queries: 0, silent: false }
  const answer = (query: Buffer): Buffer | undefined => {
    state.queries++
    if (state.silent) return undefined
    return respond(query, zone)
  }

  const { udp, tcp, port } = await bind(host, family === 6 ? 'udp6' : 'udp4', options.port ?? 0, options.tcp ?? true)
  const tcpSockets = new Set<Socket>()

  udp.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    const reply = answer(msg)
    if (reply !== undefined) udp.send(truncateForUdp(reply), rinfo.port, rinfo.address)
  })
  tcp?.on('connection', (socket) => {
    tcpSockets.add(socket)
    socket.on('close', () => tcpSockets.delete(socket))
    socket.on('error', () => socket.destroy())
    let pending = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0)
        if (pending.length < 2 + length) break
        const reply = answer(pending.subarray(2, 2 + length))
        pending = pending.subarray(2 + length)
        if (reply !== undefined) {
          const framed = Buffer.alloc(2 + reply.length)
          framed.writeUInt16BE(reply.length, 0)
          reply.copy(framed, 2)
          socket.write(framed)
        }
      }
    })
  })

  let closing: Promise<void> | undefined
  return {
    port,
    address: host,
    setRecords,
    get queries() {
      return state.queries
    },
    get silent() {
      return state.silent
    },
    set silent(value: boolean) {
      state.silent = value
    },
    close() {
      closing ??= Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => {
          if (tcp === undefined) return resolve()
          for (const s of tcpSockets) s.destroy()
          tcp.close(() => resolve())
        }),
      ]).then(() => undefined)
      return closing
    },
  }
}

/** "Tiles.Test." -> "tiles.test" */
function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '')
}

function validateRecords(name: string, records: DnsRecordSet): DnsRecordSet {
  for (const a of records.A ?? []) {
    if (isIP(a) !== 4) throw new TypeError(`A record of ${name} must be an IPv4 address, got ${JSON.stringify(a)}`)
  }
  for (const a of records.AAAA ?? []) {
    if (isIP(a) !== 6) throw new TypeError(`AAAA record of ${name} must be an IPv6 address, got ${JSON.stringify(a)}`)
  }
  const ttl = records.ttl ?? DEFAULT_TTL_S
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0x7fffffff) {
    throw new TypeError(`ttl of ${name} must be an integer number of seconds in [0, 2^31-1], got ${ttl}`)
  }
  return { A: [...(records.A ?? [])], AAAA: [...(records.AAAA ?? [])], ttl }
}

/** Builds the response to one query message, or undefined when it cannot be answered at all. */
function respond(query: Buffer, zone: ReadonlyMap<string, DnsRecordSet>): Buffer | undefined {
  if (query.length < 12) return undefined
  const id = query.readUInt16BE(0)
  const rd = query.readUInt16BE(2) & FLAG_RD
  let packet: Packet
  try {
    packet = dnsPacket.decode(query)
  } catch {
    return encode({ id, flags: rd | RCODE.FORMERR, questions: [], answers: [] })
  }
  if (packet.type !== 'query') return undefined
  const questions = packet.questions ?? []
  const opcode = (query.readUInt16BE(2) >> 11) & 0xf
  if (opcode !== 0) return encode({ id, flags: rd | RCODE.NOTIMP, questions, answers: [] })

  const answers: Answer[] = []
  let rcode: number = RCODE.NOERROR
  for (const q of questions) {
    const records = zone.get(canonicalName(q.name))
    if (records === undefined) {
      rcode = RCODE.NXDOMAIN
      continue
    }
    answers.push(...answersFor(q, records))
  }
  return encode({ id, flags: dnsPacket.AUTHORITATIVE_ANSWER | rd | rcode, questions, answers })
}

function answersFor(q: Question, records: DnsRecordSet): Answer[] {
  const ttl = records.ttl ?? DEFAULT_TTL_S
  const out: Answer[] = []
  // dns-packet decodes QTYPE 255 as 'ANY', which its type declarations leave out.
  const type: string = q.type
  if (type === 'A' || type === 'ANY') {
    for (const data of records.A ?? []) out.push({ type: 'A', class: 'IN', name: q.name, ttl, data })
  }
  if (type === 'AAAA' || type === 'ANY') {
    for (const data of records.AAAA ?? []) out.push({ type: 'AAAA', class: 'IN', name: q.name, ttl, data })
  }
  return out
}

function encode(packet: { id: number; flags: number; questions: Question[]; answers: Answer[] }): Buffer {
  return dnsPacket.encode({ type: 'response', ...packet })
}

/** Over UDP, an answer longer than 512 bytes is replaced by its header + question with TC set. */
function truncateForUdp(reply: Buffer): Buffer {
  if (reply.length <= UDP_MAX) return reply
  const decoded = dnsPacket.decode(reply)
  return dnsPacket.encode({
    type: 'response',
    id: decoded.id ?? 0,
    flags: (decoded.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE,
    questions: decoded.questions ?? [],
    answers: [],
  })
}

/** Binds UDP then TCP to the same port; with an ephemeral port, retries when TCP's is taken. */
async function bind(
  host: string,
  type: 'udp4' | 'udp6',
  port: number,
  withTcp: boolean,
): Promise<{ udp: UdpSocket; tcp: Server | undefined; port: number }> {
  let lastError: unknown
  for (let attempt = 0; attempt < (port === 0 ? MAX_PORT_ATTEMPTS : 1); attempt++) {
    const udp = createSocket(type)
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject)
        udp.bind(port, host, () => {
          udp.off('error', reject)
          resolve()
        })
      })
    } catch (err) {
      udp.close()
      throw err
    }
    const bound = udp.address().port
    if (!withTcp) return { udp, tcp: undefined, port: bound }
    const tcp = createServer()
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject)
        tcp.listen(bound, host, () => {
          tcp.off('error', reject)
          resolve()
        })
      })
      return { udp, tcp, port: bound }
    } catch (err) {
      lastError = err
      udp.close()
    }
  }
  throw lastError
}
