/**
 * Finite-field Diffie-Hellman groups ffdhe2048 and ffdhe3072 (RFC 7919 Appendix A.1, A.2), used
 * as TLS 1.3 key_share groups 0x0100 / 0x0101 (RFC 8446 §4.2.8.1). Arithmetic by node:crypto.
 */
import { createDiffieHellman } from 'node:crypto'
import { AlertDescription, NamedGroup, groupName } from '../constants.js'
import { TlsProtocolError } from '../errors.js'
import type { KeyShare } from './key-share.js'

/** RFC 7919 Appendix A.1. */
const FFDHE2048_P =
  'FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF9' +
  '7D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935' +
  '984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FB' +
  'B96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61' +
  '9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA' +
  '886B423861285C97FFFFFFFFFFFFFFFF'

/** RFC 7919 Appendix A.2. */
const FFDHE3072_P =
  'FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF9' +
  '7D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935' +
  '984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FB' +
  'B96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61' +
  '9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA' +
  '886B4238611FCFDCDE355B3B6519035BBC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C' +
  'AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF5CAE82AB9C9DF69EE86D2BC522363A0D' +
  'ABC521979B0DEADA1DBF9A42D5C4484E0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF' +
  ''

const PRIMES: Record<number, Buffer> = {
  [NamedGroup.ffdhe2048]: Buffer.from(FFDHE2048_P, 'hex'),
  [NamedGroup.ffdhe3072]: Buffer.from(FFDHE3072_P, 'hex'),
}

export function isFfdheGroup(group: number): boolean {
  return PRIMES[group] !== undefined
}

function leftPad(b: Buffer, size: number): Buffer {
  if (b.length === size) return b
  const out = Buffer.alloc(size)
  b.copy(out, size - b.length)
  return out
}

/** A client share: g^x mod p, left-padded to the size of p (RFC 8446 §4.2.8.1). */
export function ffdheShare(group: number): KeyShare {
  const p = PRIMES[group]!
  const dh = createDiffieHellman(p, 2)
  dh.generateKeys()
  const name = groupName(group)
  return {
    group,
    publicKey: leftPad(dh.getPublicKey(), p.length),
    deriveSecret(peer) {
      if (peer.length !== p.length) {
        throw new TlsProtocolError(
          'bad_key_share_length',
          `${name}: server share of ${peer.length} bytes, expected ${p.length} (RFC 8446 §4.2.8.1)`,
          AlertDescription.illegal_parameter,
        )
      }
      // RFC 7919 §5.1: 1 < Y < p - 1.
      const y = BigInt(`0x${Buffer.from(peer).toString('hex')}`)
      const pn = BigInt(`0x${p.toString('hex')}`)
      if (y <= 1n || y >= pn - 1n) {
        throw new TlsProtocolError(
          'key_share_out_of_range',
          `${name}: server share is out of range (RFC 7919 §5.1)`,
          AlertDescription.illegal_parameter,
        )
      }
      return leftPad(dh.computeSecret(peer), p.length)
    },
  }
}
