/**
 * Today's exceptions to the structure rules, each with its size and the reason. The list may only
 * shrink: the tests fail when a listed function or file grows past its listed size, and when an
 * entry is no longer over budget or no longer a cycle (remove it then). `npm run structure` lists
 * the entries that shrank, to lower. Nothing new is added here: split the code instead.
 */

export interface SizeException {
  /** "pool/manager.ts" for a file; "http/request.ts:runPooledRequest" for a function. */
  readonly at: string
  /** Lines, as test/structure/source.ts measures them. */
  readonly lines: number
  readonly reason: string
}

export interface CycleException {
  /** The modules of the runtime import cycle (a strongly connected component), sorted. */
  readonly modules: readonly string[]
  readonly reason: string
}

/** Functions over FUNCTION_FAIL_LINES (src/ outside demo/). */
export const LONG_FUNCTIONS: readonly SizeException[] = []

/** Files over FILE_FAIL_LINES (all of src/). */
export const LONG_FILES: readonly SizeException[] = [
  {
    at: 'testing/pki.ts',
    lines: 521,
    reason: 'the test PKI: key pairs, CA, intermediate and leaf issuing, and the X.509 extension encoders in one file',
  },
  {
    at: 'tls/connection.ts',
    lines: 461,
    reason: 'record I/O, handshake driving, alerts and post-handshake messages of TlsClientConnection in one class',
  },
  {
    at: 'tls/cert/parse.ts',
    lines: 454,
    reason: 'the certificate parser and every extension decoder in one file; the decoders can move beside it',
  },
  {
    at: 'cli/h2-listen.ts',
    lines: 439,
    reason: 'the fingerprint command’s listener: HTTP/2 and HTTP/1.1 handlers, frame capture and output in one file',
  },
]

/** Runtime import cycles. */
export const RUNTIME_CYCLES: readonly CycleException[] = []
