/**
 * Request headers of Firefox ESR 153 per Fetch destination, from the Xvfb captures of Firefox
 * 153.8.0esr (`test/fixtures/captures/firefox-esr-153-requests/`): order and case for HTTP/2 and
 * HTTP/1.1, `accept`, `accept-encoding`, RFC 9218 `priority` and the HTTP/2 HEADERS weight.
 *
 * Observed rules the plans encode:
 *  - `user-agent`, `accept`, `accept-language`, `accept-encoding` first; `sec-fetch-dest`,
 *    `sec-fetch-mode`, `sec-fetch-site` (in that order) last, then `priority`, then `te: trailers` (h2);
 *  - HTTP/1.1: `Connection` after `Accept-Encoding` (after `Origin`/`Sec-Fetch-Storage-Access` when
 *    present; after `Referer` and `Origin` for fetch()), `Priority` kept, no `TE`;
 *  - `cookie` (the caller's or the jar's) right after `referer` (after `Connection` for fetch() on HTTP/1.1);
 *  - `sec-fetch-storage-access: none` on cross-site no-cors requests; `origin` on cross-origin
 *    CORS requests only; fonts without `priority`, with `accept-encoding: identity`;
 *  - HEADERS never exclusive, on stream 0, weight by request class (document 42, style/script/fetch 22,
 *    image 12, font 32), whatever the urgency.
 * `empty` is fetch(); an XHR differs (no `priority`, `Referer` after `Connection` on HTTP/1.1).
 */
import type { HeaderTemplate, Http2Fingerprint } from '../http.js'
import type { Destination, DestinationHeaders } from './types.js'

const ENCODING = 'gzip, deflate, br, zstd'
const LANGUAGE = 'en-US,en;q=0.9'
const ACCEPT: Readonly<Record<Destination, string>> = {
  document: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  image: 'image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5',
  script: '*/*',
  style: 'text/css,*/*;q=0.1',
  font: 'application/font-woff2;q=1.0,application/font-woff;q=0.9,*/*;q=0.8',
  empty: '*/*',
}
const PRIORITY: Readonly<Record<Destination, string | undefined>> = {
  document: 'u=0, i',
  style: 'u=2',
  script: 'u=2',
  image: 'u=5, i',
  font: undefined,
  empty: 'u=4',
}
const WEIGHT: Readonly<Record<Destination, number>> = {
  document: 42,
  style: 22,
  script: 22,
  image: 12,
  font: 32,
  empty: 22,
}
const MODE = {
  document: 'navigate',
  image: 'no-cors',
  script: 'no-cors',
  style: 'no-cors',
  font: 'cors',
  empty: 'cors',
} as const

/** HTTP/2 first flight of Firefox ESR 153 (Akamai `1:65536;2:0;4:131072;5:16384|12517377|0|m,p,a,s`). */
export const FIREFOX_153_HTTP2: Http2Fingerprint = {
  settings: [
    { id: 1, value: 65536 }, // HEADER_TABLE_SIZE
    { id: 2, value: 0 }, // ENABLE_PUSH
    { id: 4, value: 131072 }, // INITIAL_WINDOW_SIZE
    { id: 5, value: 16384 }, // MAX_FRAME_SIZE
  ],
  connectionWindowIncrement: 12517377, // 12 MiB connection window
  streamWindowIncrement: 12451840, // 131072 + 12451840 = 12 MiB per stream
  priority: {
    exclusive: false,
    dependsOn: 0,
    dependency: 'root',
    weightByUrgency: {},
    defaultWeight: { navigation: 42, ...WEIGHT },
  },
  pseudoHeaderOrder: [':method', ':path', ':authority', ':scheme'],
  firstStreamId: 3,
  // netwerk/protocol/http/Http2Compression.cpp: HuffmanAppend codes every string (no raw branch);
  // ProcessHeader's lookup keeps the last name match (`:path` 5) and never indexes `authorization`;
  // seen in the ESR 153 captures.
  hpack: { huffman: 'always', staticName: 'last', neverIndexed: ['authorization'] },
}

