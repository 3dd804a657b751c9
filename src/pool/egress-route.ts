/**
 * EgressRouter: which partition (identity, egress, origin) serves a request. The egress comes
 * from the request's set (its `egress` dispatch option, or the pool's `[egress]`), picked by the
 * set's rotation among the egresses that can serve the host now: not in a connect backoff, unless
 * all are. When a connect fails by the egress's fault, the request moves to another egress of its
 * set (each tried once), so a dead proxy costs no request that another proxy can carry.
 */
import type { ProfileName } from '../config/index.js'
import {
  EgressSet,
  toEgress,
  type Egress,
  type EgressDefaults,
  type EgressInput,
  type RotationOptions,
} from '../egress/index.js'
import { InvalidArgumentError } from '../errors.js'
import { blameOfConnectError } from './blame.js'
import type { Borrower } from './borrow.js'
import type { EgressStates } from './egress-states.js'
import { AllEgressBlockedError } from './errors.js'
import type { StatusJudge } from './status-blame.js'
import type { Ledger } from './ledger.js'
import type { Borrow, Connection, HostEntry } from './model.js'
import { parseOrigin } from './origin.js'

/** What a request may name as its egresses: one, a list (rotated), or a set from `pool.forEgress()`. */
export type EgressChoice = EgressInput | readonly EgressInput[] | EgressSet

/** Egress sets named by dispatch options, kept so that a list keeps its rotation; bounded. */
const SETS_MAX = 256
/** No egress tried yet: a request's first pick (no Set made per request). */
const NONE_TRIED: ReadonlySet<Egress> = new Set()

/** One request's way to its partitions. */
export interface Route {
  readonly origin: string | URL
  /** `hostname:port`: the host sticky rotation keys on. */
  readonly originKey: string
  readonly identity: ProfileName
  readonly set: EgressSet
  /** The partition of the first attempt, picked at dispatch. */
  readonly first: HostEntry
}

export class EgressRouter {
  readonly #poolSet: EgressSet
  readonly #defaults: EgressDefaults
  readonly #rotation: RotationOptions
  readonly #ledger: Ledger
  readonly #borrower: Borrower
  readonly #egresses: EgressStates
  readonly #statuses: StatusJudge
  readonly #sets = new Map<string, EgressSet>()

  constructor(
    pool: { set: EgressSet; defaults: EgressDefaults; rotation: RotationOptions },
    parts: { ledger: Ledger; borrower: Borrower; egresses: EgressStates; statuses: StatusJudge },
  ) {
    this.#poolSet = pool.set
    this.#defaults = pool.defaults
    this.#rotation = pool.rotation
    this.#ledger = parts.ledger
    this.#borrower = parts.borrower
    this.#egresses = parts.egresses
    this.#statuses = parts.statuses
  }

  /** The pool's egress set. */
  get poolSet(): EgressSet {
    return this.#poolSet
  }

