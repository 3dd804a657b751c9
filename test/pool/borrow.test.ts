/**
 * The Borrower on its own, with a fake dialer (no network): every dial waits until the test
 * completes or fails it, so the order of events is the test's.
 */
import { describe, expect, it } from 'vitest'
import { resolveConfig, type ConfigInput } from '../../src/config/index.js'
import type { PooledChannel } from '../../src/http/pooled-channel.js'
import { Borrower } from '../../src/pool/borrow.js'
import type { ConnectionDialer } from '../../src/pool/dialer.js'
import { PoolClosedError, PoolExhaustedError } from '../../src/pool/errors.js'
import { IpStates } from '../../src/pool/ip-states.js'
import { Ledger } from '../../src/pool/ledger.js'
import { IpEntry, type Borrow, type Connection, type HostEntry } from '../../src/pool/model.js'
import { toEgress } from '../../src/egress/index.js'

interface FakeChannel extends PooledChannel {
  alive: boolean
  attached: boolean
}

function channel(multiplexed = false, maxStreams = 1): FakeChannel {
  return {
    socket: null as never,
    protocol: multiplexed ? 'h2' : 'http/1.1',
    multiplexed,
    maxStreams,
    attached: false,
    alive: true,
    client: null as never,
    lend() {},
    unlend() {},
    close: async () => {},
    destroy() {},
    detach() {},
  }
}

interface Dial {
  ip: string
  conn: Connection
  succeed(ch?: FakeChannel): void
  fail(err?: Error): void
}

/** A dialer whose dials the test completes; closes free their slot on the next microtask. */
class FakeDialer implements ConnectionDialer {
  readonly dials: Dial[] = []
  readonly closed: Array<{ ip: string; reason: string }> = []
  borrower!: Borrower
  /** What the pool does on a failed dial (IpStates' backoff, then the Borrower), as ConnectionManager wires it. */
  onFail: (ip: IpEntry, err: Error) => void = () => {}
  constructor(readonly ledger: Ledger) {}

  open(ip: IpEntry): Promise<Connection> {
    const conn = this.ledger.add(ip)
    return new Promise<Connection>((resolve, reject) => {
      this.dials.push({
        ip: ip.address,
        conn,
        succeed: (ch = channel()) => {
          // What the Dialer records of the handshake's ALPN answer.
          ip.h2 = ch.multiplexed
          ip.host.alpnKnown = true
          conn.channel = ch
          conn.openedAt = performance.now()
          resolve(conn)
        },
        fail: (err = new Error('ECONNREFUSED')) => {
          this.ledger.drop(conn)
          this.onFail(ip, err)
          this.borrower.slotFreed(ip)
          reject(err)
        },
      })
    })
  }

  close(conn: Connection, reason: string): void {
    if (conn.state === 'closing' || conn.state === 'closed') return
    this.closed.push({ ip: conn.ip, reason })
    this.ledger.markClosing(conn)
    queueMicrotask(() => {
      this.ledger.drop(conn)
      this.borrower.slotFreed(conn.entry)
    })
  }

  detach(conn: Connection): void {
    this.ledger.drop(conn)
    this.borrower.slotFreed(conn.entry)
  }

  pending(): Dial[] {
    return this.dials.filter((d) => d.conn.state === 'connecting' && d.conn.channel === null)
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r))

/**
 * A Borrower over hosts whose ALPN answer is known to be http/1.1 (a connection completed before),
 * unless `alpnKnown` is false (a host never connected to: h2 may come).
 */
