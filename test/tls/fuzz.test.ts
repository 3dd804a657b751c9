/**
 * Hostile bytes never crash the client: random record streams, and valid ServerHellos (TLS 1.3
 * and TLS 1.2) with a few bytes flipped, are fed to a fresh TlsClientConnection. Every outcome
 * must be either progress or one typed HotConnError reported through `events.error` — never an
 * exception out of `receive()`, never a TypeError or RangeError. Seeded, so a failure reproduces.
 */
import { describe, expect, it } from 'vitest'
import { HotConnError } from '../../src/errors.js'
import { parseClientHello } from '../../src/fingerprint/parse.js'
import { planClientHello } from '../../src/fingerprint/plan.js'
import { chrome } from '../../src/fingerprint/profiles/index.js'
import type { ClientHelloSpec } from '../../src/fingerprint/spec.js'
import { TlsClientConnection } from '../../src/tls/connection.js'
import { generateKeyShares } from '../../src/tls/crypto/key-exchange.js'
import { ByteWriter } from '../../src/util/bytes.js'
import { prng } from '../helpers/prng.js'

// Chrome's hello with an x25519 share only, so that thousands of connections stay cheap.
const spec: ClientHelloSpec = {
  ...chrome,
  extensions: chrome.extensions.map((e) => (e.kind === 'key_share' ? { ...e, groups: ['GREASE', 0x001d] } : e)),
}

interface Outcome {
  errors: Error[]
  sessionId: Buffer
}

function feed(bytes: (sessionId: Buffer) => Buffer): Outcome {
  const errors: Error[] = []
  let sessionId = Buffer.alloc(0)
  const conn = new TlsClientConnection(
    {
      plan: planClientHello(spec),
      serverName: 'tiles.test',
      host: 'tiles.test',
      verifyChain: undefined,
      alpn: ['http/1.1'],
    },
    {
      transmit: (b) => {
        if (sessionId.length === 0 && b[0] === 22) sessionId = Buffer.from(parseClientHello(b).sessionId)
        return true
      },
      handshakeDone: () => {},
      data: () => {},
      peerClosed: () => {},
      error: (e) => errors.push(e),
    },
  )
  conn.start()
  conn.receive(bytes(sessionId))
  return { errors, sessionId }
}

function record(type: number, body: Uint8Array): Buffer {
  return new ByteWriter(body.length + 5).u8(type).u16(0x0303).vecBytes(2, body).finish()
}

function serverHello13(sessionId: Buffer): Buffer {
  const [share] = generateKeyShares([0x001d])
  const body = new ByteWriter(200).u16(0x0303).bytes(Buffer.alloc(32, 7)).vecBytes(1, sessionId).u16(0x1301).u8(0)
  body.vec(2, (w) => {
    w.u16(43).vecBytes(2, Buffer.of(3, 4))
    w.u16(51).vec(2, (k) => k.u16(0x001d).vecBytes(2, share!.publicKey))
  })
  const msg = new ByteWriter(256).u8(2).vecBytes(3, body.finish()).finish()
  return record(22, msg)
}

function serverHello12(sessionId: Buffer): Buffer {
  const body = new ByteWriter(200).u16(0x0303).bytes(Buffer.alloc(32, 9)).vecBytes(1, sessionId).u16(0xc02b).u8(0)
  body.vec(2, (w) => {
    w.u16(0xff01).vecBytes(2, Buffer.of(0))
    w.u16(23).vecBytes(2, Buffer.alloc(0))
    w.u16(11).vecBytes(2, Buffer.of(1, 0))
  })
  const msg = new ByteWriter(256).u8(2).vecBytes(3, body.finish()).finish()
  return record(22, msg)
}

function mutate(b: Buffer, rnd: () => number): Buffer {
  const out = Buffer.from(b)
  const flips = 1 + Math.floor(rnd() * 3)
  for (let i = 0; i < flips; i++) out[Math.floor(rnd() * out.length)] = Math.floor(rnd() * 256)
  if (rnd() < 0.2) return out.subarray(0, Math.floor(rnd() * out.length))
  if (rnd() < 0.2)
    return Buffer.concat([
      out,
      Buffer.from(Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256))),
    ])
  return out
}

function expectOnlyTypedErrors(o: Outcome, what: string): void {
  expect(o.errors.length, what).toBeLessThanOrEqual(1)
  for (const e of o.errors) {
    if (!(e instanceof HotConnError)) throw new Error(`${what}: untyped ${e.name}: ${e.message}`)
    expect(e.code, what).toMatch(/^ERR_/)
  }
}

describe('hostile bytes', () => {
  it('valid ServerHellos are accepted as progress (the fixtures are right)', () => {
    expect(feed(serverHello13).errors).toEqual([])
    expect(feed(serverHello12).errors).toEqual([])
  })

  it('random record streams: 2,000 inputs, typed errors only', () => {
    const rnd = prng(0x5eed)
    for (let i = 0; i < 2000; i++) {
      const input = (): Buffer => {
        const parts: Buffer[] = []
        const records = 1 + Math.floor(rnd() * 3)
        for (let r = 0; r < records; r++) {
          const len = Math.floor(rnd() * (rnd() < 0.1 ? 20000 : 300))
          const type = rnd() < 0.8 ? 20 + Math.floor(rnd() * 4) : Math.floor(rnd() * 256)
          const body = Buffer.from(Array.from({ length: Math.min(len, 2000) }, () => Math.floor(rnd() * 256)))
          parts.push(Buffer.of(type, 3, rnd() < 0.9 ? 3 : Math.floor(rnd() * 256), len >> 8, len & 0xff), body)
        }
        return Buffer.concat(parts)
      }
      const bytes = input()
      expectOnlyTypedErrors(
        feed(() => bytes),
        `random input #${i}`,
      )
    }
  })

  for (const [name, build, seed] of [
    ['TLS 1.3 ServerHello', serverHello13, 13],
    ['TLS 1.2 ServerHello', serverHello12, 12],
  ] as const) {
    it(`${name} with bytes flipped, cut or extended: 1,500 inputs, typed errors only`, () => {
      const rnd = prng(seed)
      let errored = 0
      for (let i = 0; i < 1500; i++) {
        const o = feed((sid) => mutate(build(sid), rnd))
        expectOnlyTypedErrors(o, `${name} mutation #${i}`)
        errored += o.errors.length
      }
      // Most mutations break a rule; the test must actually exercise the error paths.
      expect(errored).toBeGreaterThan(500)
    })
  }
})
