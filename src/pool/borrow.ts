/**
 * Borrower: lends connections and takes them back (HikariCP's borrow/requite). `acquire` takes
 * an idle connection of the best IP (LIFO per IP; HTTP/2 ones with a free stream first) or
 * waits in the host's FIFO queue; `requite` records what happened and puts the connection back;
 * `reconcile` is the only place connections are handed to waiting requests, connections are
 * opened for them, and a slot is freed for them when a cap blocks. O(IPs of the host) per call.
 */
import type { PoolConfig } from '../config/index.js'
import type { ConnectionDialer } from './dialer.js'
import { PoolClosedError, PoolExhaustedError } from './errors.js'
import type { IpStates } from './ip-states.js'
import type { StatusJudge } from './status-blame.js'
import type { Ledger } from './ledger.js'
import type { Borrow, Connection, HostEntry, IpEntry, ReleaseOutcome, Waiter, Want } from './model.js'
import { connectingCapacity, fits, hasIdle, pickIdle, pickOpenIp } from './select.js'

const now = (): number => performance.now()

/** Whether a connection handed to a borrower can serve: it may have died before the borrower ran. */
const usable = (conn: Connection): boolean => conn.state === 'in_use' && conn.channel?.alive === true

export class Borrower {
  readonly #pool: PoolConfig
  readonly #drainGraceMs: number
  readonly #maxStreams: number
  readonly #ledger: Ledger
  readonly #dialer: ConnectionDialer
  readonly #ips: IpStates
  /** Whom a response status blames (StatusJudge); default: the IP. */
  readonly #judge: (ip: IpEntry, status: number, retryAfter: string | undefined, path: string | undefined) => void
  readonly #resolve: (host: HostEntry) => Promise<void>
  readonly #waitingHosts = new Set<HostEntry>()
  #reconciling = false
  readonly #again = new Set<HostEntry>()

  constructor(
    options: { pool: PoolConfig; drainGraceMs: number; maxConcurrentStreams: number },
    parts: {
      ledger: Ledger
      dialer: ConnectionDialer
      ips: IpStates
      resolve: (host: HostEntry) => Promise<void>
      statuses?: StatusJudge
    },
  ) {
    this.#pool = options.pool
    this.#drainGraceMs = options.drainGraceMs
    this.#maxStreams = options.maxConcurrentStreams
    this.#ledger = parts.ledger
    this.#dialer = parts.dialer
    this.#ips = parts.ips
    const statuses = parts.statuses
    this.#judge =
      statuses !== undefined
        ? (ip, status, retryAfter, path) => statuses.judge(ip, status, retryAfter, path)
        : (ip, status, retryAfter) => parts.ips.judgeStatus(ip, status, retryAfter)
    this.#resolve = parts.resolve
  }

  /**
   * Borrows a connection of `host`, checked out. Rejects with PoolClosedError,
   * AllIpsBlacklistedError, PoolExhaustedError (queue full / pending_timeout), a DnsError, a
   * connect error when every IP fails, or the signal's reason.
   */
  async acquire(host: HostEntry, borrow: Borrow = {}): Promise<Connection> {
    // A connection handed over may have died before its borrower ran; bounded by the caps.
    for (let guard = this.#pool.maxConnsPerHost; ; guard--) {
      const conn = await this.#borrow(host, borrow)
      if (usable(conn) || guard <= 0) return conn
      this.requite(conn, { reusable: false, internal: true })
    }
  }