function setup(
  pool: NonNullable<ConfigInput['pool']>,
  ips = ['10.0.0.1', '10.0.0.2'],
  hosts = ['a.test'],
  alpnKnown = true,
  maxConnsPerEgress?: number,
) {
  const config = resolveConfig({ pool: { warmConnsPerIp: 0, maxIdleConns: 1, pendingTimeoutMs: 2000, ...pool } })
  const ledger = new Ledger(config.pool, maxConnsPerEgress)
  const states = new IpStates(config.blacklist, { blacklisted() {}, readmitted() {}, retryDue() {} })
  const dialer = new FakeDialer(ledger)
  const borrower = new Borrower(
    { pool: config.pool, drainGraceMs: 1000, maxConcurrentStreams: 100 },
    { ledger, dialer, ips: states, resolve: async () => {} },
  )
  dialer.borrower = borrower
  dialer.onFail = (ip, err) => {
    states.connectFailed(ip)
    borrower.connectFailed(ip, err)
  }
  const entries = hosts.map((name) => {
    const host = ledger.host(name, 'chrome-156-windows')
    for (const a of ips) host.addIp(new IpEntry(host, a, 4))
    host.resolved = true
    host.alpnKnown = alpnKnown
    return host
  })
  const host = entries[0] as HostEntry
  const acquire = (b: Borrow = {}, h = host): Promise<Connection> => borrower.acquire(h, b)
  /** Opens and idles one connection per address given. */
  const warm = async (...addrs: string[]): Promise<Connection[]> => {
    const out: Connection[] = []
    for (const a of addrs) {
      const ip = host.ips.get(a) as IpEntry
      const p = dialer.open(ip)
      dialer.dials.at(-1)?.succeed()
      const conn = await p
      borrower.offer(conn)
      out.push(conn)
    }
    return out
  }
  /** Another partition of `name`: another identity and/or egress, with the same IPs. */
  const partition = (name: string, identity: string, egress = 'direct'): HostEntry => {
    const other = ledger.host(name, identity as never, toEgress(egress, { resolve: 'local', connectHeaders: [] }))
    for (const a of ips) if (!other.ips.has(a)) other.addIp(new IpEntry(other, a, 4))
    other.resolved = true
    other.alpnKnown = alpnKnown
    return other
  }
  return { config, ledger, states, dialer, borrower, host, hosts: entries, acquire, warm, partition }
}