const H1_CASE: Readonly<Record<string, string>> = {
  'user-agent': 'User-Agent',
  accept: 'Accept',
  'accept-language': 'Accept-Language',
  'accept-encoding': 'Accept-Encoding',
  'upgrade-insecure-requests': 'Upgrade-Insecure-Requests',
  'sec-fetch-dest': 'Sec-Fetch-Dest',
  'sec-fetch-mode': 'Sec-Fetch-Mode',
  'sec-fetch-site': 'Sec-Fetch-Site',
  'sec-fetch-user': 'Sec-Fetch-User',
  'sec-fetch-storage-access': 'Sec-Fetch-Storage-Access',
  referer: 'Referer',
  origin: 'Origin',
  priority: 'Priority',
  cookie: 'Cookie',
}

/** HTTP/1.1 head: Host first, Connection right before `connectionBefore`, no `te`, wire case. */
function h1Of(h2: HeaderTemplate, connectionBefore: string): HeaderTemplate {
  const out: Array<readonly [string, string | null]> = [['Host', null]]
  for (const [n, v] of h2) {
    if (n === 'te') continue
    if (n === connectionBefore) out.push(['Connection', null])
    out.push([H1_CASE[n] ?? n, v])
  }
  return out
}

/** Per-destination plans of a Firefox ESR 153 identity with UA string `userAgent`. */
export function firefox153Destinations(userAgent: string): Readonly<Record<Destination, DestinationHeaders>> {
  const head = (dest: Destination): HeaderTemplate => [
    ['user-agent', userAgent],
    ['accept', ACCEPT[dest]],
    ['accept-language', LANGUAGE],
    ['accept-encoding', dest === 'font' ? 'identity' : ENCODING],
  ]
  const fetchTail = (dest: Destination, site: string): HeaderTemplate => [
    ['sec-fetch-dest', dest],
    ['sec-fetch-mode', MODE[dest]],
    ['sec-fetch-site', site],
    ...(dest === 'document' ? ([['sec-fetch-user', '?1']] as const) : []),
    ...(PRIORITY[dest] !== undefined ? ([['priority', PRIORITY[dest]!]] as const) : []),
    ['te', 'trailers'],
  ]
  const h2: Record<Destination, HeaderTemplate> = {
    document: [
      ...head('document'),
      ['referer', null],
      ['cookie', null],
      ['upgrade-insecure-requests', '1'],
      ...fetchTail('document', 'none'),
    ],
    image: [
      ...head('image'),
      ['sec-fetch-storage-access', null],
      ['referer', null],
      ['cookie', null],
      ...fetchTail('image', 'same-origin'),
    ],
    script: [
      ...head('script'),
      ['sec-fetch-storage-access', null],
      ['referer', null],
      ['cookie', null],
      ...fetchTail('script', 'same-origin'),
    ],
    style: [
      ...head('style'),
      ['sec-fetch-storage-access', null],
      ['referer', null],
      ['cookie', null],
      ...fetchTail('style', 'same-origin'),
    ],
    font: [...head('font'), ['origin', null], ['referer', null], ['cookie', null], ...fetchTail('font', 'same-origin')],
    empty: [
      ...head('empty'),
      ['referer', null],
      ['origin', null],
      ['cookie', null],
      ...fetchTail('empty', 'same-origin'),
    ],
  }
  // Where HTTP/1.1's Connection goes: after Accept-Encoding and the storage-access/origin fields
  // that follow it; after Referer and Origin (before Cookie) for fetch().
  const connectionBefore: Record<Destination, string> = {
    document: 'referer',
    image: 'referer',
    script: 'referer',
    style: 'referer',
    font: 'referer',
    empty: 'cookie',
  }
  const plan = (dest: Destination): DestinationHeaders => ({
    mode: MODE[dest],
    priority: PRIORITY[dest],
    weight: WEIGHT[dest],
    origin: MODE[dest] === 'cors' ? 'cross-origin' : 'never',
    h2: h2[dest],
    h1: h1Of(h2[dest], connectionBefore[dest]),
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
