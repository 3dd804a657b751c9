/**
 * Reduced User-Agent strings (facts from the browsers' sources, not captures of other machines):
 *  - Chromium: `content/public/common/user_agent.h`, `frozen_user_agent_strings`: desktop
 *    `Mozilla/5.0 (<unifiedPlatform>) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/<major>.0.0.0
 *    Safari/537.36`, Android the same with `Mobile ` before `Safari`; unified platforms
 *    "Windows NT 10.0; Win64; x64", "Macintosh; Intel Mac OS X 10_15_7", "X11; Linux x86_64",
 *    "Linux; Android 10; K" (User-Agent reduction, Chrome 110+ desktop, 113+ Android).
 *  - Edge: Chromium's string followed by ` Edg/<major>.0.0.0` (Microsoft Learn, "User-Agent strings
 *    and Client Hints in Microsoft Edge": reduced UA since Edge 110).
 *  - Firefox: `Mozilla/5.0 (<platform>; rv:<major>.0) Gecko/20100101 Firefox/<major>.0` with
 *    platform "Windows NT 10.0; Win64; x64", "Macintosh; Intel Mac OS X 10.15", "X11; Linux x86_64"
 *    (Gecko `netwerk/protocol/http/nsHttpHandler.cpp` and MDN "User-Agent: Firefox"; macOS frozen at
 *    10.15, Windows at 10.0). Checked: Firefox ESR 153.8 on Linux sends exactly the Linux form.
 * The Linux Chromium and Firefox strings were checked against the Xvfb captures in
 * `test/fixtures/captures/*-requests/`.
 */

/** Operating systems an identity can claim. */
export type OperatingSystem = 'windows' | 'macos' | 'linux' | 'android'

/** Chromium's `kUnifiedPlatform*` tokens. */
export const CHROMIUM_UNIFIED_PLATFORM: Readonly<Record<OperatingSystem, string>> = {
  windows: 'Windows NT 10.0; Win64; x64',
  macos: 'Macintosh; Intel Mac OS X 10_15_7',
  linux: 'X11; Linux x86_64',
  android: 'Linux; Android 10; K',
}

/** `Sec-CH-UA-Platform` values (Chromium `GetPlatformForUAMetadata`: version_info::GetOSType, "macOS" on Mac). */
export const CHROMIUM_UA_PLATFORM: Readonly<Record<OperatingSystem, string>> = {
  windows: 'Windows',
  macos: 'macOS',
  linux: 'Linux',
  android: 'Android',
}

/** Gecko's platform token of the UA string (no Android identity is shipped for Firefox). */
export const FIREFOX_PLATFORM: Readonly<Record<Exclude<OperatingSystem, 'android'>, string>> = {
  windows: 'Windows NT 10.0; Win64; x64',
  macos: 'Macintosh; Intel Mac OS X 10.15',
  linux: 'X11; Linux x86_64',
}

/** Chrome's reduced UA for `os`, e.g. `… Chrome/156.0.0.0 Safari/537.36`. */
export function chromeUserAgent(major: number, os: OperatingSystem): string {
  const mobile = os === 'android' ? 'Mobile ' : ''
  return `Mozilla/5.0 (${CHROMIUM_UNIFIED_PLATFORM[os]}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.0.0 ${mobile}Safari/537.36`
}

/** Edge's reduced UA: Chrome's followed by ` Edg/<major>.0.0.0`. */
export function edgeUserAgent(major: number, os: OperatingSystem): string {
  return `${chromeUserAgent(major, os)} Edg/${major}.0.0.0`
}

/** Firefox's UA for `os`. */
export function firefoxUserAgent(major: number, os: Exclude<OperatingSystem, 'android'>): string {
  return `Mozilla/5.0 (${FIREFOX_PLATFORM[os]}; rv:${major}.0) Gecko/20100101 Firefox/${major}.0`
}

/** Operating systems a User-Agent string may name (`ios` and `chromeos` have no identity). */
export type UserAgentOs = OperatingSystem | 'ios' | 'chromeos'

/** The OS a User-Agent string names, by its platform token; undefined for one hotconn does not know. */
export function osOfUserAgent(ua: string): UserAgentOs | undefined {
  if (/iPhone|iPad|iPod/.test(ua)) return 'ios'
  if (/Android/.test(ua)) return 'android'
  if (/Windows/.test(ua)) return 'windows'
  if (/Macintosh|Mac OS X/.test(ua)) return 'macos'
  if (/CrOS/.test(ua)) return 'chromeos'
  if (/Linux|X11/.test(ua)) return 'linux'
  return undefined
}
