/**
 * Every key-exchange group a profile offers that a TLS 1.3 server can pick: the server is limited
 * to one group (node:https / OpenSSL `ecdhCurve`), so a group without a key share in the
 * ClientHello goes through a HelloRetryRequest.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Server } from 'node:https'
import { connect } from '../../src/tls/index.js'
import { chrome, firefox } from '../../src/fingerprint/profiles/index.js'
import { generateKeyShares } from '../../src/tls/crypto/key-exchange.js'
import { httpGet, startHttps, testPki, type Started } from '../helpers/servers.js'

const OPENSSL_NAMES: Record<number, { openssl: string; name: string }> = {
  0x001d: { openssl: 'X25519', name: 'x25519' },
  0x0017: { openssl: 'P-256', name: 'secp256r1' },
  0x0018: { openssl: 'P-384', name: 'secp384r1' },
  0x0019: { openssl: 'P-521', name: 'secp521r1' },
  0x0100: { openssl: 'ffdhe2048', name: 'ffdhe2048' },
  0x0101: { openssl: 'ffdhe3072', name: 'ffdhe3072' },
}

let srv: Started<Server> | undefined
afterEach(async () => {
  await srv?.close()
  srv = undefined
})

describe('key-exchange groups each profile offers', () => {
  const pki = testPki()
  for (const spec of [chrome, firefox]) {
    const groups = spec.extensions
      .flatMap((e) => (e.kind === 'supported_groups' ? e.groups : []))
      .filter((g): g is number => typeof g === 'number')
    const shares = spec.extensions.flatMap((e) => (e.kind === 'key_share' ? e.groups : []))
    for (const group of groups) {
      const names = OPENSSL_NAMES[group]
      if (!names) continue // X25519MLKEM768: test/tls/mlkem.test.ts (needs OpenSSL 3.5)
      it(`${spec.name}: ${names.name}${shares.includes(group) ? '' : ' (via HelloRetryRequest)'}`, async () => {
        srv = await startHttps({ ecdhCurve: names.openssl, minVersion: 'TLSv1.3' })
        const socket = await connect({
          host: 'tiles.test',
          ip: '127.0.0.1',
          port: srv.port,
          profile: spec,
          ca: pki.ca.certPem,
          alpn: ['http/1.1'],
        })
        expect(socket.group).toBe(names.name)
        expect(socket.info?.helloRetry).toBe(!shares.includes(group))
        expect((await httpGet(socket, 'tiles.test')).status).toBe(200)
      })
    }
  }

  it('ffdhe shares are left-padded to the prime size and out-of-range server values are refused (RFC 7919 §5.1)', () => {
    const [share] = generateKeyShares([0x0100])
    expect(share!.publicKey.length).toBe(256)
    expect(() => share!.deriveSecret(Buffer.alloc(256))).toThrow(expect.objectContaining({ code: 'ERR_TLS_PROTOCOL' }))
    expect(() => share!.deriveSecret(Buffer.alloc(256, 0xff))).toThrow(
      expect.objectContaining({ code: 'ERR_TLS_PROTOCOL' }),
    )
    expect(() => share!.deriveSecret(Buffer.alloc(100, 1))).toThrow(
      expect.objectContaining({ code: 'ERR_TLS_PROTOCOL' }),
    )
  })
})
