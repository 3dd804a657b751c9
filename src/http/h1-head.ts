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
  /** The template's own spellings -> place, so that a field written in them needs no lower-casing. */
  readonly wireRank: ReadonlyMap<string, number>
  /** Wire spelling of Host and Connection. */
  readonly host: string
  readonly connection: string
}

/** The layout a template describes, or undefined when it does not place Host and Connection. */
export function headLayout(template: HeaderTemplate): HeadLayout | undefined {
  const rank = new Map<string, number>()
  template.forEach(([name], i) => rank.set(name.toLowerCase(), i))
  const wireRank = new Map<string, number>()
  for (const [name] of template) wireRank.set(name, rank.get(name.toLowerCase())!)
  const host = template.find(([n]) => n.toLowerCase() === 'host')?.[0]
  const connection = template.find(([n]) => n.toLowerCase() === 'connection')?.[0]
  return host !== undefined && connection !== undefined ? { rank, wireRank, host, connection } : undefined
}

const REQUEST_HEAD = /^[A-Z]+ \S+ HTTP\/1\.1\r\nhost: /

/** Whether `chunk` is a request head as undici writes it. */
export function isRequestHead(chunk: unknown): chunk is string {
  return typeof chunk === 'string' && REQUEST_HEAD.test(chunk)
}

/** The browser position of a field line (`Name: value`); Infinity for a field the layout does not know. */
function rankOfLine(line: string, layout: HeadLayout): number {
  const name = line.slice(0, line.indexOf(':'))
  return layout.wireRank.get(name) ?? layout.rank.get(name.toLowerCase()) ?? Infinity
}

/** Inserts `line` of position `rank` before the first field placed after it (or at the end). */
function insertField(fields: string[], ranks: number[], line: string, rank: number): void {
  let at = 0
  while (at < ranks.length && ranks[at]! <= rank) at++
  fields.splice(at, 0, line)
  ranks.splice(at, 0, rank)
}

/**
 * Moves undici's `host` and `connection` lines to the layout's places, in its spelling. Fields the
 * layout does not know keep their order after every known field that precedes them.
 */
export function rewriteRequestHead(head: string, layout: HeadLayout): string {
  const end = head.indexOf('\r\n\r\n')
  if (end < 0) return head
  return rewriteAsUndiciWrites(head, end, layout) ?? rewriteAnyHead(head, end, layout)
}

/**
 * The common case, as undici writes a head: `host` and `connection` are the first two lines. Only
 * the lines before the two insertion points are looked at; the rest is copied as one slice.
 * Undefined when the head is not laid out that way.
 */
function rewriteAsUndiciWrites(head: string, end: number, layout: HeadLayout): string | undefined {
  const first = head.indexOf('\r\n')
  const hostAt = first + 2
  if (!head.startsWith('host: ', hostAt)) return undefined
  const hostEnd = head.indexOf('\r\n', hostAt)
  const connAt = hostEnd + 2
  if (connAt > end || !head.startsWith('connection: ', connAt)) return undefined
  const connEnd = head.indexOf('\r\n', connAt)
  const hostRank = layout.rank.get(layout.host.toLowerCase())!
  const connRank = layout.rank.get(layout.connection.toLowerCase())!
  // Start offsets of the first field placed after Host and after Connection (end + 2: none).
  let hostBefore = -1
  let connBefore = -1
  let at = connEnd + 2
  while (at <= end && (hostBefore < 0 || connBefore < 0)) {
    const next = head.indexOf('\r\n', at)
    const rank = rankOfLine(head.slice(at, next), layout)
    if (hostBefore < 0 && rank > hostRank) hostBefore = at
    if (connBefore < 0 && rank > connRank) connBefore = at
    at = next + 2
  }
  if (hostBefore < 0) hostBefore = end + 2
  if (connBefore < 0) connBefore = end + 2
  const hostLine = `${layout.host}: ${head.slice(hostAt + 6, hostEnd)}\r\n`
  const connLine = `${layout.connection}: ${head.slice(connAt + 12, connEnd)}\r\n`
  // Connection goes before the first field (Host included) placed after it.
  const connFirst = connBefore < hostBefore || (connBefore === hostBefore && hostRank > connRank)
  const [a, lineA, b, lineB] = connFirst
    ? [connBefore, connLine, hostBefore, hostLine]
    : [hostBefore, hostLine, connBefore, connLine]
  return head.slice(0, hostAt) + head.slice(connEnd + 2, a) + lineA + head.slice(a, b) + lineB + head.slice(b)
}

/** Any head: every field line is looked at once. */
function rewriteAnyHead(head: string, end: number, layout: HeadLayout): string {
  const first = head.indexOf('\r\n')
  let host: string | undefined
  let connection: string | undefined
  const fields: string[] = []
  const ranks: number[] = []
  for (let at = first + 2; at <= end;) {
    const next = head.indexOf('\r\n', at)
    const line = head.slice(at, next)
    at = next + 2
    if (host === undefined && line.startsWith('host: ')) host = line.slice(6)
    else if (connection === undefined && line.startsWith('connection: ')) connection = line.slice(12)
    else {
      fields.push(line)
      ranks.push(rankOfLine(line, layout))
    }
  }
  if (host === undefined) return head
  insertField(fields, ranks, `${layout.host}: ${host}`, layout.rank.get(layout.host.toLowerCase())!)
  if (connection !== undefined)
    insertField(fields, ranks, `${layout.connection}: ${connection}`, layout.rank.get(layout.connection.toLowerCase())!)
  return `${head.slice(0, first)}\r\n${fields.join('\r\n')}${head.slice(end)}`
}

