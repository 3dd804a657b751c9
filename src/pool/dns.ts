/**
 * DnsResolver: a host name -> every address (A and/or AAAA) with TTLs, for the pool.
 *
 * - With `servers` (e.g. ["127.0.0.1:5353"]): queries them with `node:dns/promises` `Resolver`
 *   (c-ares; `resolve4` / `resolve6` with `{ ttl: true }`), so record TTLs are known.
 * - Without servers: the system resolver, `dns.lookup(host, { all: true })` (getaddrinfo:
 *   /etc/hosts, then the system's DNS). It reports no TTL, so every address gets
 *   `systemTtlMs` (default DEFAULT_SYSTEM_TTL_MS = 60 s).
 * - IP literals ("127.0.0.2", "::1", "[::1]") are returned as they are, with TTL Infinity.
 * - "localhost" and names under ".localhost" answer 127.0.0.1 / ::1 without a query
 *   (RFC 6761 §6.3), TTL Infinity.
 *
 * Failures reject with DnsError (ERR_DNS) naming the host, the server and the resolver's code
 * (ENOTFOUND, ENODATA, ETIMEOUT, ECONNREFUSED, …); the underlying error is its `cause`.
 */

import { lookup } from 'node:dns/promises'
import { Resolver } from 'node:dns/promises'
import { isIP } from 'node:net'
import { parseServer } from '../config/values.js'
import { DnsError, InvalidArgumentError } from '../errors.js'
import type { Resolution, ResolvedAddress } from './options.js'

export interface DnsResolverOptions {
  /** DNS servers as "ip", "ip:port" or "[v6]:port"; empty or absent = the system resolver. */
  servers?: readonly string[]
  /** 4 = A only, 6 = AAAA only, 0 (default) = both. */
  family?: 0 | 4 | 6
  /** Per-try query timeout in ms (default 2000; servers only, and the system resolver's overall deadline is timeoutMs × tries). */
  timeoutMs?: number
  /** Attempts per query (default 2). */
  tries?: number
  /** TTL given to system-resolver answers, which carry none (ms, default 60 000). */
  systemTtlMs?: number
}

/** TTL assumed for system-resolver answers (ms). */
export const DEFAULT_SYSTEM_TTL_MS = 60_000
const DEFAULT_TIMEOUT_MS = 2_000
const DEFAULT_TRIES = 2

const ADVICE: Readonly<Record<string, string>> = {
  ENOTFOUND: 'the name does not exist (NXDOMAIN); check the host name',
  ENODATA: 'the name exists but has no address of the requested family; check the host name and dns.family',
  ETIMEOUT: 'no answer in time; check that the DNS server is running and reachable, or raise the timeout',
  ECONNREFUSED: 'the DNS server refused the connection; check dns.servers (address and port)',
  ESERVFAIL: 'the DNS server failed to answer (SERVFAIL); try again later or use another server',
  EREFUSED: 'the DNS server refused the query; check that it serves this name',
  ECANCELLED: 'the query was cancelled (the resolver is shutting down)',
  EAI_AGAIN: 'temporary failure of the system resolver; try again later',
}

/** Resolves host names to all of their addresses; see the module comment. */
export class DnsResolver {
  readonly servers: readonly string[]
  readonly family: 0 | 4 | 6
  readonly timeoutMs: number
  readonly tries: number
  readonly systemTtlMs: number
  readonly #resolver: Resolver | undefined

  /** @throws InvalidArgumentError for a malformed server, family, timeout, tries or TTL */
  constructor(options: DnsResolverOptions = {}) {
    const servers = [...(options.servers ?? [])]
    for (const s of servers) {
      if (typeof s !== 'string' || parseServer(s) === undefined) {
        throw new InvalidArgumentError(
          `servers must be "ip", "ip:port" or "[v6]:port" entries, got ${JSON.stringify(s)}`,
        )
      }
    }
    const family = options.family ?? 0
    if (family !== 0 && family !== 4 && family !== 6)
      throw new InvalidArgumentError(`family must be 0, 4 or 6, got ${String(family)}`)
    this.timeoutMs = positiveInt('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
    this.tries = positiveInt('tries', options.tries ?? DEFAULT_TRIES)
    this.systemTtlMs = positiveInt('systemTtlMs', options.systemTtlMs ?? DEFAULT_SYSTEM_TTL_MS)
    this.servers = Object.freeze(servers.map((s) => s.trim()))
    this.family = family
    if (servers.length > 0) {
      this.#resolver = new Resolver({ timeout: this.timeoutMs, tries: this.tries })
      this.#resolver.setServers(this.servers)
    }
  }

  /**
   * All addresses of `host`.
   * @throws InvalidArgumentError for an empty or malformed host
   * @throws DnsError (ERR_DNS) when resolution fails or yields no address
   */
  async resolve(host: string): Promise<Resolution> {
    const name = normalizeHost(host)
    const literal = isIP(name)
    if (literal !== 0) return finish([{ address: name, family: literal as 4 | 6, ttlMs: Infinity }])
    if (name === 'localhost' || name.endsWith('.localhost')) return this.#localhost()
    const addresses = this.#resolver === undefined ? await this.#system(name) : await this.#query(this.#resolver, name)
    if (addresses.length === 0) throw this.#error(name, undefined)
    return finish(addresses)
  }

  /** Cancels the queries in flight (they reject with DnsError ECANCELLED). */
  cancel(): void {
    this.#resolver?.cancel()
  }

  #localhost(): Resolution {
    const out: ResolvedAddress[] = []
    if (this.family !== 6) out.push({ address: '127.0.0.1', family: 4, ttlMs: Infinity })
    if (this.family !== 4) out.push({ address: '::1', family: 6, ttlMs: Infinity })
    return finish(out)
  }

