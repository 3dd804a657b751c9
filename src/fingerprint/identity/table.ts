/**
 * The shipped request identities, by name (`<browser>-<major>-<os>`), and their `-latest` aliases.
 *
 * A row names the browser, version and OS; the engine data (ClientHello, HTTP/2 first flight,
 * per-destination header plans) comes from the captures of that engine version, the UA string and
 * client hints from the vendors' sources (user-agent.ts, client-hints.ts). A new browser version is
 * a new row (and, only if the capture shows a change, a new engine entry): see docs/identities.md.
 */
import { InvalidArgumentError } from '../../errors.js'
import { chrome } from '../profiles/chrome.js'
import { firefox } from '../profiles/firefox.js'
import type { ClientHelloSpec } from '../spec.js'
import type { Http2Fingerprint } from '../http.js'
import { CHROMIUM_156_HTTP2, chromium156Destinations } from './chromium.js'
import { FIREFOX_153_HTTP2, firefox153Destinations } from './firefox.js'
import { chromiumBrands, secChUa, secChUaMobile, secChUaPlatform, type ClientHints } from './client-hints.js'
import {
  CHROMIUM_UA_PLATFORM,
  chromeUserAgent,
  edgeUserAgent,
  firefoxUserAgent,
  type OperatingSystem,
} from './user-agent.js'
import type { Browser, Destination, DestinationHeaders, RequestIdentity } from './types.js'

/** Engine data shared by every identity built on one captured engine version. */
interface Engine {
  readonly tls: ClientHelloSpec
  readonly http2: Http2Fingerprint
  readonly source: string
}

const ENGINES = {
  'chromium-156': {
    tls: chrome,
    http2: CHROMIUM_156_HTTP2,
    source:
      'Chromium 156.0.8078.114 captures (test/fixtures/captures/chromium-156, chromium-156-requests); UA: content/public/common/user_agent.h; brands: components/embedder_support/user_agent_utils.cc',
  },
  'firefox-153': {
    tls: firefox,
    http2: FIREFOX_153_HTTP2,
    source:
      'Firefox ESR 153.8.0esr captures (test/fixtures/captures/firefox-esr-153, firefox-esr-153-requests); UA: Gecko nsHttpHandler, MDN "User-Agent: Firefox"',
  },
} as const satisfies Record<string, Engine>

interface Row {
  readonly browser: Browser
  readonly version: number
  readonly os: OperatingSystem
  readonly engine: keyof typeof ENGINES
}

/** Every shipped identity. The keys are the names `IdentityName` is derived from. */
export const IDENTITY_TABLE = {
  'chrome-156-windows': { browser: 'chrome', version: 156, os: 'windows', engine: 'chromium-156' },
  'chrome-156-macos': { browser: 'chrome', version: 156, os: 'macos', engine: 'chromium-156' },
  'chrome-156-linux': { browser: 'chrome', version: 156, os: 'linux', engine: 'chromium-156' },
  'chrome-156-android': { browser: 'chrome', version: 156, os: 'android', engine: 'chromium-156' },
  'edge-156-windows': { browser: 'edge', version: 156, os: 'windows', engine: 'chromium-156' },
  'edge-156-macos': { browser: 'edge', version: 156, os: 'macos', engine: 'chromium-156' },
  'firefox-153-windows': { browser: 'firefox', version: 153, os: 'windows', engine: 'firefox-153' },
  'firefox-153-macos': { browser: 'firefox', version: 153, os: 'macos', engine: 'firefox-153' },
  'firefox-153-linux': { browser: 'firefox', version: 153, os: 'linux', engine: 'firefox-153' },
} as const satisfies Record<string, Row>

/**
 * Other names: `<browser>-latest-<os>` for the newest shipped version, and the names of the
 * profiles before identities existed (`chrome`, `firefox`), which now mean the default OS, Windows.
 */
export const IDENTITY_ALIASES = {
  'chrome-latest-windows': 'chrome-156-windows',
  'chrome-latest-macos': 'chrome-156-macos',
  'chrome-latest-linux': 'chrome-156-linux',
  'chrome-latest-android': 'chrome-156-android',
  'edge-latest-windows': 'edge-156-windows',
  'edge-latest-macos': 'edge-156-macos',
  'firefox-latest-windows': 'firefox-153-windows',
  'firefox-latest-macos': 'firefox-153-macos',
  'firefox-latest-linux': 'firefox-153-linux',
  chrome: 'chrome-156-windows',
  firefox: 'firefox-153-windows',
} as const satisfies Record<string, keyof typeof IDENTITY_TABLE>

