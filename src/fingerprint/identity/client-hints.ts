/**
 * User-Agent Client Hints of Chromium-based browsers: the `Sec-CH-UA` brand list with its GREASE
 * brand, `Sec-CH-UA-Mobile` and `Sec-CH-UA-Platform` (WICG UA-CH, "create arbitrary brands";
 * RFC 8941 structured-field serialisation).
 *
 * The brand list follows Chromium's `GenerateBrandVersionList` and `GetGreasedUserAgentBrandVersion`
 * (components/embedder_support/user_agent_utils.cc, the "updated" GREASE algorithm, on by default
 * since Chrome 103): seeded by the major version, a GREASE brand `Not<c1>A<c2>Brand` with
 * c1 = CHARS[seed % 11], c2 = CHARS[(seed + 1) % 11] and version VERSIONS[seed % 3]; with a product
 * brand the three entries (GREASE, "Chromium", product) are placed by permutation seed % 6; without
 * one (Chromium builds) GREASE goes to index seed % 2. Checked against captures: Chromium 156
 * `"Not:A-Brand";v="8", "Chromium";v="156"`; Edge 135 `"Microsoft Edge";v="135", "Not-A.Brand";v="8",
 * "Chromium";v="135"`.
 */

/** One brand/version pair of `Sec-CH-UA`. */
export interface UaBrand {
  readonly brand: string
  readonly version: string
}

/** The low-entropy client hints a Chromium browser sends on every request. */
export interface ClientHints {
  /** `Sec-CH-UA` brands in wire order. */
  readonly brands: readonly UaBrand[]
  /** `Sec-CH-UA-Mobile`: true for Android phones. */
  readonly mobile: boolean
  /** `Sec-CH-UA-Platform`: "Windows", "macOS", "Linux", "Android" (Chromium's GetPlatformForUAMetadata). */
  readonly platform: string
}

/** user_agent_utils.cc: `greasey_chars` of the updated algorithm. */
const GREASE_CHARS = [' ', '(', ':', '-', '.', '/', ')', ';', '=', '?', '_'] as const
/** user_agent_utils.cc: `greased_versions`. */
const GREASE_VERSIONS = ['8', '99', '24'] as const
/** user_agent_utils.cc: the six permutations of three entries, indexed by seed % 6. */
const ORDERS = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
] as const

/**
 * The `Sec-CH-UA` brand list of a Chromium-based browser of major version `major`, with product
 * brand `product` ("Google Chrome", "Microsoft Edge") or none (a Chromium build).
 * @throws RangeError when `major` is not a non-negative integer.
 */
export function chromiumBrands(major: number, product?: string): UaBrand[] {
  if (!Number.isInteger(major) || major < 0) throw new RangeError(`major version must be an integer >= 0, got ${major}`)
  const seed = major
  const grease: UaBrand = {
    brand: `Not${GREASE_CHARS[seed % GREASE_CHARS.length]}A${GREASE_CHARS[(seed + 1) % GREASE_CHARS.length]}Brand`,
    version: GREASE_VERSIONS[seed % GREASE_VERSIONS.length]!,
  }
  const chromium: UaBrand = { brand: 'Chromium', version: String(major) }
  if (product === undefined) {
    const list: UaBrand[] = []
    list[seed % 2] = grease
    list[(seed + 1) % 2] = chromium
    return list
  }
  const order = ORDERS[seed % ORDERS.length]!
  const list: UaBrand[] = []
  list[order[0]] = grease
  list[order[1]] = chromium
  list[order[2]] = { brand: product, version: String(major) }
  return list
}

/** An RFC 8941 sf-string: `"` and `\` escaped. */
function sfString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

/** `Sec-CH-UA` value: `"Not:A-Brand";v="8", "Chromium";v="156"`. */
export function secChUa(brands: readonly UaBrand[]): string {
  return brands.map((b) => `${sfString(b.brand)};v=${sfString(b.version)}`).join(', ')
}

/** `Sec-CH-UA-Mobile` value (`?1` / `?0`, an sf-boolean). */
export function secChUaMobile(mobile: boolean): string {
  return mobile ? '?1' : '?0'
}

/** `Sec-CH-UA-Platform` value, e.g. `"Windows"`. */
export function secChUaPlatform(platform: string): string {
  return sfString(platform)
}

/** Parses a `Sec-CH-UA` value back into brands (undefined when malformed). */
export function parseSecChUa(value: string): UaBrand[] | undefined {
  const out: UaBrand[] = []
  const re = /\s*"((?:[^"\\]|\\.)*)"\s*;\s*v\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/y
  let at = 0
  while (at < value.length) {
    re.lastIndex = at
    const m = re.exec(value)
    if (m === null) return undefined
    out.push({ brand: m[1]!.replace(/\\(.)/g, '$1'), version: m[2]!.replace(/\\(.)/g, '$1') })
    at = re.lastIndex
  }
  return out
}
