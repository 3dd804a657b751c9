/**
 * The built-in profiles by name. Since request identities (`../identity/`), a profile name is an
 * identity name or alias (`chrome-156-windows`, `chrome-latest-windows`, `chrome`, …): `getProfile`
 * gives its ClientHello, `getHttpProfile` the identity (HTTP/2 first flight, headers per destination).
 * `chrome` and `firefox` remain as aliases of `chrome-latest-windows` and `firefox-latest-windows`.
 */
import type { HttpProfile } from '../http.js'
import type { ClientHelloSpec } from '../spec.js'
import { chrome } from './chrome.js'
import { firefox } from './firefox.js'
import { IDENTITY_REFS, getIdentity, type IdentityRef } from '../identity/table.js'
import type { RequestIdentity } from '../identity/types.js'

/** Names accepted by `getProfile` and `getHttpProfile`: every identity name and alias. */
export const profileNames: readonly IdentityRef[] = IDENTITY_REFS

/**
 * The ClientHello of the identity called `name`.
 * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for an unknown name; the message lists the known ones.
 */
export function getProfile(name: string): ClientHelloSpec {
  return getIdentity(name).tls
}

/**
 * The identity called `name` as an HTTP profile (HTTP/2 fingerprint, default headers per request kind).
 * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for an unknown name.
 */
export function getHttpProfile(name: string): RequestIdentity & HttpProfile {
  return getIdentity(name)
}

/** The `chrome` and `firefox` identities (Windows) as HTTP profiles. */
export const chromeHttp: HttpProfile = getIdentity('chrome')
export const firefoxHttp: HttpProfile = getIdentity('firefox')

export { chrome, firefox }
