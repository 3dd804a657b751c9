/**
 * The HTTP/1.1 request head in a browser's layout. undici writes `host:` and `connection:` in
 * lower case right after the request line; browsers write `Host` and `Connection` in wire case at
 * their own places (Chromium 156: Host, Connection first; Firefox ESR 153: Connection after
 * Accept-Encoding — see the `.http.txt` captures). The profile's HTTP/1.1 template marks those
 * places with `['Host', null]` and `['Connection', null]`; the channel rewrites each head undici
 * writes (one latin1 string that starts with the request line) before it is encrypted.
 */
import type { Duplex } from 'node:stream'
import type { HeaderTemplate } from '../fingerprint/http.js'

export interface HeadLayout {
  /** Lower-case field name -> place in the browser's order. */
  readonly rank: ReadonlyMap<string, number>
  /** Wire spelling of Host and Connection. */
  readonly host: string
  readonly connection: string
}

/** The layout a template describes, or undefined when it does not place Host and Connection. */
export function headLayout(template: HeaderTemplate): HeadLayout | undefined {
  const rank = new Map<string, number>()
  template.forEach(([name], i) => rank.set(name.toLowerCase(), i))
  const host = template.find(([n]) => n.toLowerCase() === 'host')?.[0]
  const connection = template.find(([n]) => n.toLowerCase() === 'connection')?.[0]
  return host !== undefined && connection !== undefined ? { rank, host, connection } : undefined
}

const REQUEST_HEAD = /^[A-Z]+ \S+ HTTP\/1\.1\r\nhost: /

/** Whether `chunk` is a request head as undici writes it. */
export function isRequestHead(chunk: unknown): chunk is string {
  return typeof chunk === 'string' && REQUEST_HEAD.test(chunk)
}

/**
 * Moves undici's `host` and `connection` lines to the layout's places, in its spelling. Fields the
 * layout does not know keep their order after every known field that precedes them.
 */
export function rewriteRequestHead(head: string, layout: HeadLayout): string {
  const end = head.indexOf('\r\n\r\n')
  if (end < 0) return head
  const lines = head.slice(0, end).split('\r\n')
  const requestLine = lines[0]!
  let host: string | undefined
  let connection: string | undefined
  const fields: string[] = []
  for (const line of lines.slice(1)) {
    if (host === undefined && line.startsWith('host: ')) host = line.slice(6)
    else if (connection === undefined && line.startsWith('connection: ')) connection = line.slice(12)
    else fields.push(line)
  }
  if (host === undefined) return head
  const rankOf = (line: string): number => layout.rank.get(line.slice(0, line.indexOf(':')).toLowerCase()) ?? Infinity
  const insert = (name: string, value: string): void => {
    const r = layout.rank.get(name.toLowerCase())!
    const at = fields.findIndex((f) => rankOf(f) > r)
    fields.splice(at < 0 ? fields.length : at, 0, `${name}: ${value}`)
  }
  insert(layout.host, host)
  if (connection !== undefined) insert(layout.connection, connection)
  return `${requestLine}\r\n${fields.join('\r\n')}${head.slice(end)}`
}

/**
 * Rewrites every request head written to `socket` from now on (the socket must belong to one
 * HTTP/1.1 client, one request at a time) with the layout `layout()` gives for the request being
 * written (none: the head goes as undici wrote it). Returns a function that stops it.
 */
export function rewriteHeadsOn(socket: Duplex, layout: () => HeadLayout | undefined): () => void {
  const original = socket.write
  const patched = function (this: Duplex, chunk: unknown, ...rest: unknown[]): boolean {
    const current = isRequestHead(chunk) ? layout() : undefined
    return (original as (...a: unknown[]) => boolean).call(
      this,
      current !== undefined ? rewriteRequestHead(chunk as string, current) : chunk,
      ...rest,
    )
  }
  socket.write = patched as Duplex['write']
  return () => {
    if (socket.write === patched) socket.write = original
  }
}
