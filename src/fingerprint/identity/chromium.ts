/**
 * Request headers of Chromium-based browsers (Chrome, Edge) per Fetch destination, from the
 * Xvfb captures of Chromium 156.0.8078.114 (`test/fixtures/captures/chromium-156-requests/`):
 * field order and case for HTTP/2 and HTTP/1.1, `accept`, RFC 9218 `priority` and the HTTP/2
 * HEADERS weight. The UA string and client hints are the identity's (user-agent.ts, client-hints.ts);
 * Chromium's network stack does not vary the rest by OS or product.
 *
 * Observed rules the plans encode (see the captures' README):
 *  - subresources: `sec-ch-ua-platform`, `user-agent`, `sec-ch-ua`, `sec-ch-ua-mobile` first;
 *    navigations: `sec-ch-ua`, `sec-ch-ua-mobile`, `sec-ch-ua-platform`, `upgrade-insecure-requests`, `user-agent`;
 *  - `cookie` (the caller's or the jar's) after `accept-language`;
 *  - `sec-fetch-storage-access: none` on cross-site no-cors requests; `origin` first on fonts,
 *    after `accept` on cross-origin fetches; `sec-fetch-user: ?1` on user-activated navigations;
 *  - no `priority` field over HTTP/1.1; HEADERS weight = Chromium's urgency table (u=0 256,
 *    u=1 220, u=2 183, u=3 147, u=4 110), exclusive, on the latest open stream of equal or higher urgency.
 */
import type { HeaderTemplate, Http2Fingerprint, Http2Setting } from '../http.js'
import type { Destination, DestinationHeaders } from './types.js'

/** The values an identity puts in Chromium's UA-related fields. */
export interface ChromiumUaFields {
  readonly userAgent: string
  readonly secChUa: string
  readonly secChUaMobile: string
  readonly secChUaPlatform: string
}

/** Chromium 156's HTTP/2 SETTINGS in wire order (chromium-01.h2.json; unchanged in the Xvfb captures). */
export const CHROMIUM_156_H2_SETTINGS: readonly Http2Setting[] = [
  { id: 1, value: 65536 }, // HEADER_TABLE_SIZE
  { id: 2, value: 0 }, // ENABLE_PUSH
  { id: 4, value: 6291456 }, // INITIAL_WINDOW_SIZE
  { id: 6, value: 262144 }, // MAX_HEADER_LIST_SIZE
]

/** Chromium's RequestPriority -> HTTP/2 weight (u=0 HIGHEST … u=4 LOWEST); captured for 0, 1, 2 and 4. */
const WEIGHT_BY_URGENCY: Readonly<Record<number, number>> = { 0: 256, 1: 220, 2: 183, 3: 147, 4: 110 }

const ENCODING = 'gzip, deflate, br, zstd'
const LANGUAGE = 'en-US,en;q=0.9'
const ACCEPT_DOCUMENT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/jxl,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7'
const ACCEPT: Readonly<Record<Exclude<Destination, 'document'>, string>> = {
  image: 'image/jxl,image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8',
  script: '*/*',
  style: 'text/css,*/*;q=0.1',
  font: '*/*',
  empty: '*/*',
}
const PRIORITY: Readonly<Record<Destination, string>> = {
  document: 'u=0, i',
  style: 'u=0',
  script: 'u=1',
  image: 'u=2, i',
  font: 'u=4',
  empty: 'u=1, i',
}
const URGENCY: Readonly<Record<Destination, number>> = { document: 0, style: 0, script: 1, image: 2, font: 4, empty: 1 }
const MODE = {
  document: 'navigate',
  image: 'no-cors',
  script: 'no-cors',
  style: 'no-cors',
  font: 'cors',
  empty: 'cors',
} as const

/** HTTP/2 first flight of Chromium 156 (Akamai `1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p`). */
export const CHROMIUM_156_HTTP2: Http2Fingerprint = {
  settings: CHROMIUM_156_H2_SETTINGS,
  connectionWindowIncrement: 15663105,
  streamWindowIncrement: 0,
  priority: {
    exclusive: true,
    dependsOn: 0,
    // The Xvfb captures: script on the open style stream, image on the open script stream, …
    dependency: 'chain',
    weightByUrgency: WEIGHT_BY_URGENCY,
    defaultWeight: {
      navigation: 256,
      document: 256,
      style: 256,
      script: 220,
      image: 183,
      font: 110,
      empty: 220,
    },
  },
  pseudoHeaderOrder: [':method', ':authority', ':scheme', ':path'],
  firstStreamId: 1,
  // net/third_party/quiche HpackEncoder: Huffman only when shorter, `:path` as static name 4 (the
  // Chromium 156 captures' first HEADERS blocks equal nghttp2's).
  hpack: { huffman: 'shorter', staticName: 'first', neverIndexed: [] },
}

