/**
 * A small LRU cache of parsed certificates keyed by their DER: the intermediates (and leaves) of the
 * hosts a pool talks to come back on every handshake, and their parsed form, imported key and
 * checked signatures (`ParsedCertificate.signedBy` remembers them) are reused.
 */
import { parseCertificate, type ParsedCertificate } from './parse.js'

/** Certificates of at most this size are kept by `parseCertificateCached`. */
const CACHE_MAX_DER = 8 * 1024
const CACHE_ENTRIES = 256
const cache = new Map<string, ParsedCertificate>()

/** Drops every certificate `parseCertificateCached` keeps (their parsed form, keys and checked signatures). */
export function clearCertificateCache(): void {
  cache.clear()
}

/**
 * `parseCertificate` with a small LRU cache keyed by the DER: the intermediates (and leaves) of the hosts a
 * pool talks to come back on every handshake, and their parsed form, imported key and checked signatures
 * are reused. Errors are not cached.
 */
export function parseCertificateCached(der: Buffer | Uint8Array): ParsedCertificate {
  if (der.byteLength > CACHE_MAX_DER) return parseCertificate(der)
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1')
  let cert = cache.get(key)
  if (cert) {
    cache.delete(key)
  } else {
    cert = parseCertificate(Buffer.from(der))
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!)
  }
  cache.set(key, cert)
  return cert
}
