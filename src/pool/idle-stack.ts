/**
 * Intrusive doubly linked LIFO stack of idle connections for one (host, ip).
 *
 * push/pop/remove are O(1) and allocate nothing. The top is the most recently released
 * connection (reused first, so the rest age out and are retired by housekeeping); the bottom
 * is the oldest idle one (trimmed first).
 */

/** Links an item carries so it can sit in at most one IdleStack. */
export interface IdleLinks<T> {
  idlePrev: T | null
  idleNext: T | null
  /** The stack holding the item, or null. */
  idleStack: object | null
  /** ms timestamp (performance.now() clock of the pool) of the last push. */
  idleSince: number
}

export class IdleStack<T extends IdleLinks<T>> {
  #top: T | null = null
  #bottom: T | null = null
  #size = 0

  get size(): number {
    return this.#size
  }

  /** Most recently pushed item, or null. */
  peek(): T | null {
    return this.#top
  }

  /** Oldest item (pushed longest ago), or null. */
  oldest(): T | null {
    return this.#bottom
  }

  /** Put `item` on top. Throws if it already sits in a stack. */
  push(item: T, now: number): void {
    if (item.idleStack !== null) throw new Error('item is already in an idle stack')
    item.idleStack = this
    item.idleSince = now
    item.idlePrev = null
    item.idleNext = this.#top
    if (this.#top !== null) this.#top.idlePrev = item
    else this.#bottom = item
    this.#top = item
    this.#size++
  }

  /** Take the most recently pushed item, or null when empty. */
  pop(): T | null {
    const item = this.#top
    if (item !== null) this.remove(item)
    return item
  }

  /** Unlink `item` wherever it is; returns false if it is not in this stack. */
  remove(item: T): boolean {
    if (item.idleStack !== this) return false
    const { idlePrev, idleNext } = item
    if (idlePrev !== null) idlePrev.idleNext = idleNext
    else this.#top = idleNext
    if (idleNext !== null) idleNext.idlePrev = idlePrev
    else this.#bottom = idlePrev
    item.idlePrev = null
    item.idleNext = null
    item.idleStack = null
    this.#size--
    return true
  }

  /** Items from newest to oldest (a snapshot, safe against removal while iterating). */
  toArray(): T[] {
    const out: T[] = []
    for (let it = this.#top; it !== null; it = it.idleNext) out.push(it)
    return out
  }
}
