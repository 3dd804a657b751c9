/** The built-in browser profiles, by name. */
import { InvalidArgumentError } from '../../errors.js'
import type { ClientHelloSpec } from '../spec.js'
import { chrome } from './chrome.js'
import { firefox } from './firefox.js'

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
    throw new InvalidArgumentError(`unknown TLS profile ${JSON.stringify(name)}; known profiles: ${profileNames.join(', ')}`)
  }
  return spec
}

export { chrome, firefox }
