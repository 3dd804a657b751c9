/**
 * What a browser puts in HTTP besides TLS, as data: its HTTP/2 first flight (SETTINGS, connection
 * WINDOW_UPDATE, HEADERS priority fields, pseudo-header order, first stream id — the "Akamai"
 * fingerprint and a bit more) and its default request headers with their order, for HTTP/2 and
 * HTTP/1.1. `http/` applies it; nothing here touches a socket.
 */

/** One SETTINGS parameter (RFC 9113 §6.5.2): identifier and value, in wire order within the list. */
export interface Http2Setting {
  readonly id: number
  readonly value: number
}

/** The four request pseudo-header fields (RFC 9113 §8.3.1). */
export type PseudoHeader = ':method' | ':authority' | ':scheme' | ':path'

/** Fetch request destinations hotconn ships plans for (WHATWG Fetch §2.2.5 "destination"; `empty` = fetch()/XHR). */
export type Destination = 'document' | 'image' | 'script' | 'style' | 'font' | 'empty'

export const DESTINATIONS: readonly Destination[] = ['document', 'image', 'script', 'style', 'font', 'empty']

/** Kind of request a browser would make: a Fetch destination, or `navigation` (the older name of `document`). */
export type RequestKind = 'navigation' | Destination

export const REQUEST_KINDS: readonly RequestKind[] = ['navigation', ...DESTINATIONS]

/** Priority fields of a HEADERS frame (RFC 9113 §6.2, RFC 7540 §5.3 dependency tree). */
export interface Http2PriorityRule {
  readonly exclusive: boolean
  /** Stream the request depends on (0 = the root) when `dependency` is `root`. */
  readonly dependsOn: number
  /**
   * How a new stream's dependency is chosen: `root` always `dependsOn`; `chain` the most recently
   * opened stream still open whose urgency is the same or more urgent, else the root (Chromium's
   * `Http2PriorityDependencies`: the open streams form one exclusive chain ordered by urgency).
   */
  readonly dependency: 'root' | 'chain'
  /**
   * Weight (1-256 as in RFC 7540 §5.3.2, sent as weight-1) by the urgency of the request's
   * `priority` header (RFC 9218 §4.1, `u=N`).
   */
  readonly weightByUrgency: Readonly<Record<number, number>>
  /** Weight when the request has no `priority` header or an urgency not in `weightByUrgency`. */
  readonly defaultWeight: Readonly<Record<RequestKind, number>>
}

/**
 * A browser's HPACK choices that node:http2 (nghttp2) does not make itself and that leave the
 * dynamic table alone (RFC 7541 §5.2, §6.2): redone on the outgoing HEADERS frame.
 */
export interface HpackStyle {
  /** `shorter`: Huffman-code a string only when that is shorter (nghttp2's choice); `always`: every string. */
  readonly huffman: 'shorter' | 'always'
  /**
   * Static-table name reference of a literal whose name has several static entries (`:method`,
   * `:path`, `:scheme`): `first` (nghttp2's choice, `:path` 4) or `last` (`:path` 5).
   */
  readonly staticName: 'first' | 'last'
  /** Fields sent as never indexed (RFC 7541 §6.2.3) whatever their value (lower case). */
  readonly neverIndexed: readonly string[]
}

export interface Http2Fingerprint {
  /** SETTINGS of the connection preface, in wire order (RFC 9113 §3.4, §6.5). */
  readonly settings: readonly Http2Setting[]
  /** Increment of the connection-level WINDOW_UPDATE sent right after SETTINGS (RFC 9113 §6.9); 0 = none. */
  readonly connectionWindowIncrement: number
  /**
   * Increment of a stream-level WINDOW_UPDATE sent right after each request's HEADERS (Firefox
   * raises every pulled stream's window past the SETTINGS value this way); 0 = none.
   */
  readonly streamWindowIncrement: number
  readonly priority: Http2PriorityRule
  /** Order of the request pseudo-header fields in HEADERS. */
  readonly pseudoHeaderOrder: readonly PseudoHeader[]
  /**
   * Id of the first request's stream (RFC 9113 §5.1.1: client streams are odd and increasing; ids
   * skipped are implicitly closed). Chrome 1; Firefox 3, since stream 1 is reserved for an
   * HTTP/1.1 Upgrade (`Http2Session` starts at `mNextStreamID = 3`) and is never used over TLS.
   */
  readonly firstStreamId: number
  /** HPACK choices of the browser's header blocks. */
  readonly hpack: HpackStyle
}

/**
 * Header fields in the browser's order. A `null` value marks a slot the browser fills only
 * in context (e.g. `referer`): never sent by default, but a caller's value goes there.
 */
export type HeaderTemplate = ReadonlyArray<readonly [name: string, value: string | null]>

