/**
 * Crawlee's header generator options, honoured the one way that keeps a request a browser's: they
 * pick the hotconn identity the request goes out as, and that identity sends its own captured
 * headers (user-agent, client hints, accept, order), which match its ClientHello and HTTP/2 flight.
 * Headers a generator produces never reach the wire: a generated Chrome 120 UA over a Chrome 156
 * ClientHello, or Firefox's accept beside Chromium's client hints, is a set no browser sends.
 *
 *  - `useHeaderGenerator: false`: the client's identity, nothing else consulted;
 *  - `headerGeneratorOptions` (`browsers` as names or `{ name, minVersion, maxVersion }`,
 *    `operatingSystems`, `devices`): the client's identity when it fits them, else the first shipped
 *    identity (IDENTITY_TABLE order) that does;
 *  - `headerGenerator` (an object with `getHeaders(options)`): called once; the browser and OS of
 *    the user-agent it generates choose the identity (the shipped version of that browser), the
 *    rest of its headers is dropped.
 * Nothing shipped fits (Safari, iOS, a bot UA): IdentityMismatchError (ERR_IDENTITY_MISMATCH).
 */
import type { HttpRequest } from '@crawlee/core'
import type { ProfileName } from '../config/index.js'
import { IdentityMismatchError } from '../errors.js'
import { IDENTITY_TABLE, resolveIdentityName, type IdentityName } from '../fingerprint/identity/table.js'
import { osOfUserAgent } from '../fingerprint/identity/user-agent.js'

interface Wanted {
  browsers?: { name: string; minVersion?: number; maxVersion?: number }[]
  operatingSystems?: string[]
  devices?: string[]
}

const NAMES = Object.keys(IDENTITY_TABLE) as IdentityName[]

function fits(name: IdentityName, want: Wanted): boolean {
  const row = IDENTITY_TABLE[name]
  const device = row.os === 'android' ? 'mobile' : 'desktop'
  if (want.operatingSystems !== undefined && !want.operatingSystems.includes(row.os)) return false
  if (want.devices !== undefined && !want.devices.includes(device)) return false
  if (want.browsers === undefined) return true
  return want.browsers.some(
    (b) =>
      b.name === row.browser &&
      (b.minVersion === undefined || row.version >= b.minVersion) &&
      (b.maxVersion === undefined || row.version <= b.maxVersion),
  )
}

function list(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.length > 0 ? v.map((x) => String(x).toLowerCase()) : undefined
}

/** header-generator's options as a filter (unknown keys, e.g. `locales`, are ignored). */
function wantedOf(options: Record<string, unknown>): Wanted {
  const browsers = Array.isArray(options.browsers)
    ? (options.browsers as unknown[]).map((b) =>
        typeof b === 'object' && b !== null
          ? {
              name: String((b as { name?: unknown }).name).toLowerCase(),
              ...(typeof (b as { minVersion?: unknown }).minVersion === 'number'
                ? { minVersion: (b as { minVersion: number }).minVersion }
                : {}),
              ...(typeof (b as { maxVersion?: unknown }).maxVersion === 'number'
                ? { maxVersion: (b as { maxVersion: number }).maxVersion }
                : {}),
            }
          : { name: String(b).toLowerCase() },
      )
    : undefined
  const os = list(options.operatingSystems)
  const devices = list(options.devices)
  return {
    ...(browsers !== undefined && browsers.length > 0 ? { browsers } : {}),
    ...(os !== undefined ? { operatingSystems: os } : {}),
    ...(devices !== undefined ? { devices } : {}),
  }
}

/** The browser and OS a user-agent string names ('' when it names none hotconn knows). */
function parseUserAgent(ua: string): Wanted {
  const browser = /\bEdgA?\//.test(ua)
    ? 'edge'
    : /\bFirefox\//.test(ua)
      ? 'firefox'
      : /\bChrome\//.test(ua) && !/\bOPR\//.test(ua)
        ? 'chrome'
        : ''
  const os = osOfUserAgent(ua) ?? ''
  return { browsers: [{ name: browser }], operatingSystems: [os] }
}

function describeWanted(want: Wanted): string {
  const parts = [
    want.browsers?.map((b) => `${b.name || '?'}${b.minVersion ?? ''}${b.maxVersion ? `-${b.maxVersion}` : ''}`),
    want.operatingSystems,
    want.devices,
  ]
  return parts
    .filter((p) => p !== undefined)
    .map((p) => p!.join('|'))
    .join(' on ')
}

/**
 * The identity `request` goes out as (see the module comment); `own` is the client's.
 * @throws IdentityMismatchError when the generator asks for a browser hotconn ships no identity of.
 */
export function identityFor(request: HttpRequest<never>, own: ProfileName): ProfileName {
  if (request.useHeaderGenerator === false) return own
  const options = (request.headerGeneratorOptions ?? {}) as Record<string, unknown>
  let want: Wanted
  let source: string
  if (request.headerGenerator !== undefined && typeof request.headerGenerator.getHeaders === 'function') {
    const generated = request.headerGenerator.getHeaders(options)
    const ua = Object.entries(generated ?? {}).find(([k]) => k.toLowerCase() === 'user-agent')?.[1] ?? ''
    want = parseUserAgent(String(ua))
    source = `headerGenerator's user-agent ${JSON.stringify(ua)}`
  } else {
    want = wantedOf(options)
    source = 'headerGeneratorOptions'
  }
  if (want.browsers === undefined && want.operatingSystems === undefined && want.devices === undefined) return own
  const mine = resolveIdentityName(own as Parameters<typeof resolveIdentityName>[0])
  if (fits(mine, want)) return own
  const other = NAMES.find((n) => fits(n, want))
  if (other !== undefined) return other
  throw new IdentityMismatchError(
    `${source} asks for ${describeWanted(want)}, and hotconn ships no such browser identity (its headers must match ` +
      `its TLS ClientHello); ask for one of ${NAMES.join(', ')}, or set useHeaderGenerator: false`,
  )
}
