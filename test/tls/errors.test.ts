/**
 * The one alert decision (alertFor) and the tls error boundary (asTlsError): every error that ends a
 * connection maps to the RFC 8446 §6.2 alert it sends, or to none.
 */
import { describe, expect, it } from 'vitest'
import * as hotconn from '../../src/index.js'
import { AbortError, ConnectError, HotConnError } from '../../src/errors.js'
import { TlsCertificateError } from '../../src/tls/cert/errors.js'
import { AlertDescription } from '../../src/tls/constants.js'
import {
  TlsAlertError,
  TlsBadRecordMacError,
  TlsClosedError,
  TlsDecodeError,
  TlsError,
  TlsHandshakeTimeoutError,
  TlsIncompatibleError,
  TlsInternalError,
  TlsProtocolError,
  TlsRecordOverflowError,
  TlsTruncatedError,
  alertFor,
  asTlsError,
} from '../../src/tls/errors.js'
import { DecodeError } from '../../src/util/bytes.js'

describe('alertFor: the one error -> alert decision', () => {
  const cases: Array<[string, unknown, number | undefined]> = [
    ['protocol error', new TlsProtocolError('hrr_changes_nothing', 'x'), AlertDescription.illegal_parameter],
    [
      'protocol error with its own alert',
      new TlsProtocolError('bad_finished', 'x', AlertDescription.decrypt_error),
      AlertDescription.decrypt_error,
    ],
    ['incompatible peer', new TlsIncompatibleError('version_too_old', 'x'), AlertDescription.handshake_failure],
    ['decode error', new TlsDecodeError('x'), AlertDescription.decode_error],
    ['codec DecodeError', new DecodeError('x'), AlertDescription.decode_error],
    ['bad record mac', new TlsBadRecordMacError(), AlertDescription.bad_record_mac],
    ['record overflow', new TlsRecordOverflowError('x'), AlertDescription.record_overflow],
    ['expired certificate', new TlsCertificateError('expired', 'x'), AlertDescription.certificate_expired],
    ['untrusted certificate', new TlsCertificateError('untrusted', 'x'), AlertDescription.unknown_ca],
    ['internal error', new TlsInternalError(new TypeError('x')), AlertDescription.internal_error],
    ['alert from the peer', new TlsAlertError(AlertDescription.handshake_failure), undefined],
    ['truncation', new TlsTruncatedError(), undefined],
    ['handshake timeout', new TlsHandshakeTimeoutError(10), undefined],
    ['closed', new TlsClosedError(), undefined],
    ['caller abort', new AbortError('x'), undefined],
    ['transport failure', new ConnectError('x'), undefined],
    ["the caller's own Error", new Error('x'), undefined],
  ]
  for (const [name, err, alert] of cases) {
    it(`${name} -> ${alert ?? 'no alert'}`, () => {
      expect(alertFor(err)).toBe(alert)
    })
  }
})

describe('asTlsError: the tls boundary', () => {
  it('a codec DecodeError becomes a TlsDecodeError (rule malformed_message) with the original as cause', () => {
    const cause = new DecodeError('ServerHello: 3 bytes left, 32 needed for random')
    const err = asTlsError(cause)
    expect(err).toBeInstanceOf(TlsDecodeError)
    expect(err).toMatchObject({ code: 'ERR_TLS_DECODE', rule: 'malformed_message', cause })
  })

  it('hotconn errors pass through; anything else becomes a TlsInternalError (internal_error)', () => {
    const tls = new TlsProtocolError('selected_unoffered_cipher_suite', 'x')
    expect(asTlsError(tls)).toBe(tls)
    const abort = new AbortError('x')
    expect(asTlsError(abort)).toBe(abort)
    const bug = new TypeError('cannot read properties of undefined')
    expect(asTlsError(bug)).toMatchObject({ code: 'ERR_TLS_INTERNAL', rule: 'internal_error', cause: bug })
    expect(asTlsError('a string')).toBeInstanceOf(TlsInternalError)
  })
})

describe('error classes', () => {
  it('TlsCertificateError is a TlsError whose rule is its reason', () => {
    const err = new TlsCertificateError('hostname_mismatch', 'x', 'CN=tiles.test')
    expect(err).toBeInstanceOf(TlsError)
    expect(err).toBeInstanceOf(HotConnError)
    expect(err).toMatchObject({
      code: 'ERR_TLS_BAD_CERTIFICATE',
      rule: 'hostname_mismatch',
      reason: 'hostname_mismatch',
    })
  })

  it('every TlsError has a snake_case rule', () => {
    for (const err of [
      new TlsProtocolError('selected_unoffered_cipher_suite', 'x'),
      new TlsBadRecordMacError(),
      new TlsAlertError(40),
      new TlsTruncatedError(),
      new TlsHandshakeTimeoutError(1),
    ]) {
      expect(err.rule).toMatch(/^[a-z0-9]+(_[a-z0-9]+)*$/)
    }
  })

  it('the package exports the HTTP request errors (an HTTP/2 stream reset is a SocketError with h2Code) and the TLS error classes', () => {
    expect(hotconn.SocketError).toBeTypeOf('function')
    expect(hotconn.HeadersTimeoutError).toBeTypeOf('function')
    expect(hotconn.TlsCertificateError).toBe(TlsCertificateError)
    expect(hotconn.TlsProtocolError).toBe(TlsProtocolError)
  })
})

describe('rules in the source', () => {
  it('every protocol, incompatibility and unsupported error names a snake_case rule', async () => {
    const { readdir, readFile } = await import('node:fs/promises')
    const files = (await readdir('src/tls', { recursive: true })).filter((f) => f.endsWith('.ts'))
    const rules = new Set<string>()
    for (const f of files) {
      const text = await readFile(`src/tls/${f}`, 'utf8')
      for (const m of text.matchAll(/new Tls(?:Protocol|Incompatible|Unsupported)Error\(\s*([^,]*),/g)) {
        expect(m[1], `src/tls/${f}`).toMatch(/^'[a-z0-9]+(_[a-z0-9]+)*'$|^rule$/)
        rules.add(m[1]!)
      }
    }
    expect(rules.size).toBeGreaterThan(80)
    for (const rule of ["'selected_unoffered_cipher_suite'", "'hrr_changes_nothing'", "'downgrade_sentinel'"])
      expect(rules).toContain(rule)
  })
})