  /**
   * The synchronous part of `acquire`: an idle (or shared HTTP/2) connection of `host` checked
   * out now, or null when `acquire` has to run (host not resolved yet, pool closed, signal aborted,
   * nothing idle). Never throws.
   */
  takeNow(host: HostEntry, b: Borrow): Connection | null {
    if (this.#ledger.closed || !host.resolved || b.signal?.aborted === true) return null
    const conn = this.#take(host, this.#want(host, b))
    if (conn === null || usable(conn)) return conn
    this.requite(conn, { reusable: false, internal: true })
    return null
  }

  async #borrow(host: HostEntry, b: Borrow): Promise<Connection> {
    if (this.#ledger.closed) throw new PoolClosedError()
    if (!host.resolved) await this.#resolve(host)
    if (this.#ledger.closed) throw new PoolClosedError()
    b.signal?.throwIfAborted()
    const want = this.#want(host, b)
    const conn = this.#take(host, want)
    if (conn !== null) return conn
    this.#ips.assertUsable(host)
    if (!this.hasRoom(host)) throw PoolExhaustedError.queueFull(host, this.#pool)
    return new Promise<Connection>((resolve, reject) => {
      const signal = b.signal
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
      const waiter: Waiter = {
        ...want,
        failures: 0,
        resolve: (c) => (done(), resolve(c)),
        reject: (e) => (done(), reject(e)),
      }
      const node = host.waiters.push(waiter)
      const onAbort = (): void => {
        if (host.waiters.remove(node))
          waiter.reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      const timer = setTimeout(() => {
        if (host.waiters.remove(node)) waiter.reject(PoolExhaustedError.timedOut(host.key, this.#pool.pendingTimeoutMs))
      }, this.#pool.pendingTimeoutMs)
      timer.unref()
      this.#waitingHosts.add(host)
      this.reconcile(host)
    })
  }

  /**
   * Gives a checked-out connection back with what happened on it; records statistics and strikes
   * (`path`: the request's, a blocking status is judged per path, StatusJudge).
   */
  requite(conn: Connection, outcome: ReleaseOutcome, path?: string): void {
    const host = conn.entry.host
    const streamsLeft = this.#ledger.endStream(conn)
    // Statistics count even when the socket already closed under the request.
    if (!outcome.internal && (conn.state === 'in_use' || conn.state === 'closed')) {
      this.#ledger.recordUse(conn.entry, outcome)
      if (outcome.statusCode !== undefined) this.#judge(conn.entry, outcome.statusCode, outcome.retryAfter, path)
    }
    if (conn.state !== 'in_use') return
    if (outcome.upgraded) return this.#dialer.detach(conn)
    // One clock read for the whole requite.
    const t = now()
    if (outcome.reusable && outcome.statusCode !== undefined) conn.provenAt = t
    const multiplexed = conn.channel?.multiplexed === true
    // Other streams still run on this HTTP/2 connection; a failed stream does not end it.
    if (multiplexed && streamsLeft > 0) return this.reconcile(host)
    const reason = this.#retireReason(conn, multiplexed ? conn.channel?.alive === true : outcome.reusable, t)
    if (reason !== null) return this.#dialer.close(conn, reason)
    this.#ledger.checkin(conn, t)
    this.reconcile(host)
    // An idle connection no request of its partition wants may be in the way of another
    // partition waiting at a shared cap (the host's other identities or egresses, max_connections).
    if (host.waiters.size === 0 && this.#waitingHosts.size > 0) this.#reconcileWaiting(host)
  }

  #reconcileWaiting(except: HostEntry): void {
    for (const other of this.#waitingHosts) if (other !== except) this.reconcile(other)
  }

  /** A new connection from the Dialer joins the pool: it goes to a waiting request or idles. */
  offer(conn: Connection): void {
    const ip = conn.entry
    if (this.#ledger.closed || ip.state !== 'active') {
      // The IP may have been drained, blacklisted or forgotten while the handshake ran.
      this.#dialer.close(conn, this.#ledger.closed ? 'pool_closed' : `ip_${ip.state}`)
      return
    }
    this.#ledger.checkin(conn)
    this.reconcile(ip.host)
  }

  /**
   * Run after every transition that may let waiting requests progress: hands idle connections
   * to them in FIFO order (a request no idle connection fits is passed over, not blocking the
   * rest), fails them when no IP is usable, opens connections under the caps, and frees a slot
   * when a cap blocks.
   */
  reconcile(host: HostEntry): void {
    if (this.#reconciling) {
      this.#again.add(host)
      return
    }
    this.#reconciling = true
    try {
      this.#reconcileOne(host)
      for (const h of this.#again) {
        this.#again.delete(h)
        this.#reconcileOne(h)
      }
    } finally {
      this.#reconciling = false
    }
  }

  /** A slot of `ip` was freed: its host and every other waiting host (global cap) may progress. */
  slotFreed(ip: IpEntry): void {
    if (this.#ledger.closed) return
    this.reconcile(ip.host)
    this.#reconcileWaiting(ip.host)
  }

  /**
   * A connect failure fails the head request only when every IP fails (else another IP is tried);
   * a fast failure (refused, reset) gets one more try, a timeout none: a request waits for at most
   * one connect_timeout, not one per try.
   */
  connectFailed(ip: IpEntry, err: Error): void {
    const host = ip.host
    const head = host.waiters.peek()
    if (head === undefined) return
    const t = now()
    if (host.list.some((i) => i.state === 'active' && !this.#ips.backingOff(i, t))) return
    head.failures++
    if (head.failures < 2 && (err as { code?: unknown }).code !== 'ERR_TLS_HANDSHAKE_TIMEOUT') return
    host.waiters.shift()
    head.reject(err)
  }

  /**
   * A connect failure that is not the IP's fault: the requests waiting on `host` fail with `err`,
   * all of them (`all`: the egress cannot serve, they move to another) or the first one (a
   * certificate or configuration error, for the request whose dial it was).
   */
  rejectWaiting(host: HostEntry, err: Error, all: boolean): void {
    if (all) for (const w of host.waiters.drain()) w.reject(err)
    else host.waiters.shift()?.reject(err)
  }

  /**
   * Whether a request that finds no idle connection may wait: fewer than max_pending wait beyond
   * the connections being opened or that the caps still allow (max_pending = 0: wait only for those).
   */
  hasRoom(host: HostEntry): boolean {
    const capacity = this.#ledger.headroom(host) + connectingCapacity(host, this.#maxStreams, 'http/1.1')
    return host.waiters.size < this.#pool.maxPending + capacity
  }

  /** Rejects every waiting request with `err` (the pool closes). */
  rejectAll(err: Error): void {
    for (const host of this.#ledger.hosts.values()) for (const w of host.waiters.drain()) w.reject(err)
    this.#waitingHosts.clear()
  }

  #reconcileOne(host: HostEntry): void {
    for (let node = host.waiters.first(), next = node?.next ?? null; node !== null && hasIdle(host); node = next) {
      next = node.next
      const conn = this.#take(host, node.value)
      if (conn !== null) {
        host.waiters.remove(node)
        node.value.resolve(conn)
      } else if (this.#ledger.headroom(host) === 0 && this.#evictFor(host, node.value)) {
        // At the cap the idle connections would all go to the requests behind this one: one of
        // them made room for it first.
        break
      }
    }
    if (host.waiters.size === 0) {
      this.#waitingHosts.delete(host)
      return
    }
    try {
      this.#ips.assertUsable(host)
    } catch (err) {
      for (const w of host.waiters.drain()) w.reject(err as Error)
      this.#waitingHosts.delete(host)
      return
    }
    const head = host.waiters.peek()
    for (let need = host.waiters.size - connectingCapacity(host, this.#maxStreams, 'h2'); need > 0; need--) {
      const ip = this.#pickOpen(host, head?.avoid)
      if (ip === null) {
        this.#evictFor(host, head)
        return
      }
      void this.#dialer.open(ip).then(
        (conn) => this.offer(conn),
        () => {}, // counted, struck and reported through the Dialer's events
      )
    }
  }

  #want(host: HostEntry, b: Borrow): Want {
    let avoid = b.avoidIp === undefined ? undefined : host.ips.get(b.avoidIp)
    if (avoid !== undefined && !host.list.some((i) => i !== avoid && i.state === 'active')) avoid = undefined
    return { use: b.use ?? 'http', fresh: b.fresh === true, since: now(), avoid }
  }

  /** Checks out an idle (or shared HTTP/2) connection that fits `w`; null when none. Dead ones found are closed. */
  #take(host: HostEntry, w: Want): Connection | null {
    for (let guard = host.idle + 1; guard > 0; guard--) {
      const conn = pickIdle(host, w)
      if (conn === null) return null
      if (conn.channel === null || !conn.channel.alive) {
        this.#dialer.close(conn, 'peer')
        continue
      }
      this.#ledger.checkout(conn, w.since)
      return conn
    }
    return null
  }

  /** An IP to open a connection to: outside any backoff and other than `avoid` if possible. */
  #pickOpen(host: HostEntry, avoid: IpEntry | undefined): IpEntry | null {
    const canOpen = (i: IpEntry): boolean => this.#ledger.canOpen(i)
    return (
      (avoid !== undefined ? pickOpenIp(host.list, (i) => i !== avoid && canOpen(i)) : null) ??
      pickOpenIp(host.list, canOpen)
    )
  }

  /**
   * Frees a slot for `w` by closing an idle connection it cannot use, one at a time. At the host
   * cap (max_conns_per_host, over the origin's partitions) or the egress cap: one of its own
   * partition, else of another partition sharing that cap (another identity or egress of the
   * origin, another host of the egress). When only the per-IP caps bind: one of its partition, not
   * on the IP it avoids. At max_connections: one of another host. Returns whether it closed one.
   */
  #evictFor(host: HostEntry, w: Waiter | undefined): boolean {
    if (host.closing > 0 || this.#ledger.closing > 0) return false // a slot is already on its way
    const ledger = this.#ledger
    const atHost = ledger.atHostCap(host)
    const atEgress = ledger.atEgressCap(host)
    if (atHost || atEgress) {
      if (this.#evictOwn(host, w, false)) return true
      return this.#evictOther(atHost ? host.origin.members : host.egressGroup.members, host)
    }
    if (ledger.total < this.#pool.maxConnections) return this.#evictOwn(host, w, true)
    return this.#evictOther(ledger.hosts.values(), host)
  }

  /** Closes the oldest idle connection of `host` that `w` cannot use (skipping its avoided IP if `skipAvoided`). */
  #evictOwn(host: HostEntry, w: Waiter | undefined, skipAvoided: boolean): boolean {
    for (const ip of host.list) {
      if (skipAvoided && ip === w?.avoid) continue
      for (const victim of [ip.idleHttp.oldest(), ip.idleRaw.oldest()]) {
        if (victim === null || (ip.state === 'active' && w !== undefined && fits(w, victim))) continue
        this.#dialer.close(victim, ip.state === 'draining' ? 'drained' : 'evicted')
        return true
      }
    }
    return false
  }

  /** Closes the oldest idle connection of a host of `hosts` other than `except`. */
  #evictOther(hosts: Iterable<HostEntry>, except: HostEntry): boolean {
    for (const other of hosts) {
      if (other === except || other.idle === 0) continue
      for (const ip of other.list) {
        const victim = ip.idleHttp.oldest() ?? ip.idleRaw.oldest()
        if (victim === null) continue
        this.#dialer.close(victim, 'evicted')
        return true
      }
    }
    return false
  }

  /** Why `conn` must close instead of idling at `t` (performance.now() ms), or null. */
  #retireReason(conn: Connection, reusable: boolean, t: number): string | null {
    if (this.#ledger.closed) return 'pool_closed'
    if (!reusable) return 'error'
    if (conn.channel === null || !conn.channel.alive) return 'peer'
    if (t >= conn.expiresAt) return 'max_lifetime'
    const ip = conn.entry
    if (ip.state === 'blacklisted' || ip.state === 'probing') return 'blacklisted'
    if (ip.state === 'draining' && t - ip.drainingSince >= this.#drainGraceMs) return 'drained'
    return null
  }
}
