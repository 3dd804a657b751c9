/** The built-in browser profiles, by name. */
import { InvalidArgumentError } from '../../errors.js'
import type { HttpProfile } from '../http.js'
import type { ClientHelloSpec } from '../spec.js'
import { chrome, chromeHttp } from './chrome.js'
import { firefox, firefoxHttp } from './firefox.js'

const profiles: ReadonlyMap<string, ClientHelloSpec> = new Map([
  [chrome.name, chrome],
  [firefox.name, firefox],
])

/** Names accepted by `getProfile`, e.g. `['chrome', 'firefox']`. */
export const profileNames: readonly string[] = [...profiles.keys()]

/**
 * The built-in profile called `name`.
 * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for an unknown name; the message lists the known ones.
 */
export function getProfile(name: string): ClientHelloSpec {
  const spec = profiles.get(name)
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
