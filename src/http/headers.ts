/**
 * Request headers as ordered (name, value) pairs, and the merge of a browser profile's default
 * headers with a caller's: the caller's headers win and keep the caller's order; each default
 * the caller did not give goes where the browser puts it relative to the caller's headers.
 */
import type { Dispatcher } from 'undici'
import type { HeaderTemplate } from '../fingerprint/http.js'

export type HeaderPairs = Array<[name: string, value: string]>

function pushValue(out: HeaderPairs, name: string, value: unknown): void {
  if (value === undefined || value === null) return
  if (Array.isArray(value)) for (const v of value) out.push([name, String(v)])
  else out.push([name, String(value)])
}

/**
 * `opts.headers` in any shape undici accepts (object, flat `[name, value, …]` array, array of
 * pairs, iterable of pairs) as ordered pairs; array values become repeated fields.
 */
export function headerPairs(headers: Dispatcher.DispatchOptions['headers'] | null | undefined): HeaderPairs {
  const out: HeaderPairs = []
  if (headers == null) return out
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as unknown as Array<[string, unknown]>) pushValue(out, String(pair[0]), pair[1])
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) pushValue(out, String(headers[i]), headers[i + 1])
    }
    return out
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const pair of headers as Iterable<[string, unknown]>) pushValue(out, String(pair[0]), pair[1])
    return out
  }
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) pushValue(out, name, value)
  return out
}

/**
 * What undici's fetch() adds when the caller set nothing (WHATWG Fetch "HTTP-network-or-cache
 * fetch" as undici implements it): recognised by its `user-agent` and dropped, so the profile's
 * defaults apply instead of a non-browser set.
 */
const FETCH_DEFAULTS: ReadonlyArray<readonly [string, ReadonlySet<string>]> = [
  ['user-agent', new Set(['node', 'undici'])],
  ['accept', new Set(['*/*'])],
  ['accept-language', new Set(['*'])],
  ['sec-fetch-mode', new Set(['cors'])],
  ['accept-encoding', new Set(['br, gzip, deflate', 'gzip, deflate', 'gzip, deflate, br'])],
]

/** Drops the headers undici's fetch() added on its own (only when its default user-agent is there). */
export function withoutFetchDefaults(pairs: HeaderPairs): HeaderPairs {
  const ua = pairs.find(([n]) => n.toLowerCase() === 'user-agent')
  if (ua === undefined || !FETCH_DEFAULTS[0]![1].has(ua[1])) return pairs
  return pairs.filter(([n, v]) => {
    const rule = FETCH_DEFAULTS.find(([name]) => name === n.toLowerCase())
    return rule === undefined || !rule[1].has(v)
  })
}

/**
 * The caller's headers with the template's defaults merged in.
 *  - A default is sent unless the caller gives a field of the same name (any case).
 *  - The caller's fields keep their order. A field the template knows takes the template's
 *    spelling (a browser writes `Referer`, whatever case the caller used); others keep theirs.
 *  - Each default goes before the first field already placed whose browser position comes after
 *    its own; a caller field the template does not know takes the position of the caller field
 *    before it (or the end), so the defaults end up in the browser's order around the caller's.
 * Template slots with a `null` value are positions only, never sent by default.
 */
export function mergeDefaultHeaders(caller: HeaderPairs, template: HeaderTemplate): HeaderPairs {
  if (template.length === 0) return caller
  const { rank } = templateIndex(template)
  const given = new Set(caller.map(([n]) => n.toLowerCase()))
  const placed: Array<{ pair: [string, string]; rank: number }> = []
  let last = Infinity
  for (const pair of caller) {
    const r = rank.get(pair[0].toLowerCase())
    if (r !== undefined) last = r
    placed.push({ pair: r === undefined ? pair : [template[r]![0], pair[1]], rank: r ?? last })
  }
  for (const [name, value] of template) {
    const r = rank.get(name.toLowerCase()) as number
    if (value === null || given.has(name.toLowerCase())) continue
    let at = placed.findIndex((p) => p.rank > r)
    if (at < 0) at = placed.length
    placed.splice(at, 0, { pair: [name, value], rank: r })
  }
  return placed.map((p) => p.pair)
}

/**
 * `flatHeaders(mergeDefaultHeaders(caller, template))`. A request without fields of its own (the
 * common case of a crawler) gets a copy of the template's defaults, flattened once per template.
 */
export function mergedFlatHeaders(caller: HeaderPairs, template: HeaderTemplate): string[] {
  if (caller.length === 0 && template.length > 0) return templateIndex(template).defaults.slice()
  return flatHeaders(mergeDefaultHeaders(caller, template))
}

interface TemplateIndex {
  /** Lower-case field name -> place in the template. */
  readonly rank: ReadonlyMap<string, number>
  /** What the merge gives a request without fields of its own, flat. */
  readonly defaults: readonly string[]
}

/** Per template (plans are cached, so a template is met again and again). */
const templateIndexes = new WeakMap<HeaderTemplate, TemplateIndex>()

function templateIndex(template: HeaderTemplate): TemplateIndex {
  let index = templateIndexes.get(template)
  if (index === undefined) {
    const rank = new Map<string, number>()
    template.forEach(([name], i) => rank.set(name.toLowerCase(), i))
    index = { rank, defaults: [] }
    templateIndexes.set(template, index)
    ;(index.defaults as string[]).push(...flatHeaders(mergeDefaultHeaders([], template)))
  }
  return index
}

/** Flat `[name, value, …]` array (undici's raw header form). */
export function flatHeaders(pairs: HeaderPairs): string[] {
  const out: string[] = []
  for (const [n, v] of pairs) out.push(n, v)
  return out
}
