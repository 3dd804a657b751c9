/** Server CertificateVerify (RFC 8446 §4.4.3): signature over the transcript with the leaf key. */
import { X509Certificate, type KeyObject } from 'node:crypto'
import { AlertDescription, signatureSchemeName } from '../constants.js'
import { TlsProtocolError } from '../errors.js'
import { parseCertificateCached } from '../cert/parse.js'
import { verifySignature } from '../cert/signature.js'
import type { SignatureVerified } from './context.js'

const SERVER_CONTEXT = Buffer.from('TLS 1.3, server CertificateVerify', 'ascii')

/** 64 spaces ‖ context string ‖ 0x00 ‖ transcript hash (RFC 8446 §4.4.3). */
export function certificateVerifyContent(transcriptHash: Uint8Array): Buffer {
  return Buffer.concat([Buffer.alloc(64, 0x20), SERVER_CONTEXT, Buffer.of(0), transcriptHash])
}

/**
 * The key of the server certificate `der`: from the parsed-certificate cache (the chain check has
 * parsed it already, and its key is imported as JWK), else OpenSSL's X509Certificate. On Node 20
 * here `new X509Certificate(der).publicKey` costs ~360 µs of CPU for an ECDSA P-256 leaf, a cached
 * parse a few µs.
 */
export function serverPublicKey(der: Uint8Array): KeyObject | X509Certificate {
  try {
    return parseCertificateCached(der).publicKey
  } catch {
    // A certificate our parser refuses (possible when the chain is not verified): as OpenSSL reads it.
    return new X509Certificate(der)
  }
}

/**
 * Returns the proof the Finished state requires.
 * @throws TlsProtocolError (decrypt_error) when the signature does not verify, or
 *   TlsUnsupportedError when this Node cannot verify the scheme (e.g. ML-DSA before 24.7).
 */
export function verifyCertificateVerify(
  leaf: KeyObject | X509Certificate,
  scheme: number,
  transcriptHash: Uint8Array,
  signature: Uint8Array,
): SignatureVerified {
  // RFC 8446 §4.4.3: RSASSA-PKCS1-v1_5 and SHA-1 schemes are not allowed in TLS 1.3 CertificateVerify.
  if ((scheme & 0xff) === 0x01 || (scheme & 0xff00) === 0x0200) {
    throw new TlsProtocolError(
      'forbidden_certificate_verify_scheme',
      `CertificateVerify uses ${signatureSchemeName(scheme)}, forbidden in TLS 1.3 (RFC 8446 §4.4.3)`,
      AlertDescription.illegal_parameter,
    )
  }
  const ok = verifySignature(scheme, leaf, certificateVerifyContent(transcriptHash), signature)
  if (!ok) {
    throw new TlsProtocolError(
      'bad_certificate_verify_signature',
      `CertificateVerify signature (${signatureSchemeName(scheme)}) does not verify with the server certificate's key (RFC 8446 §4.4.3 decrypt_error)`,
      AlertDescription.decrypt_error,
    )
  }
  return { scheme } as SignatureVerified
}
