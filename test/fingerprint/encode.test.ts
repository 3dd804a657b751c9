import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../src/errors.js'
import { encodeClientHello } from '../../src/fingerprint/encode.js'
import { isGrease } from '../../src/fingerprint/grease.js'
import { fingerprintClientHello } from '../../src/fingerprint/ja.js'
import { parseClientHello } from '../../src/fingerprint/parse.js'
import { planClientHello } from '../../src/fingerprint/plan.js'
import { chrome, firefox } from '../../src/fingerprint/profiles/index.js'
import { helloFor } from './helpers.js'

describe('encodeClientHello', () => {
  it('writes the inputs where RFC 8446 §4.1.2 puts them', () => {
    const { inputs, encoded } = helloFor(firefox)
    const h = parseClientHello(encoded.message)
    expect(encoded.message[0]).toBe(1)
    expect(encoded.message.readUIntBE(1, 3)).toBe(encoded.message.length - 4)
    expect(h.random.equals(inputs.random)).toBe(true)
    expect(h.sessionId.equals(inputs.sessionId)).toBe(true)
    expect(h.serverName).toBe('tiles.test')
    expect(h.keyShares!.map((k) => Buffer.from(k.keyExchange))).toEqual(
      inputs.keyShares.map((k) => Buffer.from(k.keyExchange)),
    )
    expect(encoded.bindersOffset).toBeUndefined()
    expect(h.extensions.some((e) => e.type === 0x0029 || e.type === 0x002c)).toBe(false)
  })

  it('leaves server_name out without an SNI', () => {
    const { encoded } = helloFor(chrome, { serverName: undefined })
    const h = parseClientHello(encoded.message)
    expect(h.serverName).toBeUndefined()
    expect(fingerprintClientHello(h).ja4.startsWith('t13i1516h2_')).toBe(true)
  })

  it('a retry after HelloRetryRequest drops only the GREASE key share and adds the cookie', () => {
    const plan = planClientHello(chrome)
    const first = helloFor(chrome, {}, plan)
    const retry = helloFor(
      chrome,
      {
        random: first.inputs.random,
        sessionId: first.inputs.sessionId,
        retry: true,
        cookie: Buffer.from('cookie-from-hrr'),
        keyShares: [{ group: 0x0017, keyExchange: randomBytes(65) }],
      },
      plan,
    )
    const a = parseClientHello(first.encoded.message)
    const b = parseClientHello(retry.encoded.message)
    expect(b.keyShares!.map((k) => k.group)).toEqual([0x0017])
    expect(b.keyShares!.some((k) => isGrease(k.group))).toBe(false)
    const cookie = b.extensions.find((e) => e.type === 0x002c)
    expect(cookie?.body.toString('hex')).toBe('000f' + Buffer.from('cookie-from-hrr').toString('hex'))
    const typesA = a.extensions.map((e) => e.type)
    const typesB = b.extensions.map((e) => e.type)
    expect(typesB.filter((t) => t !== 0x002c)).toEqual(typesA)
    for (const e of a.extensions) {
      if (e.type === 0x0033) continue
      expect(b.extensions.find((x) => x.type === e.type)!.body.equals(e.body)).toBe(true) // incl. GREASE ECH
    }
    expect(b.cipherSuites).toEqual(a.cipherSuites)
  })

  it('replaces ALPN and drops ALPS protocols no longer offered', () => {
    const { encoded } = helloFor(chrome, { alpn: ['http/1.1'] })
    const h = parseClientHello(encoded.message)
    expect(h.alpn).toEqual(['http/1.1'])
    expect(h.extensions.some((e) => e.type === 0x44cd)).toBe(false)
    expect(fingerprintClientHello(h).ja4.slice(0, 10)).toBe('t13d1516h1')
    const h2 = parseClientHello(helloFor(chrome, { alpn: ['h2'] }).encoded.message)
    expect(h2.extensions.find((e) => e.type === 0x44cd)!.body.toString('hex')).toBe('0003026832')
  })

  it('writes a session ticket, and a PSK with zero binders at bindersOffset', () => {
    const ticket = randomBytes(100)
    const psk = { identities: [{ identity: randomBytes(64), obfuscatedTicketAge: 0xdeadbeef }], binderLengths: [32] }
    const { encoded } = helloFor(chrome, { sessionTicket: ticket, psk })
    const h = parseClientHello(encoded.message)
    expect(h.extensions.find((e) => e.type === 0x0023)!.body.equals(ticket)).toBe(true)
    const pskExt = h.extensions.at(-1)!
    expect(pskExt.type).toBe(0x0029)
    expect(pskExt.body.readUInt16BE(0)).toBe(2 + 64 + 4)
    expect(pskExt.body.readUInt32BE(2 + 2 + 64)).toBe(0xdeadbeef)
    const off = encoded.bindersOffset!
    expect(encoded.message.subarray(off).toString('hex')).toBe('0021' + '20' + '00'.repeat(32))
  })

  it('validates its inputs', () => {
    const plan = planClientHello(firefox)
    const base = helloFor(firefox, {}, plan).inputs
    const bad = (patch: object) => () => encodeClientHello(plan, { ...base, ...patch })
    expect(bad({ random: randomBytes(31) })).toThrow(InvalidArgumentError)
    expect(bad({ sessionId: randomBytes(0) })).toThrow(InvalidArgumentError)
    expect(bad({ keyShares: [{ group: 0x001e, keyExchange: randomBytes(56) }] })).toThrow(/not offered/)
    expect(bad({ serverName: 'bad host' })).toThrow(InvalidArgumentError)
    expect(
      bad({ psk: { identities: [{ identity: randomBytes(8), obfuscatedTicketAge: 0 }], binderLengths: [] } }),
    ).toThrow(InvalidArgumentError)
    const noPsk = planClientHello({
      ...firefox,
      extensions: firefox.extensions.filter((e) => e.kind !== 'pre_shared_key'),
    })
    expect(() =>
      encodeClientHello(noPsk, {
        ...base,
        psk: { identities: [{ identity: randomBytes(8), obfuscatedTicketAge: 0 }], binderLengths: [32] },
      }),
    ).toThrow(/resumption/)
  })
})
