/**
 * Trust anchors: the `ca` option (PEM or DER, one or many) or, by default, Node's bundled
 * Mozilla root store (`tls.rootCertificates`).
 */
import { rootCertificates } from 'node:tls'
import { InvalidArgumentError } from '../../errors.js'
import { parseCertificate, type ParsedCertificate } from './parse.js'
import { TlsCertificateError } from './errors.js'

/** PEM text, or a Buffer holding PEM or DER, or a list of those. */
export type TrustAnchorInput = string | Buffer | Uint8Array | ReadonlyArray<string | Buffer | Uint8Array>

/** Trust anchors indexed by subject Name for path building. */
export class TrustStore {
  private readonly bySubject = new Map<string, ParsedCertificate[]>()
  private readonly byDer = new Set<string>()
  readonly size: number

  constructor(anchors: readonly ParsedCertificate[]) {
    for (const a of anchors) {
      for (const key of new Set([a.subjectDer, a.subjectKey])) {
        const list = this.bySubject.get(key)
        if (list) list.push(a)
        else this.bySubject.set(key, [a])
      }
      this.byDer.add(a.der.toString('base64'))
    }
    this.size = anchors.length
  }

  /** Anchors whose subject is the issuer of `cert` (candidates to have signed it). */
  issuersOf(cert: ParsedCertificate): readonly ParsedCertificate[] {
    const exact = this.bySubject.get(cert.issuerDer) ?? []
    const loose = this.bySubject.get(cert.issuerKey) ?? []
    return loose.length === 0 ? exact : [...new Set([...exact, ...loose])]
  }

  /** Whether this exact certificate is a trust anchor. */
  has(cert: ParsedCertificate): boolean {
    return this.byDer.has(cert.der.toString('base64'))
  }
}

let systemStore: TrustStore | undefined

/** Node's bundled root store, parsed once (certificates it cannot parse are skipped). */
export function systemTrustStore(): TrustStore {
  if (!systemStore) {
    const anchors: ParsedCertificate[] = []
    for (const pem of rootCertificates) {
      try {
        anchors.push(...parseAnchors(pem))
      } catch {
        // A root this parser rejects cannot anchor a path; the others still can.
      }
    }
    systemStore = new TrustStore(anchors)
  }
  return systemStore
}

/**
 * Builds a TrustStore from the `ca` option.
 * @throws InvalidArgumentError when `ca` holds no certificate or one does not decode.
 */
export function trustStoreFrom(ca: TrustAnchorInput): TrustStore {
  const items = typeof ca === 'string' || ca instanceof Uint8Array ? [ca] : ca
  const anchors: ParsedCertificate[] = []
  for (const item of items) {
    try {
      anchors.push(...parseAnchors(item))
    } catch (err) {
      const why = err instanceof TlsCertificateError ? err.message : String(err)
      throw new InvalidArgumentError(
        `ca: a trust anchor does not decode as a PEM or DER certificate (${why}); pass PEM text or DER bytes`,
      )
    }
  }
  if (anchors.length === 0) {
    throw new InvalidArgumentError(
      'ca: no certificate found; pass PEM text ("-----BEGIN CERTIFICATE-----") or DER bytes, or omit ca to use the system roots',
    )
  }
  return new TrustStore(anchors)
}

const PEM_BLOCK =
  /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g

function parseAnchors(item: string | Buffer | Uint8Array): ParsedCertificate[] {
  if (typeof item !== 'string' && !(item instanceof Uint8Array)) {
    throw new InvalidArgumentError('ca: entries must be strings (PEM) or Buffers (PEM or DER)')
  }
  const bytes = typeof item === 'string' ? undefined : Buffer.from(item.buffer, item.byteOffset, item.byteLength)
  // DER starts with a SEQUENCE tag; anything else is read as PEM text.
  if (bytes && bytes[0] === 0x30) return [parseCertificate(bytes)]
  const text = typeof item === 'string' ? item : bytes!.toString('latin1')
  return [...text.matchAll(PEM_BLOCK)].map((m) => parseCertificate(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')))
}
