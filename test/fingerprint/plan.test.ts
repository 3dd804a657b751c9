import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../src/errors.js'
import { isGrease } from '../../src/fingerprint/grease.js'
import { planClientHello } from '../../src/fingerprint/plan.js'
import { chrome, firefox, getProfile, profileNames } from '../../src/fingerprint/profiles/index.js'
import type { ClientHelloSpec } from '../../src/fingerprint/spec.js'
import { ByteReader } from '../../src/util/bytes.js'

describe('profiles', () => {
  it('are found by name, and an unknown name lists the known ones', () => {
    expect(profileNames).toContain('chrome-156-windows')
    expect(profileNames.slice(-2)).toEqual(['chrome', 'firefox'])
    expect(getProfile('chrome')).toBe(chrome)
    for (const name of profileNames) expect(getProfile(name)).toBe(name.startsWith('firefox') ? firefox : chrome)
    expect(() => getProfile('safari')).toThrow(InvalidArgumentError)
    expect(() => getProfile('safari')).toThrow(/chrome-156-windows, .*, chrome, firefox/)
  })
})

describe('planClientHello', () => {
  it('resolves Chromium GREASE: cipher first, group = key share group, one per list', () => {
    const plan = planClientHello(chrome)
    expect(plan.cipherSuites[0]).toBe(plan.grease.cipherSuite)
    expect(plan.cipherSuites.slice(1).some(isGrease)).toBe(false)
    const groups = plan.extensions.find((e) => e.kind === 'supported_groups')
    expect(groups?.kind === 'supported_groups' && groups.groups[0]).toBe(plan.greaseKeyShareGroup)
    expect(plan.keyShareGroups).toEqual([0x11ec, 0x001d])
    expect(plan.offered.cipherSuites.some(isGrease)).toBe(false)
    expect(plan.offered.groups).toEqual([0x11ec, 0x001d, 0x0017, 0x0018])
    expect(plan.offered.extensionTypes.has(0x0029)).toBe(true)
    expect(plan.offered.certCompression).toEqual([2])
  })

  it('keeps GREASE first and last and pre_shared_key at the very end; every other extension moves', () => {
    const firstPositions = new Map<string, Set<number>>()
    for (let i = 0; i < 300; i++) {
      const plan = planClientHello(chrome)
      const kinds = plan.extensions.map((e) => (e.kind === 'raw' ? `raw:${e.type}` : e.kind))
      expect(kinds[0]).toBe('grease')
      expect(kinds.at(-2)).toBe('grease')
      expect(kinds.at(-1)).toBe('pre_shared_key')
      kinds.slice(1, -2).forEach((k, pos) => {
        if (!firstPositions.has(k)) firstPositions.set(k, new Set())
        firstPositions.get(k)!.add(pos)
      })
    }
    // 18 shuffled extensions (17 captured + cookie), 300 draws: each should have been seen in many positions.
    expect(firstPositions.size).toBe(18)
    for (const [, positions] of firstPositions) expect(positions.size).toBeGreaterThan(8)
  })

  it('keeps the Firefox order and draws ECH bodies of the captured shape', () => {
    const aeads = new Set<number>()
    for (let i = 0; i < 40; i++) {
      const plan = planClientHello(firefox)
      expect(plan.grease).toBeDefined()
      expect(plan.greaseKeyShareGroup).toBeUndefined()
      expect(plan.keyShareGroups).toEqual([0x11ec, 0x001d, 0x0017])
      expect(plan.extensions.map((e) => e.kind)).toEqual(firefox.extensions.map((e) => e.kind))
      const ech = plan.extensions.find((e) => e.kind === 'ech_grease')
      if (ech?.kind !== 'ech_grease') throw new Error('no ech')
      for (const [body, payload] of [
        [ech.body, 239],
        [ech.pskBody, 527],
      ] as const) {
        const r = new ByteReader(body)
        expect(r.u8()).toBe(0)
        expect(r.u16()).toBe(1)
        aeads.add(r.u16())
        r.u8()
        expect(r.vec(2).length).toBe(32)
        expect(r.vec(2).length).toBe(payload)
        r.expectEmpty()
      }
    }
    expect([...aeads].sort()).toEqual([1, 3])
    expect(planClientHello(firefox).offered.recordSizeLimit).toBe(16385)
  })

  it('is deterministic for a given random source', () => {
    const seeded = () => {
      let state = 1
      return (n: number) => Uint8Array.from({ length: n }, () => (state = (state * 1103515245 + 12345) >>> 0) >>> 24)
    }
    expect(planClientHello(chrome, seeded())).toEqual(planClientHello(chrome, seeded()))
  })

  it('rejects inconsistent specs', () => {
    const dup: ClientHelloSpec = { ...firefox, extensions: [...firefox.extensions, { kind: 'server_name' }] }
    expect(() => planClientHello(dup)).toThrow(/twice/)
    const badShare: ClientHelloSpec = {
      ...firefox,
      extensions: firefox.extensions.map((e) => (e.kind === 'key_share' ? { kind: 'key_share', groups: [0x001e] } : e)),
    }
    expect(() => planClientHello(badShare)).toThrow(/not in supported_groups/)
  })
})
