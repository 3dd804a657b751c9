import { expect } from 'vitest'
import { HotConnError } from '../../../src/errors.js'
import { TlsCertificateError, type CertificateFailureReason } from '../../../src/tls/cert/errors.js'
import { verifyServerCertificateChain } from '../../../src/tls/cert/verify.js'
import type { TestCertificate, TestLeaf } from '../../../src/testing/pki.js'

/** The error `fn` throws, checked to be a TlsCertificateError with `reason` (and `messagePart` in its message). */
export function expectReason(fn: () => unknown, reason: CertificateFailureReason, messagePart?: string | RegExp) {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(TlsCertificateError)
  const err = caught as TlsCertificateError
  expect(err).toBeInstanceOf(HotConnError)
  expect(err.code).toBe('ERR_TLS_BAD_CERTIFICATE')
  expect({ reason: err.reason, message: err.message }).toMatchObject({ reason })
  if (messagePart !== undefined) expect(err.message).toMatch(messagePart)
  return err
}

/** Verifies `leaf`'s chain for `host` against `root`. */
export function verify(leaf: TestLeaf, root: TestCertificate, host = 'www.example.test') {
  return verifyServerCertificateChain(leaf.chainDer, { host, ca: root.certPem })
}
