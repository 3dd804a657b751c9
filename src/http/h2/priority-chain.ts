/**
 * Chromium's HTTP/2 stream dependencies (net/spdy `Http2PriorityDependencies`), for an identity
 * whose priority rule is `chain`: a new stream depends, exclusively, on the most recently opened
 * stream still open of the same or a more urgent class (urgency 0 is the most urgent), else on
 * the root; a stream leaves the chain when it closes. The Chromium 156 captures show it: a script
 * opened while a style is loading depends on the style's stream, an image on that script's.
 */
export class PriorityChain {
  /** Open stream ids by urgency, each list in opening order. */
  readonly #byUrgency: number[][] = []

  /** The stream a new stream of `urgency` depends on (0 = the root). */
  parentFor(urgency: number): number {
    for (let u = Math.min(urgency, this.#byUrgency.length - 1); u >= 0; u--) {
      const ids = this.#byUrgency[u]!
      if (ids.length > 0) return ids[ids.length - 1]!
    }
    return 0
  }

  /** A stream of `urgency` was opened with id `id`. */
  opened(id: number, urgency: number): void {
    while (this.#byUrgency.length <= urgency) this.#byUrgency.push([])
    this.#byUrgency[urgency]!.push(id)
  }

  /** Stream `id` closed (no-op when it is not in the chain). */
  closed(id: number): void {
    for (const ids of this.#byUrgency) {
      const at = ids.indexOf(id)
      if (at >= 0) {
        ids.splice(at, 1)
        return
      }
    }
  }
}
