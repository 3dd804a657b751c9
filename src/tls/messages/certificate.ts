/** Certificate (RFC 8446 §4.4.2), CompressedCertificate (RFC 8879) and CertificateRequest (§4.3.2). */
import { brotliDecompressSync, inflateSync } from 'node:zlib'
import * as zlib from 'node:zlib'
import { ByteReader } from '../../util/bytes.js'
import { AlertDescription } from '../constants.js'
import { TlsProtocolError, TlsUnsupportedError } from '../errors.js'
import { readExtensions } from './extensions.js'

export interface CertificateMessage {
  readonly context: Buffer
  /** DER certificates, end-entity first. */
  readonly chain: Buffer[]
}

/** Upper bound on a (decompressed) Certificate message, bytes. Real chains are a few KiB. */
export const MAX_CERTIFICATE_MESSAGE = 256 * 1024

export function decodeCertificate(body: Uint8Array): CertificateMessage {
  const r = new ByteReader(body, 0, body.length, 'Certificate')
  const context = r.vec(1, 'certificate_request_context')
  const list = r.sub(3, 'certificate_list')
  const chain: Buffer[] = []
  while (list.remaining) {
    const der = list.vec(3, 'cert_data')
    if (der.length === 0)
      throw new TlsProtocolError(
        'empty_certificate_entry',
        'Certificate entry is empty (RFC 8446 §4.4.2)',
        AlertDescription.decode_error,
      )
    readExtensions(list, 'CertificateEntry')
    chain.push(der)
  }
  r.expectEmpty()
  return { context, chain }
}

/** CertificateCompressionAlgorithm (RFC 8879 §7.3). */
export const CertCompression = { zlib: 1, brotli: 2, zstd: 3 } as const

type ZstdDecompress = (buf: Uint8Array, opts?: { maxOutputLength?: number }) => Buffer
const zstdDecompressSync = (zlib as unknown as { zstdDecompressSync?: ZstdDecompress }).zstdDecompressSync

/** Compression algorithms this Node.js can decompress. */
export const SUPPORTED_CERT_COMPRESSION: ReadonlySet<number> = new Set([
  CertCompression.zlib,
  CertCompression.brotli,
  ...(zstdDecompressSync ? [CertCompression.zstd] : []),
])

/**
 * Decodes a CompressedCertificate into the Certificate body it carries.
 * @throws TlsProtocolError when the algorithm was not offered, the length lies or exceeds the cap (bad_certificate, RFC 8879 §4).
 */
export function decompressCertificate(body: Uint8Array, offered: readonly number[]): Buffer {
  const r = new ByteReader(body, 0, body.length, 'CompressedCertificate')
  const algorithm = r.u16('algorithm')
  const uncompressedLength = r.u24('uncompressed_length')
  const data = r.vec(3, 'compressed_certificate_message')
  r.expectEmpty()
  if (!offered.includes(algorithm)) {
    throw new TlsProtocolError(
      'unoffered_certificate_compression',
      `CompressedCertificate uses algorithm ${algorithm}, which the ClientHello did not offer (RFC 8879 §4)`,
      AlertDescription.illegal_parameter,
    )
  }
  if (uncompressedLength > MAX_CERTIFICATE_MESSAGE) {
    throw new TlsProtocolError(
      'compressed_certificate_too_large',
      `CompressedCertificate claims ${uncompressedLength} bytes, over the ${MAX_CERTIFICATE_MESSAGE}-byte limit`,
      AlertDescription.bad_certificate,
    )
  }
  const opts = { maxOutputLength: uncompressedLength + 1 }
  let out: Buffer
  try {
    if (algorithm === CertCompression.zlib) out = inflateSync(data, opts)
    else if (algorithm === CertCompression.brotli) out = brotliDecompressSync(data, opts)
    else if (algorithm === CertCompression.zstd && zstdDecompressSync) out = zstdDecompressSync(data, opts)
    else
      throw new TlsUnsupportedError(
        'certificate_compression_unavailable',
        `certificate compression algorithm ${algorithm} is not available in this Node.js`,
      )
  } catch (err) {
    if (err instanceof TlsUnsupportedError) throw err
    throw new TlsProtocolError(
      'certificate_does_not_decompress',
      'CompressedCertificate does not decompress (RFC 8879 §4 bad_certificate)',
      AlertDescription.bad_certificate,
      { cause: err },
    )
  }
  if (out.length !== uncompressedLength) {
    throw new TlsProtocolError(
      'decompressed_length_mismatch',
      `CompressedCertificate decompressed to ${out.length} bytes, not the ${uncompressedLength} announced (RFC 8879 §4)`,
      AlertDescription.bad_certificate,
    )
  }
  return out
}

export interface CertificateRequest {
  readonly context: Buffer
}

export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  const r = new ByteReader(body, 0, body.length, 'CertificateRequest')
  const context = r.vec(1, 'certificate_request_context')
  readExtensions(r, 'CertificateRequest')
  r.expectEmpty()
  return { context }
}
