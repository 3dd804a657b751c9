/**
 * Trust anchors, chosen as node:tls users expect:
 * - by default, Node's default CA set: its bundled Mozilla roots (`tls.rootCertificates`) plus the PEM file
 *   named by `NODE_EXTRA_CA_CERTS` (read once, on first use, as node:tls reads it once at start-up; on Node
 *   >= 22.15 / 23.8 this is `tls.getCACertificates('default')`, which also holds the OS store when the process
 *   runs with `--use-system-ca`);
 * - `ca` replaces that set (like node:tls `ca`); `extraCa` adds to whichever set is in use;
 * - `useSystemCa` adds the operating system's store (`tls.getCACertificates('system')`, Node >= 22.15 /
 *   23.8); on an older Node it is a TlsUnsupportedError naming the version needed.
 */
import { readFileSync } from 'node:fs'
import * as tls from 'node:tls'
import { InvalidArgumentError } from '../../errors.js'
import { TlsUnsupportedError } from '../errors.js'
import { TlsCertificateError } from './errors.js'
import { parseCertificate, type ParsedCertificate } from './parse.js'

/** PEM text, or a Buffer holding PEM or DER, or a list of those. */
export type TrustAnchorInput = string | Buffer | Uint8Array | ReadonlyArray<string | Buffer | Uint8Array>

/** Which trust anchors a verification uses. */
export interface TrustOptions {
  /** Replaces the default CA set. */
  readonly ca?: TrustAnchorInput | undefined
  /** Added to the default CA set (or to `ca`). */
  readonly extraCa?: TrustAnchorInput | undefined
  /** Adds the operating system's certificate store (Node >= 22.15 / 23.8). Default false. */
  readonly useSystemCa?: boolean | undefined
}

/** Trust anchors indexed by subject Name for path building. */
export class TrustStore {
  private readonly bySubject = new Map<string, ParsedCertificate[]>()
  private readonly byDer = new Set<string>()
  readonly size: number

  constructor(anchors: readonly ParsedCertificate[]) {
    for (const a of anchors) {
      const der = a.der.toString('latin1')
      if (this.byDer.has(der)) continue
      this.byDer.add(der)
      for (const key of new Set([a.subjectDer, a.subjectKey])) {
        const list = this.bySubject.get(key)
        if (list) list.push(a)
        else this.bySubject.set(key, [a])
      }
    }
    this.size = this.byDer.size
  }

  /** Anchors whose subject is the issuer of `cert` (candidates to have signed it). */
  issuersOf(cert: ParsedCertificate): readonly ParsedCertificate[] {
    const exact = this.bySubject.get(cert.issuerDer) ?? []
    const loose = this.bySubject.get(cert.issuerKey) ?? []
    return loose.length === 0 ? exact : [...new Set([...exact, ...loose])]
  }

  /** Whether this exact certificate is a trust anchor. */
  has(cert: ParsedCertificate): boolean {
    return this.byDer.has(cert.der.toString('latin1'))
  }

  /** Every anchor, once. */
  anchors(): ParsedCertificate[] {
    return [...new Set([...this.bySubject.values()].flat())]
  }
}

type CaType = 'default' | 'system' | 'bundled' | 'extra'
const getCACertificates = (tls as unknown as { getCACertificates?: (type?: CaType) => string[] }).getCACertificates

/** Whether this Node can read the operating system's store (`tls.getCACertificates`, Node >= 22.15 / 23.8). */
export function systemCaSupported(): boolean {
  return typeof getCACertificates === 'function'
}

let defaultAnchors: ParsedCertificate[] | undefined
let systemAnchors: ParsedCertificate[] | undefined
let extraWarned = false

/** Node's default CA set, parsed once (certificates this parser rejects are skipped: they cannot anchor a path). */
function defaultSet(): ParsedCertificate[] {
  if (!defaultAnchors) {
    if (getCACertificates) defaultAnchors = parseLeniently(getCACertificates('default'))
    else defaultAnchors = [...parseLeniently(tls.rootCertificates), ...extraCertsFromEnv()]
  }
  return defaultAnchors
}

/** NODE_EXTRA_CA_CERTS on a Node without tls.getCACertificates: read here, once, as node:tls does at start-up. */
function extraCertsFromEnv(): ParsedCertificate[] {
  const file = process.env['NODE_EXTRA_CA_CERTS']
  if (!file) return []
  try {
    return parseLeniently([readFileSync(file, 'latin1')])
  } catch (err) {
    // node:tls warns and goes on with the bundled roots.
    if (!extraWarned) {
      extraWarned = true
      process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(err as Error).message}`, {
        code: 'HOTCONN_EXTRA_CA_CERTS',
      })
    }
    return []
  }
}

function systemSet(): ParsedCertificate[] {
  if (!getCACertificates) {
    throw new TlsUnsupportedError(
      'system_ca_unavailable',
      `the operating system's certificate store (useSystemCa / tls.use_system_ca) needs Node.js >= 22.15 or >= 23.8 (tls.getCACertificates('system')); this is ${process.version}. Upgrade Node, or pass the CA certificates as ca / extraCa (tls.ca_file / tls.extra_ca_file)`,
    )
  }
  return (systemAnchors ??= parseLeniently(getCACertificates('system')))
}

