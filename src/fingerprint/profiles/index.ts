/** The built-in browser profiles, by name. */
import type { ProfileName } from '../../config/index.js'
import { InvalidArgumentError } from '../../errors.js'
import type { HttpProfile } from '../http.js'
import type { ClientHelloSpec } from '../spec.js'
import { chrome, chromeHttp } from './chrome.js'
import { firefox, firefoxHttp } from './firefox.js'

/** The profile table: one entry per name of the config's PROFILE_NAMES, no more (checked by the type). */
const profiles: { readonly [N in ProfileName]: ClientHelloSpec } = { chrome, firefox }

/** Names accepted by `getProfile`, e.g. `['chrome', 'firefox']`. */
export const profileNames = Object.keys(profiles) as ProfileName[]

/**
 * The built-in profile called `name`.
 * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for an unknown name; the message lists the known ones.
 */
export function getProfile(name: string): ClientHelloSpec {
  const spec = Object.hasOwn(profiles, name) ? profiles[name as ProfileName] : undefined
  if (spec === undefined) {
    throw new InvalidArgumentError(
      `unknown TLS profile ${JSON.stringify(name)}; known profiles: ${profileNames.join(', ')}`,
    )
  }
  return spec
}

const httpProfiles: ReadonlyMap<string, HttpProfile> = new Map([
  [chromeHttp.name, chromeHttp],
  [firefoxHttp.name, firefoxHttp],
])

/**
 * The HTTP side (HTTP/2 fingerprint, default headers) of the built-in profile called `name`.
 * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for an unknown name.
 */
export function getHttpProfile(name: string): HttpProfile {
  const p = httpProfiles.get(name)
  if (p === undefined) {
    throw new InvalidArgumentError(
      `unknown HTTP profile ${JSON.stringify(name)}; known profiles: ${[...httpProfiles.keys()].join(', ')}`,
    )
  }
  return p
}

export { chrome, chromeHttp, firefox, firefoxHttp }