/** A shipped identity's own name, e.g. `chrome-156-windows`. */
export type IdentityName = keyof typeof IDENTITY_TABLE
/** Every name `getIdentity` accepts: identity names and aliases. */
export type IdentityRef = IdentityName | keyof typeof IDENTITY_ALIASES

/** The identity used when none is configured. */
export const DEFAULT_IDENTITY = 'chrome-latest-windows' satisfies IdentityRef

export const IDENTITY_NAMES = Object.keys(IDENTITY_TABLE) as IdentityName[]
/** Identity names then aliases: everything `getIdentity` accepts. */
export const IDENTITY_REFS = [...IDENTITY_NAMES, ...Object.keys(IDENTITY_ALIASES)] as IdentityRef[]

const PRODUCT_BRAND: Readonly<Record<Browser, string | undefined>> = {
  chrome: 'Google Chrome',
  edge: 'Microsoft Edge',
  firefox: undefined,
}

function build(name: IdentityName, row: Row): RequestIdentity {
  const engine: Engine = ENGINES[row.engine]
  let userAgent: string
  let clientHints: ClientHints | undefined
  let destinations: Readonly<Record<Destination, DestinationHeaders>>
  if (row.browser === 'firefox') {
    if (row.os === 'android') throw new Error(`${name}: no Firefox Android identity is shipped`)
    userAgent = firefoxUserAgent(row.version, row.os)
    clientHints = undefined
    destinations = firefox153Destinations(userAgent)
  } else {
    userAgent = row.browser === 'edge' ? edgeUserAgent(row.version, row.os) : chromeUserAgent(row.version, row.os)
    clientHints = {
      brands: chromiumBrands(row.version, PRODUCT_BRAND[row.browser]),
      mobile: row.os === 'android',
      platform: CHROMIUM_UA_PLATFORM[row.os],
    }
    destinations = chromium156Destinations({
      userAgent,
      secChUa: secChUa(clientHints.brands),
      secChUaMobile: secChUaMobile(clientHints.mobile),
      secChUaPlatform: secChUaPlatform(clientHints.platform),
    })
  }
  return {
    name,
    browser: row.browser,
    version: row.version,
    os: row.os,
    source: engine.source,
    userAgent,
    tls: engine.tls,
    http2: engine.http2,
    clientHints,
    destinations,
    headers: { navigation: destinations.document, ...destinations },
  }
}

const built = new Map<IdentityName, RequestIdentity>()

/** Whether `name` is an identity name or alias. */
export function isIdentityRef(name: string): name is IdentityRef {
  return Object.hasOwn(IDENTITY_TABLE, name) || Object.hasOwn(IDENTITY_ALIASES, name)
}

/** The identity name an alias stands for (a name stands for itself). */
export function resolveIdentityName(ref: IdentityRef): IdentityName {
  return Object.hasOwn(IDENTITY_ALIASES, ref)
    ? IDENTITY_ALIASES[ref as keyof typeof IDENTITY_ALIASES]
    : (ref as IdentityName)
}

/**
 * The identity called `name` (an identity name or an alias), built once and frozen in shape.
 * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for an unknown name; the message lists the known ones.
 */
export function getIdentity(name: string): RequestIdentity {
  if (!isIdentityRef(name)) {
    throw new InvalidArgumentError(
      `unknown identity ${JSON.stringify(name)}; known identities: ${IDENTITY_REFS.join(', ')}`,
    )
  }
  const own = resolveIdentityName(name)
  let id = built.get(own)
  if (id === undefined) {
    id = build(own, IDENTITY_TABLE[own])
    built.set(own, id)
  }
  return id
}

/** True when A and B are the same type. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
/**
 * Compile-time check that config's `ProfileName` (config sits below fingerprint and keeps its own
 * list) is exactly the set of names this table accepts: adding a row without the name there, or the
 * other way round, fails the typecheck.
 */
const namesMatch: Same<import('../../config/keys.js').ProfileName, IdentityRef> = true
void namesMatch
