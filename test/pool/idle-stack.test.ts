import { describe, expect, it } from 'vitest'
import { Fifo } from '../../src/pool/fifo.js'
import { IdleStack, type IdleLinks } from '../../src/pool/idle-stack.js'
import { pickIdleIp, pickOpenIp, type SelectableIp } from '../../src/pool/select.js'

class Item implements IdleLinks<Item> {
  idlePrev: Item | null = null
  idleNext: Item | null = null
  idleStack: object | null = null
  idleSince = 0
  constructor(readonly n: number) {}
}

describe('IdleStack', () => {
  it('is LIFO, tracks the oldest, removes from anywhere in O(1)', () => {
    const s = new IdleStack<Item>()
    const items = [1, 2, 3, 4].map((n) => new Item(n))
    items.forEach((it, i) => s.push(it, i))
    expect(s.size).toBe(4)
    expect(s.peek()?.n).toBe(4)
    expect(s.oldest()?.n).toBe(1)
    expect(s.remove(items[1] as Item)).toBe(true)
    expect(s.remove(items[1] as Item)).toBe(false)
    expect(s.toArray().map((i) => i.n)).toEqual([4, 3, 1])
    expect(s.pop()?.n).toBe(4)
    expect(s.remove(items[0] as Item)).toBe(true)
    expect(s.oldest()?.n).toBe(3)
    expect(s.pop()?.n).toBe(3)
    expect(s.pop()).toBeNull()
    expect(s.size).toBe(0)
    expect(s.oldest()).toBeNull()
  })

  it('refuses an item that already sits in a stack, and stacks do not share items', () => {
    const a = new IdleStack<Item>()
    const b = new IdleStack<Item>()
    const it1 = new Item(1)
    a.push(it1, 0)
    expect(() => b.push(it1, 0)).toThrow()
    expect(b.remove(it1)).toBe(false)
    expect(a.size).toBe(1)
  })

  it('records the push time', () => {
    const s = new IdleStack<Item>()
    const it1 = new Item(1)
    s.push(it1, 1234)
    expect(it1.idleSince).toBe(1234)
  })
})

describe('Fifo', () => {
  it('keeps order and removes any node once', () => {
    const q = new Fifo<number>()
    const nodes = [1, 2, 3, 4].map((n) => q.push(n))
    expect(q.remove(nodes[2]!)).toBe(true)
    expect(q.remove(nodes[2]!)).toBe(false)
    expect(q.shift()).toBe(1)
    expect(q.peek()).toBe(2)
    expect(q.drain()).toEqual([2, 4])
    expect(q.size).toBe(0)
    expect(q.shift()).toBeUndefined()
  })
})

function ip(p: Partial<SelectableIp> & { name: string }): SelectableIp & { name: string } {
  return {
    state: 'active',
    inUse: 0,
    connecting: 0,
    lastUsedAt: 0,
    connectFailures: 0,
    retryAt: 0,
    idleHttp: { size: 0 },
    idleRaw: { size: 0 },
    ...p,
  }
}

describe('IP selection', () => {
  it('picks the least loaded IP with an idle connection, then the least recently used', () => {
    const ips = [
      ip({ name: 'a', inUse: 2, idleHttp: { size: 1 } }),
      ip({ name: 'b', inUse: 1, idleHttp: { size: 1 }, lastUsedAt: 50 }),
      ip({ name: 'c', inUse: 1, idleRaw: { size: 1 }, lastUsedAt: 10 }),
      ip({ name: 'd', inUse: 0 }), // nothing idle
      ip({ name: 'e', inUse: 0, idleHttp: { size: 3 }, state: 'blacklisted' }),
      ip({ name: 'f', inUse: 0, idleHttp: { size: 3 }, state: 'draining' }),
    ]
    expect(pickIdleIp(ips, 'http')?.name).toBe('c')
    expect(pickIdleIp(ips, 'raw')?.name).toBe('c')
    expect(pickIdleIp([ips[0]!, ips[1]!], 'raw')).toBeNull()
    expect(pickIdleIp([], 'http')).toBeNull()
  })

  it('counts connections being opened as load', () => {
    const ips = [
      ip({ name: 'a', connecting: 2, idleHttp: { size: 1 } }),
      ip({ name: 'b', inUse: 1, idleHttp: { size: 1 }, lastUsedAt: 99 }),
    ]
    expect(pickIdleIp(ips, 'http')?.name).toBe('b')
  })

  it('opens on IPs without connect failures in backoff first, within the caps', () => {
    const ips = [
      ip({ name: 'a', connectFailures: 1, retryAt: Infinity }),
      ip({ name: 'b', inUse: 3, lastUsedAt: 1 }),
      ip({ name: 'c', inUse: 2, lastUsedAt: 5 }),
      ip({ name: 'd', state: 'probing' }),
    ]
    expect(pickOpenIp(ips, () => true)?.name).toBe('c')
    expect(pickOpenIp(ips, (i) => i !== ips[2])?.name).toBe('b')
    expect(pickOpenIp([ips[0]!, ips[3]!], () => true)?.name).toBe('a')
    expect(pickOpenIp(ips, () => false)).toBeNull()
  })

  it('forgets the preference once the backoff is over: the failed IP competes on load again', () => {
    const ips = [ip({ name: 'a', connectFailures: 3, retryAt: 1_000 }), ip({ name: 'b', inUse: 2, lastUsedAt: 5 })]
    expect(pickOpenIp(ips, () => true, 999)?.name).toBe('b')
    expect(pickOpenIp(ips, () => true, 1_000)?.name).toBe('a')
    // Two IPs in backoff: the one with fewer failures first.
    const both = [
      ip({ name: 'x', connectFailures: 4, retryAt: 50 }),
      ip({ name: 'y', connectFailures: 1, retryAt: 50, inUse: 5 }),
    ]
    expect(pickOpenIp(both, () => true, 10)?.name).toBe('y')
  })
})
