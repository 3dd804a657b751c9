/**
 * The egress flags `hotconn fetch`, `warm` and `tiles` share:
 *
 *   --proxy URL             leave through this proxy (repeatable: rotated); overrides egress.proxies
 *   --local-address IP      bind this source address (repeatable: rotated); overrides egress.local_addresses
 *   --proxy-resolve MODE    through HTTP proxies: local (per-IP pools) or proxy (by name)
 *   --rotation POLICY       round-robin, random or sticky
 *
 * Checked before anything connects; errors are InvalidArgumentError (exit 2).
 */
import { isIP } from 'node:net'
import { parseProxyUrl, PROXY_RESOLVE, ROTATIONS, type ConfigInput } from '../config/index.js'
import { redact } from '../egress/index.js'
import { InvalidArgumentError } from '../errors.js'

export const EGRESS_FLAG_OPTIONS = {
  proxy: { type: 'string', multiple: true },
  'local-address': { type: 'string', multiple: true },
  'proxy-resolve': { type: 'string' },
  rotation: { type: 'string' },
} as const

export const EGRESS_FLAG_HELP = `  --proxy <url>             leave through this proxy (repeatable: rotated): http://[user:pass@]host:port,
                            https://…, socks5://… (resolved here), socks5h://… (resolved by the proxy)
  --local-address <ip>      bind this local source address (repeatable: rotated)
  --proxy-resolve <mode>    through http(s) proxies: local (CONNECT to each IP, default) or proxy (by name)
  --rotation <policy>       how requests take turns on proxies/addresses: ${ROTATIONS.join(', ')}
`

export interface EgressFlags {
  proxy?: string[] | undefined
  'local-address'?: string[] | undefined
  'proxy-resolve'?: string | undefined
  rotation?: string | undefined
}

function oneOf<T extends string>(flag: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined
  if (!(choices as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`${flag} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`)
  }
  return value as T
}

/** The `[egress]` keys the flags set over `base` (a loaded config's egress section). @throws InvalidArgumentError */
export function egressFromFlags(
  flags: EgressFlags,
  base: ConfigInput['egress'] = {},
): NonNullable<ConfigInput['egress']> {
  for (const url of flags.proxy ?? []) {
    const parsed = parseProxyUrl(url)
    if (typeof parsed === 'string') throw new InvalidArgumentError(`--proxy ${JSON.stringify(redact(url))} ${parsed}`)
  }
  for (const address of flags['local-address'] ?? []) {
    if (isIP(address) === 0) {
      throw new InvalidArgumentError(`--local-address must be an IPv4 or IPv6 address, got ${JSON.stringify(address)}`)
    }
  }
  const resolve = oneOf('--proxy-resolve', flags['proxy-resolve'], PROXY_RESOLVE)
  const rotation = oneOf('--rotation', flags.rotation, ROTATIONS)
  return {
    ...base,
    ...(flags.proxy !== undefined ? { proxies: flags.proxy } : {}),
    ...(flags['local-address'] !== undefined ? { localAddresses: flags['local-address'] } : {}),
    ...(resolve !== undefined ? { resolve } : {}),
    ...(rotation !== undefined ? { rotation } : {}),
  }
}