function parseLeniently(pems: readonly string[]): ParsedCertificate[] {
  const out: ParsedCertificate[] = []
  for (const pem of pems) {
    for (const der of pemBlocks(pem)) {
      try {
        out.push(parseCertificate(der))
      } catch {
        // A root this parser rejects cannot anchor a path; the others still can.
      }
    }
  }
  return out
}

// The same options are usually passed for every connection: build each store once.
const inputIds = new WeakMap<object, number>()
const stringIds = new Map<string, number>()
const parsedInputs = new Map<number, ParsedCertificate[]>()
const stores = new Map<string, TrustStore>()
let nextId = 1

function idOf(input: TrustAnchorInput): number {
  if (typeof input === 'string') {
    let id = stringIds.get(input)
    if (id === undefined) {
      if (stringIds.size >= 16) {
        const [oldest, oldId] = stringIds.entries().next().value!
        stringIds.delete(oldest)
        parsedInputs.delete(oldId)
      }
      stringIds.set(input, (id = nextId++))
    }
    return id
  }
  let id = inputIds.get(input)
  if (id === undefined) inputIds.set(input, (id = nextId++))
  return id
}

function anchorsOf(input: TrustAnchorInput, what: string): ParsedCertificate[] {
  const id = idOf(input)
  let anchors = parsedInputs.get(id)
  if (!anchors) {
    anchors = parseInput(input, what)
    if (parsedInputs.size >= 64) parsedInputs.delete(parsedInputs.keys().next().value!)
    parsedInputs.set(id, anchors)
  }
  return anchors
}

/**
 * The trust store for `options`, and how messages name it.
 * @throws InvalidArgumentError when `ca` / `extraCa` hold no certificate or one does not decode;
 *   TlsUnsupportedError for `useSystemCa` on a Node without `tls.getCACertificates`.
 */
export function trustStoreFor(options: TrustOptions): { store: TrustStore; source: string } {
  const key = [
    options.ca === undefined ? 'd' : idOf(options.ca),
    options.extraCa === undefined ? '-' : idOf(options.extraCa),
    options.useSystemCa ? 's' : '-',
  ].join('/')
  const parts = [
    options.ca === undefined
      ? "the default roots (Node's bundled Mozilla roots and NODE_EXTRA_CA_CERTS)"
      : 'the ca option (tls.ca_file)',
    ...(options.extraCa === undefined ? [] : ['extraCa (tls.extra_ca_file)']),
    ...(options.useSystemCa ? ["the operating system's store"] : []),
  ]
  const source = parts.join(' + ')
  let store = stores.get(key)
  if (!store) {
    const anchors = [
      ...(options.ca === undefined ? defaultSet() : anchorsOf(options.ca, 'ca')),
      ...(options.extraCa === undefined ? [] : anchorsOf(options.extraCa, 'extraCa')),
      ...(options.useSystemCa ? systemSet() : []),
    ]
    store = new TrustStore(anchors)
    if (stores.size >= 32) stores.delete(stores.keys().next().value!)
    stores.set(key, store)
  }
  return { store, source }
}

/** Node's default CA set as a store (bundled roots + NODE_EXTRA_CA_CERTS). */
export function systemTrustStore(): TrustStore {
  return trustStoreFor({}).store
}

/**
 * Builds a TrustStore from PEM/DER input.
 * @throws InvalidArgumentError when it holds no certificate or one does not decode.
 */
export function trustStoreFrom(ca: TrustAnchorInput): TrustStore {
  return new TrustStore(parseInput(ca, 'ca'))
}

function parseInput(input: TrustAnchorInput, what: string): ParsedCertificate[] {
  const items = typeof input === 'string' || input instanceof Uint8Array ? [input] : input
  const anchors: ParsedCertificate[] = []
  for (const item of items) {
    try {
      anchors.push(...parseAnchors(item, what))
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw err
      const why = err instanceof TlsCertificateError ? err.message : String(err)
      throw new InvalidArgumentError(
        `${what}: a trust anchor does not decode as a PEM or DER certificate (${why}); pass PEM text or DER bytes`,
      )
    }
  }
  if (anchors.length === 0) {
    throw new InvalidArgumentError(
      `${what}: no certificate found; pass PEM text ("-----BEGIN CERTIFICATE-----") or DER bytes, or omit ${what} to use the default roots`,
    )
  }
  return anchors
}

const PEM_BLOCK =
  /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g

function pemBlocks(text: string): Buffer[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'))
}

function parseAnchors(item: string | Buffer | Uint8Array, what: string): ParsedCertificate[] {
  if (typeof item !== 'string' && !(item instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${what}: entries must be strings (PEM) or Buffers (PEM or DER)`)
  }
  const bytes = typeof item === 'string' ? undefined : Buffer.from(item.buffer, item.byteOffset, item.byteLength)
  // DER starts with a SEQUENCE tag; anything else is read as PEM text.
  if (bytes && bytes[0] === 0x30) return [parseCertificate(bytes)]
  return pemBlocks(typeof item === 'string' ? item : bytes!.toString('latin1')).map((der) => parseCertificate(der))
}
