/**
 * Tile URL templates, as Leaflet, OpenLayers and GDAL write them:
 *   {z} zoom, {x} column, {y} row (XYZ, row 0 at the north), {-y} row in the TMS scheme
 *   (row 0 at the south), {q} Bing Maps quadkey, {s} a subdomain from a list, picked per tile as
 *   Leaflet does ((x + y) mod n, so one tile always comes from the same subdomain and caches).
 * Only https:// templates: the pool speaks TLS.
 */
import { InvalidArgumentError } from '../errors.js'
import { quadkey, tmsY, type TileCoord } from './coords.js'

const PLACEHOLDERS = ['z', 'x', 'y', '-y', 'q', 's'] as const
type Placeholder = (typeof PLACEHOLDERS)[number]

/** Subdomains `{s}` takes when none are given (Leaflet's default). */
export const DEFAULT_SUBDOMAINS: readonly string[] = ['a', 'b', 'c']

export interface TileTemplate {
  /** The template as given. */
  readonly text: string
  readonly subdomains: readonly string[]
  /** The tile's URL. */
  url(t: TileCoord): string
  /** Every origin (`https://host[:port]`) the template can produce: one per subdomain with {s}. */
  readonly origins: readonly string[]
  /** File extension of the template's path (".png"), or "" when it has none. */
  readonly extension: string
}

/**
 * Parses a template.
 * @throws InvalidArgumentError for an unknown placeholder, a template without {z}, {x} and {y}
 *   (or {-y}, or {q}), a non-https URL, or {s} with an empty subdomain list
 */
export function parseTemplate(text: string, subdomains: readonly string[] = DEFAULT_SUBDOMAINS): TileTemplate {
  const parts = text.split(/(\{[^{}]*\})/)
  const used = new Set<Placeholder>()
  for (const p of parts) {
    if (!p.startsWith('{')) continue
    const name = p.slice(1, -1) as Placeholder
    if (!PLACEHOLDERS.includes(name))
      throw new InvalidArgumentError(
        `template ${JSON.stringify(text)}: unknown placeholder ${p}; use {z} {x} {y} {-y} {q} {s}`,
      )
    used.add(name)
  }
  const located = used.has('q') || (used.has('z') && used.has('x') && (used.has('y') || used.has('-y')))
  if (!located)
    throw new InvalidArgumentError(
      `template ${JSON.stringify(text)} does not name a tile: it needs {z}, {x} and {y} (or {-y}), or {q}`,
    )
  if (used.has('s') && (subdomains.length === 0 || subdomains.some((s) => !/^[a-z0-9-]+$/i.test(s))))
    throw new InvalidArgumentError(`template uses {s}: give subdomains as letters, digits or '-', e.g. a,b,c`)
  const subs = used.has('s') ? [...subdomains] : []
  const fill = (t: TileCoord, s: string): string =>
    parts.map((p) => (p.startsWith('{') ? value(p.slice(1, -1) as Placeholder, t, s) : p)).join('')
  const probe = { z: 0, x: 0, y: 0 }
  const origins = (subs.length === 0 ? [''] : subs).map((s) => checkedUrl(text, fill(probe, s)).origin)
  const path = checkedUrl(text, fill(probe, subs[0] ?? '')).pathname
  const ext = /\.[a-z0-9]{1,5}$/i.exec(path)?.[0].toLowerCase() ?? ''
  return {
    text,
    subdomains: subs,
    url: (t) => fill(t, subs.length === 0 ? '' : subs[(t.x + t.y) % subs.length]!),
    origins: [...new Set(origins)],
    extension: ext,
  }
}

function value(name: Placeholder, t: TileCoord, s: string): string {
  switch (name) {
    case 'z':
      return String(t.z)
    case 'x':
      return String(t.x)
    case 'y':
      return String(t.y)
    case '-y':
      return String(tmsY(t.z, t.y))
    case 'q':
      return quadkey(t)
    case 's':
      return s
  }
}

function checkedUrl(template: string, text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidArgumentError(
      `template ${JSON.stringify(template)} is not a URL; give https://host/{z}/{x}/{y}.png`,
    )
  }
  if (url.protocol !== 'https:')
    throw new InvalidArgumentError(`template ${JSON.stringify(template)}: only https:// URLs (the pool speaks TLS)`)
  return url
}
