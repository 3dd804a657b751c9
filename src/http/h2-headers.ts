/**
 * Header lists of an HTTP/2 request and response: the request's pseudo-headers in the profile's
 * order followed by its fields merged with the profile's defaults (RFC 9113 §8.3), and the
 * response's fields in the shapes undici's handlers take.
 */
import { sensitiveHeaders, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2'
import type { IncomingHttpHeaders as UndiciHeaders } from 'node:http'
import type { Dispatcher } from 'undici'
import type { HeaderTemplate, Http2Fingerprint } from '../fingerprint/http.js'
import { headerPairs, mergeDefaultHeaders, withoutFetchDefaults, type HeaderPairs } from './headers.js'

/** Header fields that are connection-specific and must not appear in HTTP/2 (RFC 9113 §8.2.2). */
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
])

/** `opts.path` split off an absolute URL if one was given. */
function requestPath(path: string): string {
  if (path.startsWith('/') || path === '*') return path
  const url = new URL(path)
  return url.pathname + url.search
}

export interface H2RequestHead {
  headers: OutgoingHttpHeaders
  /** The request's `priority` field (RFC 9218), if any: it picks the HEADERS weight. */
  priority: string | undefined
}

/**
 * The request's header list for node:http2: pseudo-headers in `fp.pseudoHeaderOrder`, then the
 * fields (lower case, connection-specific ones dropped, `te` only as "trailers") merged with
 * `template`. A `Host` field becomes `:authority`. A `cookie` goes as one field per cookie-pair
 * (crumbs, RFC 9113 §8.2.3), as both browsers' encoders split it; the identity's `neverIndexed`
 * fields are marked so that HPACK never indexes them (RFC 7541 §6.2.3).
 */
export function h2RequestHead(
  opts: Dispatcher.DispatchOptions,
  authority: string,
  fp: Http2Fingerprint,
  template: HeaderTemplate | undefined,
): H2RequestHead {
  const fields: HeaderPairs = []
  for (const [name, value] of withoutFetchDefaults(headerPairs(opts.headers))) {
    const lower = name.toLowerCase()
    if (lower === 'host') authority = value
    if (CONNECTION_SPECIFIC.has(lower)) continue
    if (lower === 'te' && value.trim().toLowerCase() !== 'trailers') continue
    fields.push([lower, value])
  }
  const pairs = template === undefined ? fields : mergeDefaultHeaders(fields, template)
  const pseudo: Record<string, string> = {
    ':method': String(opts.method ?? 'GET').toUpperCase(),
    ':authority': authority,
    ':scheme': 'https',
    ':path': requestPath(opts.path),
  }
  const headers: OutgoingHttpHeaders = {}
  for (const p of fp.pseudoHeaderOrder) headers[p] = pseudo[p]
  let priority: string | undefined
  for (const [name, value] of pairs) {
    if (name === 'priority') priority = value
    for (const v of name === 'cookie' ? value.split('; ') : [value]) {
      const cur = headers[name]
      headers[name] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [String(cur), v]
    }
  }
  const never = fp.hpack.neverIndexed.filter((n) => headers[n] !== undefined)
  if (never.length > 0) (headers as Record<symbol, unknown>)[sensitiveHeaders] = never
  const body = opts.body
  if (
    hasBody(body) &&
    headers['content-length'] === undefined &&
    (typeof body === 'string' || body instanceof Uint8Array)
  )
    headers['content-length'] = String(Buffer.byteLength(body))
  return { headers, priority }
}

/** Whether a request body has bytes to send. */
export function hasBody(body: Dispatcher.DispatchOptions['body']): boolean {
  if (body === undefined || body === null) return false
  if (typeof body === 'string' || body instanceof Uint8Array) return body.length > 0
  return true
}

/** A response's fields without pseudo-headers, as undici's handlers take them. */
export function responseFields(headers: IncomingHttpHeaders): UndiciHeaders {
  const out: UndiciHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue
    out[name] = value
  }
  return out
}

/** A response's fields as undici's raw list (`[name, value, …]` as Buffers), for `controller.rawHeaders`. */
export function rawHeaderBuffers(headers: IncomingHttpHeaders): Buffer[] {
  const out: Buffer[] = []
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) out.push(Buffer.from(name), Buffer.from(String(v)))
  }
  return out
}
