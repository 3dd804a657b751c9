/**
 * Local source addresses: the configured list plus addresses drawn from a prefix (the Go
 * original's LocalIPPool: an IPv6 /64 routed to the machine gives 2^64 source addresses), and the
 * turn-taking of sources for proxy connections.
 */
import { randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import { parseCidr } from '../config/index.js'
import { InvalidArgumentError } from '../errors.js'

/** Returns `size` random bytes (injectable for tests). */
export type RandomBytes = (size: number) => Uint8Array

function toBigInt(address: string): bigint {
  if (isIP(address) === 4) return address.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n)
  const [head = '', tail] = address.split('::')
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'))
  let h = groups(head)
  let t = tail === undefined ? [] : groups(tail)
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two groups.
  const v4 = (list: string[]): string[] => {
    const last = list[list.length - 1]
    if (last === undefined || isIP(last) !== 4) return list
    const n = Number(toBigInt(last))
    return [...list.slice(0, -1), (n >>> 16).toString(16), (n & 0xffff).toString(16)]
  }
  h = v4(h)
  t = v4(t)
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0')
  return [...h, ...fill, ...t].reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n)
}

function fromBigInt(n: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.')
  const groups: string[] = []
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((n >> s) & 0xffffn).toString(16))
  // Shortest form (RFC 5952 §4): the longest run of zero groups (2+) becomes "::".
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8;) {
    let j = i
    while (j < 8 && groups[j] === '0') j++
    if (j - i > bestLen) {
      best = i
      bestLen = j - i
    }
    i = j === i ? i + 1 : j
  }
  if (best < 0) return groups.join(':')
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`
}

/**
 * `count` distinct random addresses of `prefix` ("2001:db8:1::/64"), never the prefix's first
 * address (the subnet-router anycast address, RFC 4291 §2.6.1) nor, for IPv4, its last (broadcast).
 * @throws InvalidArgumentError for a malformed prefix or one too small for `count` addresses
 */
export function drawFromPrefix(prefix: string, count: number, random: RandomBytes = randomBytes): string[] {
  const cidr = parseCidr(prefix)
  if (typeof cidr === 'string') throw new InvalidArgumentError(`local prefix ${JSON.stringify(prefix)} ${cidr}`)
  const width = cidr.family === 4 ? 32 : 128
  const hostBits = BigInt(width - cidr.bits)
  const size = 1n << hostBits
  const usable = size - (cidr.family === 4 ? 2n : 1n)
  if (BigInt(count) > usable) {
    throw new InvalidArgumentError(
      `local prefix ${prefix} has ${usable} usable addresses, fewer than the ${count} asked (egress.local_prefix_addresses)`,
    )
  }
  const network = (toBigInt(cidr.address) >> hostBits) << hostBits
  const bytes = Number((hostBits + 7n) / 8n)
  const out = new Set<string>()
  // Rejection sampling; a loop bound keeps it finite whatever the randomness.
  for (let tries = 0; out.size < count && tries < count * 64 + 1024; tries++) {
    const host = [...random(bytes)].reduce((n, b) => (n << 8n) | BigInt(b), 0n) & (size - 1n)
    if (host === 0n || (cidr.family === 4 && host === size - 1n)) continue
    out.add(fromBigInt(network | host, cidr.family))
  }
  if (out.size < count) throw new InvalidArgumentError(`could not draw ${count} distinct addresses from ${prefix}`)
  return [...out]
}

/** Local addresses of the config: `local_addresses`, then `local_prefix_addresses` drawn from `local_prefix`. */
export function localAddressesOf(egress: {
  readonly localAddresses: readonly string[]
  readonly localPrefix: string | undefined
  readonly localPrefixAddresses: number
}): string[] {
  const drawn = egress.localPrefix === undefined ? [] : drawFromPrefix(egress.localPrefix, egress.localPrefixAddresses)
  return [...new Set([...egress.localAddresses, ...drawn])]
}

/** Source addresses taking turns (round-robin per address family) as the sources of proxy connections. */
export class SourceAddresses {
  readonly #byFamily = new Map<4 | 6, readonly string[]>()
  readonly #next = new Map<4 | 6, number>()

  constructor(addresses: readonly string[]) {
    for (const family of [4, 6] as const) {
      const list = addresses.filter((a) => isIP(a) === family)
      if (list.length > 0) this.#byFamily.set(family, list)
    }
  }

  get size(): number {
    let n = 0
    for (const list of this.#byFamily.values()) n += list.length
    return n
  }

  /** The next address that can reach `peer` (an IP; a name counts as IPv4), or undefined when none can. */
  next(peer: string): string | undefined {
    const family = isIP(peer) === 6 ? 6 : 4
    const list = this.#byFamily.get(family)
    if (list === undefined) return undefined
    const i = this.#next.get(family) ?? 0
    this.#next.set(family, (i + 1) % list.length)
    return list[i]
  }
}