/** Lower-case h2 names -> HTTP/1.1 wire case (Chromium keeps the client hints lower case). */
const H1_CASE: Readonly<Record<string, string>> = {
  'upgrade-insecure-requests': 'Upgrade-Insecure-Requests',
  'user-agent': 'User-Agent',
  accept: 'Accept',
  'sec-fetch-site': 'Sec-Fetch-Site',
  'sec-fetch-mode': 'Sec-Fetch-Mode',
  'sec-fetch-user': 'Sec-Fetch-User',
  'sec-fetch-dest': 'Sec-Fetch-Dest',
  'sec-fetch-storage-access': 'Sec-Fetch-Storage-Access',
  referer: 'Referer',
  origin: 'Origin',
  'accept-encoding': 'Accept-Encoding',
  'accept-language': 'Accept-Language',
  cookie: 'Cookie',
}

/** Chromium's HTTP/1.1 head: Host, Connection, then the h2 fields (without `priority`) in wire case. */
function h1Of(h2: HeaderTemplate): HeaderTemplate {
  return [
    ['Host', null],
    ['Connection', null],
    ...h2.filter(([n]) => n !== 'priority').map(([n, v]) => [H1_CASE[n] ?? n, v] as const),
  ]
}

/** Per-destination plans of a Chromium 156 identity with the given UA fields. */
export function chromium156Destinations(ua: ChromiumUaFields): Readonly<Record<Destination, DestinationHeaders>> {
  const hintsFirst: HeaderTemplate = [
    ['sec-ch-ua-platform', ua.secChUaPlatform],
    ['user-agent', ua.userAgent],
    ['sec-ch-ua', ua.secChUa],
    ['sec-ch-ua-mobile', ua.secChUaMobile],
  ]
  const tail = (dest: Destination): HeaderTemplate => [
    ['accept-encoding', ENCODING],
    ['accept-language', LANGUAGE],
    ['cookie', null],
    ['priority', PRIORITY[dest]],
  ]
  const noCors = (dest: 'image' | 'script' | 'style'): HeaderTemplate => [
    ...hintsFirst,
    ['accept', ACCEPT[dest]],
    ['sec-fetch-site', 'same-origin'],
    ['sec-fetch-mode', 'no-cors'],
    ['sec-fetch-dest', dest],
    ['sec-fetch-storage-access', null],
    ['referer', null],
    ...tail(dest),
  ]
  const document: HeaderTemplate = [
    ['sec-ch-ua', ua.secChUa],
    ['sec-ch-ua-mobile', ua.secChUaMobile],
    ['sec-ch-ua-platform', ua.secChUaPlatform],
    ['upgrade-insecure-requests', '1'],
    ['user-agent', ua.userAgent],
    ['accept', ACCEPT_DOCUMENT],
    ['sec-fetch-site', 'none'],
    ['sec-fetch-mode', 'navigate'],
    ['sec-fetch-user', '?1'],
    ['sec-fetch-dest', 'document'],
    ['referer', null],
    ...tail('document'),
  ]
  const font: HeaderTemplate = [
    ['origin', null],
    ...hintsFirst,
    ['accept', ACCEPT.font],
    ['sec-fetch-site', 'same-origin'],
    ['sec-fetch-mode', 'cors'],
    ['sec-fetch-dest', 'font'],
    ['referer', null],
    ...tail('font'),
  ]
  const empty: HeaderTemplate = [
    ...hintsFirst,
    ['accept', ACCEPT.empty],
    ['origin', null],
    ['sec-fetch-site', 'same-origin'],
    ['sec-fetch-mode', 'cors'],
    ['sec-fetch-dest', 'empty'],
    ['referer', null],
    ...tail('empty'),
  ]
  const h2: Record<Destination, HeaderTemplate> = {
    document,
    image: noCors('image'),
    script: noCors('script'),
    style: noCors('style'),
    font,
    empty,
  }
  const plan = (dest: Destination): DestinationHeaders => ({
    mode: MODE[dest],
    priority: PRIORITY[dest],
    weight: WEIGHT_BY_URGENCY[URGENCY[dest]]!,
    origin: dest === 'font' ? 'always' : dest === 'empty' ? 'cross-origin' : 'never',
    h2: h2[dest],
    h1: h1Of(h2[dest]),
  })
  return {
    document: plan('document'),
    image: plan('image'),
    script: plan('script'),
    style: plan('style'),
    font: plan('font'),
    empty: plan('empty'),
  }
}
