/**
 * FIFO queue with O(1) push, shift and removal of any entry (via the node returned by push).
 * Used for requests waiting for a connection, each of which may time out or be aborted.
 */

export interface FifoNode<T> {
  readonly value: T
  prev: FifoNode<T> | null
  next: FifoNode<T> | null
  queued: boolean
}

export class Fifo<T> {
  #head: FifoNode<T> | null = null
  #tail: FifoNode<T> | null = null
  #size = 0

  get size(): number {
    return this.#size
  }

  push(value: T): FifoNode<T> {
    const node: FifoNode<T> = { value, prev: this.#tail, next: null, queued: true }
    if (this.#tail !== null) this.#tail.next = node
    else this.#head = node
    this.#tail = node
    this.#size++
    return node
  }

  /** The first node (walk on with `node.next`), or null when empty. */
  first(): FifoNode<T> | null {
    return this.#head
  }

  peek(): T | undefined {
    return this.#head?.value
  }

  shift(): T | undefined {
    const node = this.#head
    if (node === null) return undefined
    this.remove(node)
    return node.value
  }

  /** Unlink `node`; returns false if it was already removed. */
  remove(node: FifoNode<T>): boolean {
    if (!node.queued) return false
    node.queued = false
    if (node.prev !== null) node.prev.next = node.next
    else this.#head = node.next
    if (node.next !== null) node.next.prev = node.prev
    else this.#tail = node.prev
    node.prev = null
    node.next = null
    this.#size--
    return true
  }

  /** Remove and return every value, head first. */
  drain(): T[] {
    const out: T[] = []
    for (let v = this.shift(); v !== undefined; v = this.shift()) out.push(v)
    return out
  }
}
