/**
 * The flags `hotconn fetch` and `hotconn warm` share to build a pool:
 *
 *   --config F            TOML config file (defaults for absent keys)
 *   --profile P           TLS fingerprint profile (overrides tls.profile)
 *   --ca F                PEM trust anchors replacing the system roots
 *   --insecure            do not verify the server certificate (tls.verify = false)
 *   --resolve host=ip,... pin a host to addresses (repeatable); other hosts use DNS
 *   --dns-server ip:port  DNS server (repeatable; overrides dns.servers)
 *   --headers-timeout D   deadline for a response head, e.g. 10s (overrides pool.headers_timeout)
 *   --body-timeout D      deadline between body chunks, e.g. 10s (overrides pool.body_timeout)
 *   --proxy, --local-address, --proxy-resolve, --rotation: the egress (egress-flags.ts)
 *
 * Every value is checked before anything connects; errors are InvalidArgumentError (exit 2).
 */
import { readFile } from 'node:fs/promises'
import {
  configToInput,
  isProfileName,
  loadConfig,
  PROFILE_NAMES,
  resolveConfig,
  type Config,
  type ConfigInput,
} from '../config/index.js'
import { parseServer } from '../config/values.js'
import { ConfigError, InvalidArgumentError } from '../errors.js'
import { DnsResolver } from '../pool/dns.js'
import { TlsCertificateError } from '../tls/cert/errors.js'
import { errorMessage as utilErrorMessage } from '../util/error-code.js'
import type { HotConnPoolOptions } from '../pool/index.js'
import { EGRESS_FLAG_HELP, EGRESS_FLAG_OPTIONS, egressFromFlags, type EgressFlags } from './egress-flags.js'
import { parsePins, pinnedResolver } from './resolver.js'

/** parseArgs option descriptors of the shared flags. */
export const POOL_FLAG_OPTIONS = {
  config: { type: 'string' },
  profile: { type: 'string' },
  ca: { type: 'string' },
  insecure: { type: 'boolean', default: false },
  resolve: { type: 'string', multiple: true },
  'dns-server': { type: 'string', multiple: true },
  ...EGRESS_FLAG_OPTIONS,
  'headers-timeout': { type: 'string' },
  'body-timeout': { type: 'string' },
} as const

export const POOL_FLAG_HELP = `  --config <file>           TOML configuration (see config/config.toml)
  --profile <name>          TLS fingerprint profile: ${PROFILE_NAMES.join(', ')}
  --ca <file>               PEM file of trusted CAs (replaces the default roots)
  --insecure                do not verify the server certificate
  --resolve <host=ip,...>   answer <host> with these addresses (repeatable)
  --dns-server <ip:port>    DNS server to ask (repeatable; default: config, else the system resolver)
  --headers-timeout <dur>   give up on a response head after this long, e.g. 10s (default: config, else 30s)
  --body-timeout <dur>      give up on a body that sends nothing for this long (default: config, else 30s)
${EGRESS_FLAG_HELP}`

/** The shared flags as parseArgs returns them. */
export interface PoolFlags extends EgressFlags {
  config?: string | undefined
  profile?: string | undefined
  ca?: string | undefined
  insecure?: boolean | undefined
  resolve?: string[] | undefined
  'dns-server'?: string[] | undefined
  'headers-timeout'?: string | undefined
  'body-timeout'?: string | undefined
}

/** A resolved Config plus the pool plug-ins the flags set; pass it to `new HotConnPool()`. */
export type PoolSetup = Config & Pick<HotConnPoolOptions, 'ca' | 'resolver'>

/** Optional pool keys a command sets on top of the config (e.g. warm_conns_per_ip). */
export type PoolOverrides = NonNullable<ConfigInput['pool']>

async function readCa(file: string): Promise<string> {
  let pem: string
  try {
    pem = await readFile(file, 'utf8')
  } catch (err) {
    throw new InvalidArgumentError(
      `--ca: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a PEM file of CA certificates`,
    )
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new InvalidArgumentError(`--ca: ${file} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`)
  }
  return pem
}