describe('Borrower', () => {
  it('max_conns_per_host holds per host across identities and egresses: two partitions share the cap', async () => {
    const { dialer, borrower, acquire, host, partition, ledger } = setup({ maxConnsPerHost: 2, maxConnections: 10 })
    const firefox = partition('a.test', 'firefox-153-linux')
    const proxied = partition('a.test', 'chrome-156-windows', 'http://10.0.0.5:3128')
    const chrome = [acquire(), acquire()]
    const others = [acquire({}, firefox), acquire({}, firefox), acquire({}, proxied)]
    await tick()
    // Five requests of three partitions of one host: two dials in all, not two per partition.
    expect(dialer.pending()).toHaveLength(2)
    for (const d of dialer.pending()) d.succeed()
    const first = await Promise.all(chrome)
    expect(host.origin.total).toBe(2)
    expect(ledger.total).toBe(2)
    expect(firefox.waiters.size + proxied.waiters.size).toBe(3)
    // A connection given back idles in its partition, which the waiting partitions cannot use:
    // it is closed to make room, and the freed slot dials for the next waiting partition.
    borrower.requite(first[0]!, { reusable: true, statusCode: 200 })
    await tick()
    await tick()
    expect(dialer.closed.map((c) => c.reason)).toEqual(['evicted'])
    expect(dialer.pending()).toHaveLength(1)
    expect(host.origin.total).toBeLessThanOrEqual(2)
    dialer.pending()[0]!.succeed()
    const served = await Promise.race(others)
    expect([firefox, proxied]).toContain(served.entry.host)
    expect(host.origin.total).toBe(2)
    borrower.rejectAll(new PoolClosedError())
    await Promise.allSettled(others)
  })

  it('max_conns_per_egress holds per egress across hosts', async () => {
    const { dialer, acquire, hosts } = setup(
      { maxConnsPerHost: 4, maxConnections: 10 },
      ['10.0.0.1'],
      ['a.test', 'b.test'],
      true,
      3,
    )
    const [a, b] = hosts as [HostEntry, HostEntry]
    const all = [acquire({}, a), acquire({}, a), acquire({}, b), acquire({}, b)]
    await tick()
    expect(dialer.pending()).toHaveLength(3)
    expect(a.egressGroup).toBe(b.egressGroup)
    expect(a.egressGroup.total).toBe(3)
    for (const d of dialer.pending()) d.succeed()
    await Promise.race(all)
    expect(a.total + b.total).toBe(3)
    expect(a.waiters.size + b.waiters.size).toBe(1)
  })

  it('a cold acquire dials and gets the new connection; a release hands it to the first waiter (FIFO)', async () => {
    const { dialer, borrower, acquire, host } = setup({ maxConnsPerHost: 1, maxConnections: 1 })
    const first = acquire()
    await tick()
    expect(dialer.pending()).toHaveLength(1)
    dialer.pending()[0]?.succeed()
    const conn = await first
    expect(conn.state).toBe('in_use')
    const order: string[] = []
    const second = acquire().then((c) => (order.push('second'), c))
    const third = acquire().then((c) => (order.push('third'), c))
    await tick()
    expect(host.waiters.size).toBe(2)
    expect(dialer.pending()).toHaveLength(0) // at the cap: no dial
    borrower.requite(conn, { reusable: true, statusCode: 200 })
    expect(await second).toBe(conn)
    expect(order).toEqual(['second'])
    borrower.requite(conn, { reusable: true, statusCode: 200 })
    expect(await third).toBe(conn)
    expect(host.inUse).toBe(1)
    borrower.requite(conn, { reusable: true, statusCode: 200 })
    expect(host.idle).toBe(1)
  })

  it('an idle connection is taken LIFO from the least loaded IP', async () => {
    const { acquire, warm } = setup({ maxConnsPerHost: 4 })
    const [a1, b1, a2] = await warm('10.0.0.1', '10.0.0.2', '10.0.0.1')
    const one = await acquire()
    expect([a2, b1]).toContain(one)
    const two = await acquire()
    expect(two.ip).not.toBe(one.ip) // the other IP is now less loaded
    const three = await acquire()
    expect(three).toBe(one.ip === '10.0.0.1' ? a1 : a2)
  })

  it('avoid-IP: a retry skips the failed IP while another can serve, and uses it when none can', async () => {
    const { dialer, acquire, warm, borrower, host } = setup({ maxConnsPerHost: 4 })
    await warm('10.0.0.1', '10.0.0.2')
    const c = await acquire({ avoidIp: '10.0.0.2' })
    expect(c.ip).toBe('10.0.0.1')
    // Only 10.0.0.1 has an idle connection now, and the retry avoids it: a new one is dialed elsewhere.
    borrower.requite(c, { reusable: true, statusCode: 200 })
    const other = await acquire()
    expect(other.ip).toBe('10.0.0.2')
    const retry = acquire({ avoidIp: '10.0.0.1' })
    await tick()
    expect(dialer.pending().map((d) => d.ip)).toEqual(['10.0.0.2'])
    dialer.pending()[0]?.succeed()
    expect((await retry).ip).toBe('10.0.0.2')
    expect(host.ips.get('10.0.0.1')?.idle).toBe(1)
    // With a single IP, avoiding it would starve: it serves anyway.
    const single = setup({}, ['10.0.0.9'])
    await single.warm('10.0.0.9')
    expect((await single.acquire({ avoidIp: '10.0.0.9' })).ip).toBe('10.0.0.9')
  })

  it('caps: max_conns_per_ip and max_conns_per_host bound the dials; the rest waits', async () => {
    const { dialer, acquire, host } = setup({ maxConnsPerIp: 1, maxConnsPerHost: 10 })
    const borrows = [acquire(), acquire(), acquire()]
    await tick()
    expect(
      dialer
        .pending()
        .map((d) => d.ip)
        .sort(),
    ).toEqual(['10.0.0.1', '10.0.0.2'])
    expect(host.waiters.size).toBe(3)
    for (const d of dialer.pending()) d.succeed()
    await Promise.all(borrows.slice(0, 2))
    expect(host.waiters.size).toBe(1)
    const capped = setup({ maxConnsPerHost: 2, maxConnections: 10 })
    for (let i = 0; i < 3; i++) capped.acquire().catch(() => {})
    await tick()
    expect(capped.dialer.pending()).toHaveLength(2)
    expect(capped.host.connecting).toBe(2)
  })

  it('caps: at max_connections a waiting host evicts an idle connection of another host', async () => {
    const { dialer, acquire, hosts, borrower } = setup(
      { maxConnsPerHost: 1, maxConnections: 1 },
      ['10.0.0.1'],
      ['a.test', 'b.test'],
    )
    const [a, b] = hosts as [HostEntry, HostEntry]
    const first = acquire({}, a)
    await tick()
    dialer.pending()[0]?.succeed()
    borrower.requite(await first, { reusable: true, statusCode: 200 })
    expect(a.idle).toBe(1)
    const other = acquire({}, b)
    await tick()
    await tick()
    expect(dialer.closed).toEqual([{ ip: '10.0.0.1', reason: 'evicted' }])
    expect(dialer.pending()).toHaveLength(1)
    dialer.pending()[0]?.succeed()
    expect((await other).entry.host).toBe(b)
  })

  it('max_pending bounds the requests waiting beyond what the caps can still open', async () => {
    const { dialer, acquire } = setup({ maxConnsPerHost: 1, maxConnections: 1, maxPending: 1 })
    const a = acquire()
    const b = acquire()
    b.catch(() => {})
    const c = acquire()
    await expect(c).rejects.toMatchObject({ code: 'ERR_POOL_EXHAUSTED', reason: 'queue_full' })
    await tick()
    dialer.pending()[0]?.succeed()
    await a
    expect(b).toBeInstanceOf(Promise)
  })

  it('a host never connected to gets one dial until the ALPN answer; http/1.1 then opens more, h2 multiplexes', async () => {
    for (const h2 of [false, true]) {
      const { dialer, acquire } = setup({ maxConnsPerHost: 4, maxConnections: 4 }, ['10.0.0.1'], ['a.test'], false)
      const borrows = [acquire(), acquire(), acquire()]
      await tick()
      expect(dialer.pending()).toHaveLength(1)
      dialer.pending()[0]!.succeed(h2 ? channel(true, 100) : channel())
      await tick()
      expect(dialer.pending(), h2 ? 'h2' : 'http/1.1').toHaveLength(h2 ? 0 : 2)
      for (const d of dialer.pending()) d.succeed()
      const conns = await Promise.all(borrows)
      expect(new Set(conns).size).toBe(h2 ? 1 : 3)
    }
  })

  it('max_pending = 0 on a cold pool: opens up to the caps, then refuses at once', async () => {
    const { dialer, acquire, borrower, host } = setup({ maxConnsPerHost: 3, maxConnections: 3, maxPending: 0 })
    const borrows = [acquire(), acquire(), acquire()]
    await tick()
    expect(dialer.pending()).toHaveLength(3)
    await expect(acquire()).rejects.toBeInstanceOf(PoolExhaustedError)
    for (const d of dialer.pending()) d.succeed()
    const conns = await Promise.all(borrows)
    expect(new Set(conns).size).toBe(3)
    expect(borrower.hasRoom(host)).toBe(false)
    borrower.requite(conns[0] as Connection, { reusable: true, statusCode: 200 })
    expect((await acquire()).state).toBe('in_use') // an idle one is taken, no wait
  })

  it('pending_timeout rejects a waiter with ERR_POOL_EXHAUSTED (timeout); an abort rejects with the reason', async () => {
    const { acquire, warm, host } = setup({ maxConnsPerHost: 1, maxConnections: 1, pendingTimeoutMs: 30 })
    await warm('10.0.0.1')
    await acquire()
    await expect(acquire()).rejects.toMatchObject({ code: 'ERR_POOL_EXHAUSTED', reason: 'timeout' })
    const ac = new AbortController()
    const aborted = acquire({ signal: ac.signal })
    await tick()
    ac.abort(new Error('user gave up'))
    await expect(aborted).rejects.toThrow('user gave up')
    expect(host.waiters.size).toBe(0)
  })

  it('close while waiting: waiters fail with ERR_POOL_CLOSED, a dial that lands later is closed', async () => {
    const { dialer, acquire, borrower, ledger, host } = setup({ maxConnsPerHost: 1, maxConnections: 1 })
    const waiting = acquire()
    await tick()
    const closed = ledger.shutdown()
    borrower.rejectAll(new PoolClosedError())
    await expect(waiting).rejects.toBeInstanceOf(PoolClosedError)
    await expect(acquire()).rejects.toBeInstanceOf(PoolClosedError)
    const dial = dialer.pending()[0] as Dial
    dial.succeed()
    await tick()
    expect(dialer.closed).toEqual([{ ip: dial.ip, reason: 'pool_closed' }])
    await closed
    expect(host.total).toBe(0)
  })

  it('fresh: a keep-alive-race retry gets a connection opened after it asked, never an old idle one', async () => {
    const { dialer, acquire, warm, host, borrower } = setup({ maxConnsPerHost: 3 })
    const old = await warm('10.0.0.1', '10.0.0.2')
    const retry = acquire({ fresh: true, avoidIp: '10.0.0.1' })
    await tick()
    expect(dialer.pending().map((d) => d.ip)).toEqual(['10.0.0.2'])
    // An ordinary request meanwhile still takes an old idle connection.
    const plain = await acquire()
    expect(old).toContain(plain)
    dialer.pending()[0]?.succeed()
    const conn = await retry
    expect(old).not.toContain(conn)
    expect(conn.requests).toBe(0)
    borrower.requite(conn, { reusable: true, statusCode: 200 })
    expect(host.idle).toBe(2)
  })

  it('fresh at the cap: an idle connection is closed to make room for a new one', async () => {
    const { dialer, acquire, warm } = setup({ maxConnsPerHost: 2, maxConnections: 2 })
    const old = await warm('10.0.0.1', '10.0.0.2')
    const retry = acquire({ fresh: true })
    await tick()
    expect(dialer.closed).toHaveLength(1)
    expect(dialer.closed[0]?.reason).toBe('evicted')
    await tick()
    expect(dialer.pending()).toHaveLength(1)
    dialer.pending()[0]?.succeed()
    expect(old).not.toContain(await retry)
  })

  it('fresh in a saturated pool: the requests behind it do not take every released connection', async () => {
    const { dialer, acquire, warm, borrower, host } = setup({ maxConnsPerHost: 2, maxConnections: 2 })
    await warm('10.0.0.1', '10.0.0.2')
    const [x, y] = [await acquire(), await acquire()]
    const fresh = acquire({ fresh: true })
    const behind = acquire()
    await tick()
    expect(host.waiters.size).toBe(2)
    borrower.requite(x, { reusable: true, statusCode: 200 })
    // x is not fresh: it is closed to make room instead of going to the request behind.
    expect(dialer.closed).toEqual([{ ip: x.ip, reason: 'evicted' }])
    await tick()
    expect(dialer.pending()).toHaveLength(1)
    dialer.pending()[0]?.succeed()
    const conn = await fresh
    expect([x, y]).not.toContain(conn)
    borrower.requite(y, { reusable: true, statusCode: 200 })
    expect(await behind).toBe(y)
  })

  it('HTTP/2: one connection serves waiters up to its stream limit; fresh takes it only once proven since', async () => {
    const { dialer, acquire, borrower, host } = setup({ maxConnsPerHost: 1, maxConnections: 1 }, ['10.0.0.1'])
    const borrows = [acquire(), acquire(), acquire()]
    await tick()
    expect(dialer.pending()).toHaveLength(1)
    dialer.pending()[0]?.succeed(channel(true, 2))
    const [x, y] = await Promise.all(borrows.slice(0, 2))
    expect(x).toBe(y)
    expect(x?.streams).toBe(2)
    expect(host.waiters.size).toBe(1)
    borrower.requite(x as Connection, { reusable: true, statusCode: 200 })
    expect(await borrows[2]).toBe(x)
    const fresh = acquire({ fresh: true })
    await tick()
    expect(host.waiters.size).toBe(1) // proven before it asked: not yet
    borrower.requite(x as Connection, { reusable: true, statusCode: 200 }) // a response completes now
    expect(await fresh).toBe(x)
  })

  it('connect failures fail the head waiter only when every IP fails', async () => {
    const { dialer, acquire } = setup({ maxConnsPerHost: 4 })
    const req = acquire().then(
      () => null,
      (e: unknown) => e,
    )
    await tick()
    const first = dialer.pending()
    expect(first).toHaveLength(1)
    first[0]?.fail()
    await tick()
    // The other IP is tried; it fails too, then the retried first one: the request fails with the error.
    for (let i = 0; i < 3 && dialer.pending().length > 0; i++) {
      dialer.pending()[0]?.fail(new Error('ECONNREFUSED'))
      await tick()
    }
    expect(await req).toMatchObject({ message: 'ECONNREFUSED' })
    expect(dialer.dials.map((d) => d.ip)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.1'])
  })

  it('a dead idle connection is closed when found and never lent', async () => {
    const { acquire, warm, dialer } = setup({ maxConnsPerHost: 4 }, ['10.0.0.1'])
    const [dead, live] = await warm('10.0.0.1', '10.0.0.1')
    ;(live?.channel as FakeChannel).alive = false // the top of the stack died
    const conn = await acquire()
    expect(conn).toBe(dead)
    expect(dialer.closed).toEqual([{ ip: '10.0.0.1', reason: 'peer' }])
  })

  it('takeNow: checks out an idle connection at once, else null for acquire to handle', async () => {
    const { borrower, host, warm, dialer, ledger } = setup({ maxConnsPerHost: 4 }, ['10.0.0.1'])
    expect(borrower.takeNow(host, {})).toBeNull() // nothing idle: no dial either
    expect(dialer.pending()).toHaveLength(0)
    const [a, b] = await warm('10.0.0.1', '10.0.0.1')
    const taken = borrower.takeNow(host, {})
    expect(taken).toBe(b) // LIFO, as acquire
    expect(taken?.state).toBe('in_use')
    expect(borrower.takeNow(host, { signal: AbortSignal.abort() })).toBeNull()
    ;(a?.channel as FakeChannel).alive = false
    expect(borrower.takeNow(host, {})).toBeNull() // the dead one is closed, never lent
    expect(dialer.closed).toEqual([{ ip: '10.0.0.1', reason: 'peer' }])
    host.resolved = false
    expect(borrower.takeNow(host, {})).toBeNull()
    host.resolved = true
    borrower.requite(taken!, { reusable: true, statusCode: 200 })
    void ledger.shutdown()
    expect(borrower.takeNow(host, {})).toBeNull() // closed: acquire rejects with ERR_POOL_CLOSED
  })
})
