/**
 * The only place a `VerifiedChain` is made: after the connection's chain verifier accepted the
 * server's chain for the host (RFC 5280 path validation, RFC 6125 identity), or when the caller
 * turned verification off (`insecure`, which warns once in connect.ts).
 */
import { sharedCertificateDer } from '../cert/parse.js'
import type { ClientHandshakeOptions, VerifiedChain } from './context.js'

/**
 * Verifies `chain` (end-entity first) for `options.host`; returns DER the connection may keep, not
 * the views into the decrypted handshake flight (they would keep it alive): the certificate cache's
 * copies when the verifier parsed them there (one buffer for every connection to the host), else
 * own copies. A promise only while an async verifier runs.
 * @throws TlsCertificateError from the verifier.
 */
export function verifyServerChain(
  options: ClientHandshakeOptions,
  chain: readonly [Buffer, ...Buffer[]],
): VerifiedChain | Promise<VerifiedChain> {
  const verify = options.verifyChain
  const pending = verify ? verify(chain, options.host) : undefined
  const proven = (): VerifiedChain => {
    const [leaf, ...issuers] = chain
    return [sharedCertificateDer(leaf), ...issuers.map(sharedCertificateDer)] as const as unknown as VerifiedChain
  }
  return pending ? pending.then(proven) : proven()
}