/**
 * Checks the shared flags and builds HotConnPool options from them (config file, then flags,
 * then `overrides` for pool keys the command needs).
 * @throws InvalidArgumentError for a bad flag or an invalid config file (the message names it)
 */
export async function poolOptionsFromFlags(flags: PoolFlags, overrides: PoolOverrides = {}): Promise<PoolSetup> {
  if (flags.profile !== undefined && !isProfileName(flags.profile)) {
    throw new InvalidArgumentError(
      `--profile must be one of ${PROFILE_NAMES.join(', ')}, got ${JSON.stringify(flags.profile)}`,
    )
  }
  const servers = flags['dns-server'] ?? []
  for (const s of servers) {
    if (parseServer(s) === undefined)
      throw new InvalidArgumentError(
        `--dns-server must be ip or ip:port (e.g. 127.0.0.1:5353, [::1]:53), got ${JSON.stringify(s)}`,
      )
  }
  const pins = parsePins(flags.resolve ?? [])
  const ca = flags.ca === undefined ? undefined : await readCa(flags.ca)

  let config: Config
  try {
    const base = flags.config === undefined ? {} : configToInput(await loadConfig(flags.config))
    config = resolveConfig({
      ...base,
      pool: {
        ...base.pool,
        ...(flags['headers-timeout'] === undefined
          ? {}
          : { headersTimeoutMs: durationFlag('--headers-timeout', flags['headers-timeout']) }),
        ...(flags['body-timeout'] === undefined
          ? {}
          : { bodyTimeoutMs: durationFlag('--body-timeout', flags['body-timeout']) }),
        ...overrides,
      },
      tls: {
        ...base.tls,
        ...(flags.profile === undefined ? {} : { profile: flags.profile }),
        ...(flags.insecure === true ? { verify: false } : {}),
      },
      dns: { ...base.dns, ...(servers.length === 0 ? {} : { servers }) },
      egress: egressFromFlags(flags, base.egress),
    })
  } catch (err) {
    if (err instanceof ConfigError)
      throw new InvalidArgumentError(`${flags.config === undefined ? '' : `--config ${flags.config}: `}${err.message}`)
    throw err
  }

  const options: PoolSetup = { ...config }
  if (ca !== undefined) options.ca = ca
  if (pins.size > 0) options.resolver = pinnedResolver(pins, () => new DnsResolver(config.dns))
  return options
}

/** A duration flag ("10s", "1500ms"), read as the config reads durations. @throws InvalidArgumentError */
function durationFlag(flag: string, text: string): number {
  try {
    return resolveConfig({ pool: { headersTimeoutMs: text } }).pool.headersTimeoutMs
  } catch {
    throw new InvalidArgumentError(
      `${flag} must be a positive duration such as "500ms", "10s" or "1m", got ${JSON.stringify(text)}`,
    )
  }
}

/** `https://host[:port]` of a URL given on the command line. @throws InvalidArgumentError */
export function parseHttpsUrl(text: string, what = 'URL'): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidArgumentError(`${what} ${JSON.stringify(text)} is not a URL; give https://host[:port]/path`)
  }
  if (url.protocol !== 'https:')
    throw new InvalidArgumentError(
      `${what} ${JSON.stringify(text)}: only https:// URLs are supported (the pool speaks TLS)`,
    )
  return url
}

/** A positive integer flag ("-n 10"). @throws InvalidArgumentError */
export function positiveInt(flag: string, text: string | undefined, fallback: number, max = 1_000_000): number {
  if (text === undefined) return fallback
  const n = Number(text)
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new InvalidArgumentError(`${flag} must be an integer from 1 to ${max}, got ${JSON.stringify(text)}`)
  }
  return n
}

export { errorCode } from '../util/error-code.js'

/**
 * The useful message of an error (looking through fetch's "fetch failed" causes), with a certificate error's
 * advice in the CLI's terms (--ca, --insecure) instead of the library's options.
 */
export function errorMessage(err: unknown): string {
  let e: unknown = err
  for (let depth = 0; depth < 8 && e !== null && typeof e === 'object'; depth++) {
    if (e instanceof TlsCertificateError) return e.messageFor('cli')
    e = (e as { cause?: unknown }).cause
  }
  return utilErrorMessage(err)
}