  /**
   * The set `choice` names (the pool's when undefined). Lists and inputs are parsed once and kept.
   * @throws InvalidArgumentError for a bad egress
   */
  setOf(choice: EgressChoice | undefined): EgressSet {
    if (choice === undefined) return this.#poolSet
    if (choice instanceof EgressSet) return choice
    const key = typeof choice === 'string' ? choice : choice instanceof URL ? choice.href : JSON.stringify(choice)
    const hit = this.#sets.get(key)
    if (hit !== undefined) return hit
    const set = this.newSet(Array.isArray(choice) ? choice : [choice as EgressInput], this.#rotation)
    if (this.#sets.size >= SETS_MAX) this.#sets.clear()
    this.#sets.set(key, set)
    return set
  }

  /** A new set of `inputs` rotated by `rotation`. @throws InvalidArgumentError */
  newSet(inputs: readonly EgressInput[], rotation: RotationOptions): EgressSet {
    if (inputs.length === 0)
      throw new InvalidArgumentError('egress: give at least one egress ("direct" or a proxy URL)')
    const egresses = new Map<string, Egress>()
    for (const input of inputs) {
      const egress = toEgress(input, this.#defaults)
      egresses.set(egress.id, egress)
    }
    return new EgressSet([...egresses.values()], rotation)
  }

  /**
   * The route of a request to `origin` as `identity` through `set`; picks its first partition now.
   * @throws AllEgressBlockedError when the host blocks every egress of the set (StatusJudge)
   */
  route(origin: string | URL, identity: ProfileName, set: EgressSet): Route {
    const originKey = parseOrigin(origin).key
    const first = this.#partition(origin, originKey, identity, set, NONE_TRIED)
    if (first === null) throw this.#allBlocked(origin, originKey, identity, set)
    return { origin, originKey, identity, set, first }
  }

  /**
   * Borrows a connection for `route`: on its first partition, else (a retry) on a new pick.
   * A connect failure by the egress's fault moves the request to another egress of its set.
   * Rejects like Borrower.acquire, with the last error when every egress failed.
   */
  /** A connection of the route's first partition checked out now, or null (see Borrower.takeNow). */
  takeNow(route: Route, borrow: Borrow): Connection | null {
    return this.#borrower.takeNow(route.first, borrow)
  }

  async acquire(route: Route, borrow: Borrow, retry: boolean): Promise<Connection> {
    const tried = new Set<Egress>()
    let host: HostEntry | null = retry
      ? this.#partition(route.origin, route.originKey, route.identity, route.set, tried)
      : route.first
    if (host === null) throw this.#allBlocked(route.origin, route.originKey, route.identity, route.set)
    let lastError: unknown
    while (host !== null) {
      try {
        return await this.#borrower.acquire(host, borrow)
      } catch (err) {
        if (blameOfConnectError(err) !== 'egress' || borrow.signal?.aborted === true) throw err
        lastError = err
        tried.add(host.egress)
      }
      host = this.#partition(route.origin, route.originKey, route.identity, route.set, tried)
    }
    throw lastError
  }

  /**
   * The partition of the egress the set picks for the host, skipping `tried` and the egresses the
   * host blocks; null when none is left.
   */
  #partition(
    origin: string | URL,
    originKey: string,
    identity: ProfileName,
    set: EgressSet,
    tried: ReadonlySet<Egress>,
  ): HostEntry | null {
    const single = set.single
    if (single !== undefined) {
      // One egress (the common case, DIRECT): the rotation has no choice and a back-off cannot move it.
      if (tried.has(single)) return null
      const host = this.#ledger.host(origin, identity, single)
      return this.#statuses.blocked(host) === undefined ? host : null
    }
    const t = performance.now()
    const wall = Date.now()
    const open = (e: Egress): boolean =>
      !tried.has(e) && this.#statuses.blocked(this.#ledger.host(origin, identity, e), wall) === undefined
    const egress = set.pick(originKey, (e) => open(e) && !this.#egresses.backingOff(e, t)) ?? set.pick(originKey, open)
    return egress === null ? null : this.#ledger.host(origin, identity, egress)
  }

  /** The error for a request whose every egress the host blocks, with each block's cause. */
  #allBlocked(origin: string | URL, originKey: string, identity: ProfileName, set: EgressSet): Error {
    let until = Infinity
    const reasons: Array<{ egress: string; reason: string }> = []
    const resting = new Set<string>()
    for (const egress of set.egresses) {
      const host = this.#ledger.host(origin, identity, egress)
      const block = this.#statuses.blocked(host)
      if (block === undefined) continue
      until = Math.min(until, block.until)
      reasons.push({ egress: egress.id, reason: block.reason })
      for (const ip of host.list) if (ip.state === 'blacklisted') resting.add(ip.address)
    }
    const retryAt = new Date(until === Infinity ? Date.now() : until)
    return new AllEgressBlockedError(originKey, retryAt, reasons, [...resting])
  }
}
