/** Egress inputs, proxy URLs, rotation policies and local address prefixes (no network). */
import { isIP } from 'node:net'
import { describe, expect, it } from 'vitest'
import { parseProxyUrl, resolveConfig } from '../../src/config/index.js'
import {
  DIRECT,
  drawFromPrefix,
  EgressSet,
  poolEgressOf,
  redact,
  SourceAddresses,
  toEgress,
  type Egress,
} from '../../src/egress/index.js'
import { ConfigError, InvalidArgumentError } from '../../src/errors.js'

const defaults = { resolve: 'local' as const, connectHeaders: [] }

describe('proxy URLs', () => {
  it('parse every scheme with its default port and percent-decoded credentials', () => {
    expect(parseProxyUrl('http://u%40x:p%3Aw@proxy.test')).toEqual({
      scheme: 'http',
      host: 'proxy.test',
      port: 80,
      username: 'u@x',
      password: 'p:w',
      display: 'http://u%40x@proxy.test:80',
    })
    expect(parseProxyUrl('https://10.0.0.5')).toMatchObject({ scheme: 'https', port: 443 })
    expect(parseProxyUrl('socks5://[::1]')).toMatchObject({ scheme: 'socks5', host: '::1', port: 1080 })
    expect(parseProxyUrl('SOCKS5H://127.0.0.1:9050')).toMatchObject({ scheme: 'socks5h', port: 9050 })
  })

  it('refuse what hotconn cannot speak, saying what to write', () => {
    expect(parseProxyUrl('127.0.0.1:3128')).toMatch(/no scheme/)
    expect(parseProxyUrl('socks4://127.0.0.1:1080')).toMatch(/"socks4", which hotconn does not speak/)
    expect(parseProxyUrl('http://127.0.0.1:3128/path')).toMatch(/path/)
    expect(parseProxyUrl('http://:pw@127.0.0.1:3128')).toMatch(/no user name/)
    expect(parseProxyUrl('socks5://user@127.0.0.1')).toMatch(/without a password/)
    expect(parseProxyUrl(`socks5://${'u'.repeat(256)}:p@127.0.0.1`)).toMatch(/255 bytes/)
    expect(parseProxyUrl('http://a%zz:b@127.0.0.1')).toMatch(/percent-encoding/)
  })

  it('are config keys: [egress] proxies is checked at load, a bad URL names the key', () => {
    const c = resolveConfig({ egress: { proxies: ['http://127.0.0.1:3128', 'socks5h://127.0.0.1:1080'] } })
    expect(c.egress.proxies).toEqual(['http://127.0.0.1:3128', 'socks5h://127.0.0.1:1080'])
    expect(() => resolveConfig({ egress: { proxies: ['ftp://x'] } })).toThrow(ConfigError)
    expect(() => resolveConfig({ egress: { proxies: ['ftp://x'] } })).toThrow(/egress\.proxies\[0\]/)
    expect(() => resolveConfig({ egress: { proxies: ['http://a:1', 'http://a:1'] } })).toThrow(/repeats/)
    expect(() => resolveConfig({ egress: { localAddresses: ['10.0.0.300'] } })).toThrow(/local_addresses\[0\]/)
    expect(() => resolveConfig({ egress: { localPrefix: '2001:db8::/127' } })).toThrow(/2 host bits/)
    expect(() => resolveConfig({ egress: { connectHeaders: ['Host: x'] } })).toThrow(/writes itself/)
    expect(() => resolveConfig({ egress: { connectHeaders: ['X-A: b\r\nX-B: c'] } })).toThrow()
  })
})

