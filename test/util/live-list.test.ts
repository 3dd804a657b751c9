/** LiveList: O(1) add and delete of items that carry their links, in any order. */
import { describe, expect, it } from 'vitest'
import { LiveList, type LiveLinks } from '../../src/util/live-list.js'

class Item implements LiveLinks<Item> {
  livePrev: Item | null = null
  liveNext: Item | null = null
  liveList: object | null = null
  constructor(readonly n: number) {}
}

describe('LiveList', () => {
  it('keeps the items added and not deleted, newest first, whatever the order of deletes', () => {
    const list = new LiveList<Item>()
    const items = Array.from({ length: 8 }, (_, i) => new Item(i))
    for (const i of items) list.add(i)
    for (const n of [0, 7, 3, 4]) expect(list.delete(items[n]!)).toBe(true)
    expect(list.toArray().map((i) => i.n)).toEqual([6, 5, 2, 1])
    expect(list.delete(items[3]!)).toBe(false)
    list.add(items[3]!)
    expect(list.toArray().map((i) => i.n)).toEqual([3, 6, 5, 2, 1])
  })

  it('an item sits in one list at a time; a list does not delete another list’s item', () => {
    const a = new LiveList<Item>()
    const b = new LiveList<Item>()
    const item = new Item(1)
    a.add(item)
    expect(() => b.add(item)).toThrow(/already/)
    expect(b.delete(item)).toBe(false)
    expect(a.delete(item)).toBe(true)
    b.add(item)
    expect(b.toArray()).toEqual([item])
    expect(a.toArray()).toEqual([])
  })
})