/** Default headers of one request kind. */
export interface RequestHeaderTemplates {
  /** HTTP/2 fields after the pseudo-headers (lower case, RFC 9113 §8.2.1). */
  readonly h2: HeaderTemplate
  /**
   * HTTP/1.1 fields in wire case and order, `Host` and `Connection` included as `null` slots: the
   * HTTP/1.1 client fills them, and the channel moves them to these places (src/http/h1-head.ts).
   */
  readonly h1: HeaderTemplate
}

/** The HTTP side of a browser profile; named like its ClientHelloSpec. */
export interface HttpProfile {
  readonly name: string
  /** Where the values come from (captures). */
  readonly source: string
  readonly userAgent: string
  readonly http2: Http2Fingerprint
  readonly headers: Readonly<Record<RequestKind, RequestHeaderTemplates>>
}

const PSEUDO_LETTER: Readonly<Record<PseudoHeader, string>> = {
  ':method': 'm',
  ':authority': 'a',
  ':scheme': 's',
  ':path': 'p',
}

/**
 * The Akamai HTTP/2 fingerprint of a first flight: `settings|window_update|priority_frames|pseudo_headers`,
 * e.g. `1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p` (Akamai, "Passive Fingerprinting of HTTP/2
 * Clients", Black Hat EU 2017). `priorityFrames` lists PRIORITY frames as `stream:exclusive:dep:weight`.
 */
export function akamaiFingerprint(parts: {
  settings: readonly Http2Setting[]
  windowIncrement: number
  priorityFrames?: readonly string[]
  pseudoHeaders: readonly string[]
}): string {
  const settings = parts.settings.map((s) => `${s.id}:${s.value}`).join(';')
  const priority =
    parts.priorityFrames === undefined || parts.priorityFrames.length === 0 ? '0' : parts.priorityFrames.join(',')
  const pseudo = parts.pseudoHeaders.map((h) => PSEUDO_LETTER[h as PseudoHeader] ?? h).join(',')
  return `${settings}|${parts.windowIncrement}|${priority}|${pseudo}`
}

/** The Akamai fingerprint a profile's first request produces. */
export function profileAkamai(fp: Http2Fingerprint): string {
  return akamaiFingerprint({
    settings: fp.settings,
    windowIncrement: fp.connectionWindowIncrement,
    pseudoHeaders: fp.pseudoHeaderOrder,
  })
}

/** Urgency of an RFC 9218 `priority` field value (`u=0, i` -> 0), or undefined. */
export function priorityUrgency(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const m = /(?:^|,)\s*u=([0-7])\s*(?:,|;|$)/.exec(value)
  return m === null ? undefined : Number(m[1])
}

/**
 * HEADERS priority fields for a request of `kind` whose `priority` header is `priorityValue`, and
 * the urgency that orders it in a `chain` (the header's, else the one whose weight is the kind's).
 */
export function headersPriority(
  rule: Http2PriorityRule,
  kind: RequestKind,
  priorityValue: string | undefined,
): { exclusive: boolean; dependsOn: number; weight: number; urgency: number } {
  const given = priorityUrgency(priorityValue)
  const u = given !== undefined && rule.weightByUrgency[given] !== undefined ? given : undefined
  const weight = u === undefined ? rule.defaultWeight[kind] : rule.weightByUrgency[u]!
  const urgency = u ?? urgencyOfWeight(rule, weight)
  return { exclusive: rule.exclusive, dependsOn: rule.dependsOn, weight, urgency }
}

/** The urgency whose weight is `weight` in the rule (7, the least urgent, when none is). */
function urgencyOfWeight(rule: Http2PriorityRule, weight: number): number {
  for (const [u, w] of Object.entries(rule.weightByUrgency)) if (w === weight) return Number(u)
  return 7
}

/**
 * A SETTINGS frame (RFC 9113 §6.5) on stream 0 with the parameters in the given order: the one
 * encoder, for the HTTP/2 first flight (http/h2/shaper.ts) and the ALPS payload below.
 */
export function encodeSettingsFrame(settings: ReadonlyArray<{ id: number; value: number }>): Buffer {
  const out = Buffer.alloc(9 + 6 * settings.length)
  out.writeUIntBE(6 * settings.length, 0, 3)
  out[3] = 0x04 // SETTINGS; flags 0, stream 0
  settings.forEach((s, i) => {
    out.writeUInt16BE(s.id, 9 + 6 * i)
    out.writeUInt32BE(s.value >>> 0, 11 + 6 * i)
  })
  return out
}

/**
 * The client's ALPS payload for h2 (draft-vvv-httpbis-alps §3): a SETTINGS frame with the
 * profile's settings in its order, then an empty ACCEPT_CH frame (type 0x89), each with the
 * 9-byte HTTP/2 frame header on stream 0.
 */
export function alpsHttp2Payload(settings: readonly Http2Setting[]): Uint8Array {
  const acceptCh = Buffer.alloc(9)
  acceptCh[3] = 0x89 // ACCEPT_CH, empty
  return Buffer.concat([encodeSettingsFrame(settings), acceptCh])
}
