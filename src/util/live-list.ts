/**
 * Intrusive doubly linked list of live items (in-flight requests): `add` and `delete` are O(1)
 * and allocate nothing, as the links live on the item. A Set costs ~0.5 µs per add of a fresh
 * object on Node 20 (its identity hash is made and stored on the object); this is a few field writes.
 */

/** Links an item carries so it can sit in at most one LiveList. */
export interface LiveLinks<T> {
  livePrev: T | null
  liveNext: T | null
  /** The list holding the item, or null. */
  liveList: object | null
}

export class LiveList<T extends LiveLinks<T>> {
  #head: T | null = null

  /** Adds `item` at the head. @throws Error when it already sits in a list. */
  add(item: T): void {
    if (item.liveList !== null) throw new Error('item is already in a live list')
    item.liveList = this
    item.livePrev = null
    item.liveNext = this.#head
    if (this.#head !== null) this.#head.livePrev = item
    this.#head = item
  }

  /** Removes `item`; false when it is not in this list. */
  delete(item: T): boolean {
    if (item.liveList !== this) return false
    const { livePrev: prev, liveNext: next } = item
    if (prev !== null) prev.liveNext = next
    else this.#head = next
    if (next !== null) next.livePrev = prev
    item.livePrev = item.liveNext = null
    item.liveList = null
    return true
  }

  /** The items, newest first (a copy: the list may change while they are visited). */
  toArray(): T[] {
    const out: T[] = []
    for (let i = this.#head; i !== null; i = i.liveNext) out.push(i)
    return out
  }
}
