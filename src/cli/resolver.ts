/**
 * `--resolve host=ip[,ip...]`: a pool Resolver that answers pinned hosts with fixed addresses
 * and asks a fallback resolver for every other host.
 */
import { isIP } from 'node:net'
import { InvalidArgumentError } from '../errors.js'
import type { Resolution, Resolver } from '../pool/index.js'

/** Pinned addresses by lower-case host name. */
export type Pins = ReadonlyMap<string, readonly string[]>

const HOST = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i

/**
 * Parses `--resolve` values ("tiles.test=127.0.0.2,127.0.0.3"); a host given twice gets the
 * union of its addresses.
 * @throws InvalidArgumentError naming the bad entry
 */
export function parsePins(entries: readonly string[]): Map<string, string[]> {
  const pins = new Map<string, string[]>()
  for (const entry of entries) {
    const eq = entry.indexOf('=')
    const host = (eq < 0 ? '' : entry.slice(0, eq)).trim().toLowerCase().replace(/\.$/, '')
    const ips =
      eq < 0
        ? []
        : entry
            .slice(eq + 1)
            .split(',')
            .map((s) => s.trim())
    if (eq < 0 || !HOST.test(host) || isIP(host) !== 0) {
      throw new InvalidArgumentError(
        `--resolve must be host=ip[,ip...] with a host name (e.g. tiles.test=127.0.0.2,127.0.0.3), got ${JSON.stringify(entry)}`,
      )
    }
    const bad = ips.find((ip) => isIP(ip.replace(/^\[(.*)\]$/, '$1')) === 0)
    if (bad !== undefined)
      throw new InvalidArgumentError(`--resolve ${JSON.stringify(entry)}: ${JSON.stringify(bad)} is not an IP address`)
    const list = pins.get(host) ?? []
    for (const ip of ips.map((s) => s.replace(/^\[(.*)\]$/, '$1'))) if (!list.includes(ip)) list.push(ip)
    pins.set(host, list)
  }
  return pins
}

/**
 * A Resolver answering `pins` (TTL Infinity: pinned addresses never change) and delegating
 * every other host to `fallback`, which is created on first use.
 */
export function pinnedResolver(pins: Pins, fallback: () => Resolver): Resolver {
  let other: Resolver | undefined
  return {
    resolve(host: string): Promise<Resolution> {
      const ips = pins.get(host.toLowerCase().replace(/\.$/, ''))
      if (ips === undefined) {
        other ??= fallback()
        return other.resolve(host)
      }
      const addresses = ips.map((address) => ({
        address,
        family: isIP(address) === 6 ? (6 as const) : (4 as const),
        ttlMs: Infinity,
      }))
      return Promise.resolve({ addresses, minTtlMs: Infinity })
    },
  }
}