/**
 * The head of a request without fields of its own: the template's default fields, written into the
 * head by the rewrite instead of handed to undici (which would validate and write the same lines,
 * `Name: value` in the template's spelling and order, after `connection:`). Per template, made once.
 */
export interface DefaultsHead {
  readonly layout: HeadLayout
  /** The default field lines (`Name: value\r\n` each), where undici writes a request's fields. */
  readonly block: string
  /** For the head undici writes with no other field (request line, host, connection): what follows the request line, split at the Host and Connection values. */
  readonly parts: readonly [string, string, string]
  /** Whether the Host value comes before the Connection value in `parts`. */
  readonly hostFirst: boolean
}

/** Field names undici reads itself when given as request fields (`processHeader`): such a default must go through undici. */
const UNDICI_OWN = new Set([
  'host',
  'connection',
  'content-length',
  'content-type',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'expect',
])
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const FIELD_VALUE = /^[^\0\r\n]*$/

const defaultsHeads = new WeakMap<HeaderTemplate, DefaultsHead | null>()

/**
 * The defaults head of `template` laid out by `layout`, or undefined when a default cannot be
 * written without undici (a field undici interprets, or a name or value it would refuse).
 */
export function defaultsHead(template: HeaderTemplate, layout: HeadLayout): DefaultsHead | undefined {
  let head = defaultsHeads.get(template)
  if (head === undefined) defaultsHeads.set(template, (head = makeDefaultsHead(template, layout)))
  return head ?? undefined
}

function makeDefaultsHead(template: HeaderTemplate, layout: HeadLayout): DefaultsHead | null {
  let block = ''
  for (const [name, value] of template) {
    if (value === null) continue
    if (UNDICI_OWN.has(name.toLowerCase()) || !TOKEN.test(name) || !FIELD_VALUE.test(value)) return null
    block += `${name}: ${value}\r\n`
  }
  const line = 'GET / HTTP/1.1\r\n'
  const laid = rewriteRequestHead(`${line}host: \u0000\r\nconnection: \u0001\r\n${block}\r\n`, layout).slice(
    line.length,
  )
  const h = laid.indexOf('\u0000')
  const c = laid.indexOf('\u0001')
  if (h < 0 || c < 0) return null
  const [first, second] = h < c ? [h, c] : [c, h]
  return {
    layout,
    block,
    parts: [laid.slice(0, first), laid.slice(first + 1, second), laid.slice(second + 1)],
    hostFirst: h < c,
  }
}

/**
 * `head` (as undici writes it for a request without fields) with the defaults' lines: the
 * precomputed layout when host and connection are its only fields, else the lines put where undici
 * would have written them and the head rewritten as usual.
 */
export function writeDefaultsHead(head: string, d: DefaultsHead): string {
  const first = head.indexOf('\r\n')
  const hostAt = first + 2
  const hostEnd = head.indexOf('\r\n', hostAt)
  const connAt = hostEnd + 2
  const connEnd = head.indexOf('\r\n', connAt)
  if (!head.startsWith('host: ', hostAt) || !head.startsWith('connection: ', connAt))
    return rewriteRequestHead(head, d.layout)
  if (connEnd + 4 === head.length && head.endsWith('\r\n\r\n')) {
    const host = head.slice(hostAt + 6, hostEnd)
    const conn = head.slice(connAt + 12, connEnd)
    const [p0, p1, p2] = d.parts
    return d.hostFirst
      ? head.slice(0, hostAt) + p0 + host + p1 + conn + p2
      : head.slice(0, hostAt) + p0 + conn + p1 + host + p2
  }
  return rewriteRequestHead(head.slice(0, connEnd + 2) + d.block + head.slice(connEnd + 2), d.layout)
}

/** How the head being written is laid out: a layout alone (the request's fields went through undici), or its defaults head. */
export type HeadForm = HeadLayout | DefaultsHead

/**
 * Rewrites every request head written to `socket` from now on (the socket must belong to one
 * HTTP/1.1 client, one request at a time) with the form `form()` gives for the request being
 * written: its layout, or its defaults head (the default fields are written into it); none: the
 * head goes as undici wrote it. Returns a function that stops it.
 */
export function rewriteHeadsOn(socket: Duplex, form: () => HeadForm | undefined): () => void {
  const original = socket.write
  const patched = function (this: Duplex, chunk: unknown, ...rest: unknown[]): boolean {
    const current = isRequestHead(chunk) ? form() : undefined
    const out =
      current === undefined
        ? chunk
        : 'block' in current
          ? writeDefaultsHead(chunk as string, current)
          : rewriteRequestHead(chunk as string, current)
    return (original as (...a: unknown[]) => boolean).call(this, out, ...rest)
  }
  socket.write = patched as Duplex['write']
  return () => {
    if (socket.write === patched) socket.write = original
  }
}
