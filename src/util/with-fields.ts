/**
 * Object copies on the request path.
 */

/**
 * A copy of `opts` with `fields` set on it, as `{ ...opts, ...fields }`. The literal costs 1.8 µs
 * of CPU on Node 20 (V8 11.3) here when it adds properties after the spread, and a symbol key set
 * on its result ~1 µs more; two Object.assign calls cost ~0.2 µs. Runs a few times per request.
 */
export function withFields<T extends object, F extends object>(opts: T, fields: F): T & F {
  return Object.assign(Object.assign({}, opts), fields)
}
