/**
 * The layers of src/, lowest first. A module may import (at run time or for types alone) modules
 * of its own layer and of the layers below it, never above. docs/architecture.md shows the same
 * list; test/structure/docs.test.ts keeps the two equal. A new top-level folder or file of src/
 * needs a place here before it can land.
 */
export const LAYERS: readonly (readonly string[])[] = [
  // Shared by everything: byte codecs, the error classes and their codes.
  ['util', 'errors.ts'],
  // TOML -> validated, typed Config.
  ['config'],
  // What a browser sends: ClientHello specs, profiles, HTTP/2 fingerprints, JA3/JA4.
  ['fingerprint'],
  // The TLS 1.3/1.2 client engine.
  ['tls'],
  // How connections leave: direct, from local source addresses, or through HTTP CONNECT / SOCKS5
  // proxies (the stream the TLS engine runs over), and how requests rotate over them.
  ['egress'],
  // HTTP over a pooled TLS connection (undici glue, HTTP/2 shaping).
  ['http'],
  // The hot connection pool (undici Dispatcher).
  ['pool'],
  // The tile job: a user of the pool (sources, stores, retry and rate policy, reports).
  ['tiles'],
  // Test PKI (node-forge): for tests, the demo and the CLI's local servers, never for the library.
  ['testing'],
  // The demo origin and DNS server that `npm start` runs against (exported for examples and tests).
  ['demo'],
  // The package entries: `hotconn` re-exports the library layers and the demo, nothing above them;
  // `hotconn/crawlee` is the Crawlee HTTP client over the pool (Crawlee's types only, never loaded).
  ['index.ts', 'crawlee'],
  // The command line.
  ['cli'],
]

/** The layer name of a module path relative to src/ ("pool/manager.ts" -> "pool", "errors.ts"). */
export function layerOf(file: string): string {
  const slash = file.indexOf('/')
  return slash < 0 ? file : file.slice(0, slash)
}

/** The rank of a layer name (0 = lowest), or undefined for a folder not in LAYERS. */
export function rankOf(layer: string): number | undefined {
  const rank = LAYERS.findIndex((group) => group.includes(layer))
  return rank < 0 ? undefined : rank
}