describe('egresses', () => {
  it('are named by what the target sees, never by a password', () => {
    expect(toEgress('direct', defaults)).toBe(DIRECT)
    expect(toEgress({ localAddress: '127.0.0.10' }, defaults).id).toBe('direct from 127.0.0.10')
    const e = toEgress('http://user:secret@127.0.0.1:3128', defaults)
    expect(e.id).toBe('http://user@127.0.0.1:3128')
    expect(JSON.stringify(e.id)).not.toContain('secret')
    expect(toEgress({ proxy: 'http://127.0.0.1:3128', resolve: 'proxy' }, defaults).id).toBe(
      'http://127.0.0.1:3128 by name',
    )
    expect(toEgress('socks5h://127.0.0.1:1080', defaults)).toMatchObject({ resolve: 'proxy' })
    expect(toEgress('socks5://127.0.0.1:1080', { ...defaults, resolve: 'proxy' })).toMatchObject({ resolve: 'local' })
    const h = toEgress({ proxy: 'http://127.0.0.1:3128', connectHeaders: { 'X-Session': '7' } }, defaults)
    expect(h.connectHeaders).toEqual([['X-Session', '7']])
    expect(h.id).toBe('http://127.0.0.1:3128 [X-Session: 7]')
  })

  it('refuse contradictions and bad values up front', () => {
    expect(() => toEgress({ proxy: 'socks5://127.0.0.1:1080', resolve: 'proxy' }, defaults)).toThrow(/socks5h:\/\//)
    expect(() => toEgress({ localAddress: 'localhost' }, defaults)).toThrow(InvalidArgumentError)
    expect(() => toEgress('http://user:secret@[::1', defaults)).toThrow(/:\*\*\*@/)
    expect(() => toEgress({ proxy: 'http://a:1', port: 3 } as never, defaults)).toThrow(/unknown option "port"/)
    expect(redact('http://user:secret@host:1')).toBe('http://user:***@host:1')
  })

  it('come from [egress]: one per proxy, else one per local address, else direct', () => {
    const of = (egress: object): readonly Egress[] => poolEgressOf(resolveConfig({ egress }).egress).set.egresses
    expect(of({}).map((e) => e.id)).toEqual(['direct'])
    expect(of({ localAddresses: ['127.0.0.10', '127.0.0.11'] }).map((e) => e.id)).toEqual([
      'direct from 127.0.0.10',
      'direct from 127.0.0.11',
    ])
    const both = poolEgressOf(
      resolveConfig({ egress: { proxies: ['http://127.0.0.1:3128'], localAddresses: ['127.0.0.10', '127.0.0.11'] } })
        .egress,
    )
    expect(both.set.egresses.map((e) => e.id)).toEqual(['http://127.0.0.1:3128'])
    expect([both.sources.next('127.0.0.1'), both.sources.next('127.0.0.1'), both.sources.next('::1')]).toEqual([
      '127.0.0.10',
      '127.0.0.11',
      undefined,
    ])
  })
})

describe('rotation', () => {
  const egresses = ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3'].map((u) => toEgress(u, defaults))
  const ids = (list: (Egress | null)[]): string[] => list.map((e) => e?.id.slice(-1) ?? '-')

  it('round-robin takes every egress in turn, whatever the host, and skips the unusable ones', () => {
    const set = new EgressSet(egresses, { rotation: 'round-robin', stickyTtlMs: 1000 })
    expect(ids(Array.from({ length: 6 }, (_, i) => set.pick(`h${i}`)))).toEqual(['1', '2', '3', '1', '2', '3'])
    const notTwo = (e: Egress): boolean => !e.id.endsWith(':2')
    expect(ids([set.pick('h', notTwo), set.pick('h', notTwo), set.pick('h', notTwo)])).toEqual(['1', '3', '1'])
    expect(set.pick('h', () => false)).toBeNull()
  })

  it('random draws uniformly among the usable ones', () => {
    const draws = [2, 0, 1, 1]
    const set = new EgressSet(egresses, { rotation: 'random', stickyTtlMs: 1000, randomInt: () => draws.shift()! })
    expect(ids([set.pick('h'), set.pick('h'), set.pick('h')])).toEqual(['3', '1', '2'])
    expect(ids([set.pick('h', (e) => !e.id.endsWith(':1'))])).toEqual(['3'])
  })

  it('sticky keeps a host on its egress for the ttl, then moves it on; a host whose egress cannot serve moves at once', () => {
    let t = 0
    const set = new EgressSet(egresses, { rotation: 'sticky', stickyTtlMs: 1000, now: () => t })
    const a = set.pick('a.test')
    const b = set.pick('b.test')
    expect(a).not.toBe(b)
    for (let i = 0; i < 10; i++) expect(set.pick('a.test')).toBe(a)
    expect(set.stuck('a.test')).toBe(a)
    t = 1000
    const moved = set.pick('a.test')
    expect(moved).not.toBe(a)
    expect(set.pick('a.test', (e) => e !== moved)).not.toBe(moved)
    // The only usable egress is the one the host had: it keeps it.
    const only = set.pick('b.test')!
    expect(set.pick('b.test', (e) => e === only)).toBe(only)
  })
})

describe('local address prefixes', () => {
  it('draw distinct addresses inside the prefix, never its network address', () => {
    const drawn = drawFromPrefix('2001:db8:1::/64', 32)
    expect(new Set(drawn).size).toBe(32)
    for (const a of drawn) {
      expect(isIP(a)).toBe(6)
      expect(a.startsWith('2001:db8:1:0:') || a.startsWith('2001:db8:1::')).toBe(true)
    }
    const small = drawFromPrefix('10.1.2.0/30', 2)
    expect(small.sort()).toEqual(['10.1.2.1', '10.1.2.2'])
    expect(() => drawFromPrefix('10.1.2.0/30', 3)).toThrow(/2 usable addresses/)
    expect(drawFromPrefix('fd00::/120', 1, () => new Uint8Array([0x2a]))).toEqual(['fd00::2a'])
  })

  it('give the source of each proxy connection in turn, by family', () => {
    const s = new SourceAddresses(['127.0.0.10', '::1', '127.0.0.11'])
    expect([s.next('10.0.0.1'), s.next('proxy.test'), s.next('10.0.0.1'), s.next('2001:db8::1')]).toEqual([
      '127.0.0.10',
      '127.0.0.11',
      '127.0.0.10',
      '::1',
    ])
    expect(new SourceAddresses([]).next('10.0.0.1')).toBeUndefined()
  })
})