  async #query(resolver: Resolver, name: string): Promise<ResolvedAddress[]> {
    const v4 = this.family !== 6 ? settle(resolver.resolve4(name, { ttl: true })) : undefined
    const v6 = this.family !== 4 ? settle(resolver.resolve6(name, { ttl: true })) : undefined
    const [r4, r6] = await Promise.all([v4, v6])
    const out: ResolvedAddress[] = []
    for (const a of r4?.value ?? []) out.push({ address: a.address, family: 4, ttlMs: a.ttl * 1000 })
    for (const a of r6?.value ?? []) out.push({ address: a.address, family: 6, ttlMs: a.ttl * 1000 })
    if (out.length > 0) return out
    // Prefer the more telling failure: a missing name or a dead server over "no AAAA record".
    const errors = [r4?.error, r6?.error].filter((e) => e !== undefined)
    const worst = errors.find((e) => errorCode(e) !== 'ENODATA') ?? errors[0]
    throw this.#error(name, worst)
  }

  async #system(name: string): Promise<ResolvedAddress[]> {
    const deadline = this.timeoutMs * this.tries
    let timer: NodeJS.Timeout | undefined
    try {
      // getaddrinfo cannot be cancelled; past the deadline its answer is ignored.
      const answers = await Promise.race([
        lookup(name, { all: true, family: this.family, verbatim: true }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(Object.assign(new Error(`lookup timed out after ${deadline} ms`), { code: 'ETIMEOUT' })),
            deadline,
          )
          timer.unref()
        }),
      ])
      return answers
        .filter((a) => a.family === 4 || a.family === 6)
        .map((a) => ({ address: a.address, family: a.family as 4 | 6, ttlMs: this.systemTtlMs }))
    } catch (err) {
      throw this.#error(name, err)
    } finally {
      clearTimeout(timer)
    }
  }

  #error(name: string, err: unknown): DnsError {
    const code = errorCode(err) ?? 'ENODATA'
    const via = this.servers.length > 0 ? `DNS server ${this.servers.join(', ')}` : 'the system resolver'
    const what = this.family === 0 ? 'A/AAAA' : this.family === 4 ? 'A' : 'AAAA'
    const advice = ADVICE[code] ?? 'check the host name and the dns settings'
    return new DnsError(`cannot resolve ${name} (${what}) via ${via}: ${code}; ${advice}`, { cause: err })
  }
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`)
  return value
}

/** "Tiles.Test." -> "tiles.test", "[::1]" -> "::1". */
function normalizeHost(host: string): string {
  if (typeof host !== 'string') throw new InvalidArgumentError(`host must be a string, got ${typeof host}`)
  let name = host.trim().toLowerCase()
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1)
  if (name.endsWith('.') && isIP(name.slice(0, -1)) === 0) name = name.slice(0, -1)
  if (name === '' || /[\s/?#@]/.test(name))
    throw new InvalidArgumentError(`host must be a host name or IP address, got ${JSON.stringify(host)}`)
  return name
}

/** Deduplicates, puts IPv4 first (stable), computes the minimum TTL. */
function finish(addresses: readonly ResolvedAddress[]): Resolution {
  const seen = new Set<string>()
  const unique = addresses.filter((a) => !seen.has(a.address) && seen.add(a.address) !== undefined)
  unique.sort((a, b) => a.family - b.family)
  return { addresses: unique, minTtlMs: Math.min(...unique.map((a) => a.ttlMs)) }
}

async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await p }
  } catch (error) {
    return { error }
  }
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? code : undefined
}
