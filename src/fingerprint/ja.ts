/**
 * Client fingerprints of a ClientHello:
 * - JA3 (Salesforce): `version,ciphers,extensions,groups,point_formats` in decimal, GREASE (RFC 8701)
 *   removed, and its MD5;
 * - "JA3N" (hotconn's name, non-standard): JA3 with the extension list sorted numerically, stable
 *   for clients that shuffle extensions (Chromium >= 110);
 * - JA4, JA4_r, JA4_o, JA4_ro (FoxIO JA4 specification, TLS client part).
 */
import { createHash } from 'node:crypto'
import { isGrease } from './grease.js'
import type { ParsedClientHello } from './parse.js'

export interface Ja3 {
  /** e.g. `771,4865-4866-…,0-23-…,29-23-24,0`. */
  readonly string: string
  /** MD5 of `string`, 32 lowercase hex characters. */
  readonly hash: string
}

export interface ClientFingerprints {
  readonly ja3: Ja3
  /** JA3 with extensions sorted numerically (non-standard). */
  readonly ja3n: Ja3
  /** e.g. `t13d1517h2_8daaf6152771_cb7bf5808d99`. */
  readonly ja4: string
  /** JA4 with the sorted lists in clear instead of hashed. */
  readonly ja4_r: string
  /** JA4 over the original (wire) order, SNI and ALPN kept. */
  readonly ja4_o: string
  /** JA4_o in clear. */
  readonly ja4_ro: string
}

const noGrease = (list: readonly number[] | undefined): number[] => (list ?? []).filter((v) => !isGrease(v))

function ja3From(hello: ParsedClientHello, sortExtensions: boolean): Ja3 {
  const extensions = noGrease(hello.extensions.map((e) => e.type))
  if (sortExtensions) extensions.sort((a, b) => a - b)
  const string = [
    String(hello.legacyVersion),
    noGrease(hello.cipherSuites).join('-'),
    extensions.join('-'),
    noGrease(hello.supportedGroups).join('-'),
    (hello.ecPointFormats ?? []).join('-'),
  ].join(',')
  return { string, hash: createHash('md5').update(string).digest('hex') }
}

/** JA3 string and MD5 (GREASE removed everywhere). */
export function ja3(hello: ParsedClientHello): Ja3 {
  return ja3From(hello, false)
}

/** JA3 with the extension list sorted numerically ("JA3N", non-standard). */
export function ja3n(hello: ParsedClientHello): Ja3 {
  return ja3From(hello, true)
}

const hex4 = (v: number): string => v.toString(16).padStart(4, '0')

/** JA4 version code: highest non-GREASE supported_versions entry, else legacy_version. */
function versionCode(hello: ParsedClientHello): string {
  const versions = noGrease(hello.supportedVersions)
  const v = versions.length > 0 ? Math.max(...versions) : hello.legacyVersion
  const codes: Record<number, string> = {
    0x0304: '13',
    0x0303: '12',
    0x0302: '11',
    0x0301: '10',
    0x0300: 's3',
    0x0002: 's2',
    0xfeff: 'd1',
    0xfefd: 'd2',
    0xfefc: 'd3',
  }
  return codes[v] ?? '00'
}

const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)

/** First and last character of the first ALPN value; their hex digits when not alphanumeric; `00` without ALPN. */
function alpnCode(hello: ParsedClientHello): string {
  const first = hello.alpn?.[0]
  if (first === undefined || first.length === 0) return '00'
  const bytes = Buffer.from(first, 'latin1')
  const a = bytes[0]!
  const b = bytes[bytes.length - 1]!
  if (isAlnum(a) && isAlnum(b)) return String.fromCharCode(a) + String.fromCharCode(b)
  const h = bytes.toString('hex')
  return h[0]! + h[h.length - 1]!
}

const count2 = (n: number): string => String(Math.min(n, 99)).padStart(2, '0')
const sha12 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12)

function ja4Parts(hello: ParsedClientHello, original: boolean): { a: string; b: string; c: string } {
  const ciphers = noGrease(hello.cipherSuites)
  const extensions = noGrease(hello.extensions.map((e) => e.type))
  const sigalgs = noGrease(hello.signatureAlgorithms)
  const hasSni = hello.extensions.some((e) => e.type === 0x0000)
  const a = `t${versionCode(hello)}${hasSni ? 'd' : 'i'}${count2(ciphers.length)}${count2(extensions.length)}${alpnCode(hello)}`
  const cipherList = original ? ciphers : [...ciphers].sort((x, y) => x - y)
  // Sorted form leaves out SNI (0x0000) and ALPN (0x0010), already counted in part a.
  const extList = original ? extensions : extensions.filter((t) => t !== 0x0000 && t !== 0x0010).sort((x, y) => x - y)
  const b = cipherList.map(hex4).join(',')
  let c = extList.map(hex4).join(',')
  if (sigalgs.length > 0) c += '_' + sigalgs.map(hex4).join(',')
  return { a, b, c }
}

function ja4Hashed(hello: ParsedClientHello, original: boolean): string {
  const { a, b, c } = ja4Parts(hello, original)
  const hb = b === '' ? '000000000000' : sha12(b)
  const hc = c === '' || c.startsWith('_') ? '000000000000' : sha12(c)
  return `${a}_${hb}_${hc}`
}

function ja4Raw(hello: ParsedClientHello, original: boolean): string {
  const { a, b, c } = ja4Parts(hello, original)
  return `${a}_${b}_${c}`
}

/** JA4 (FoxIO): `a_b_c` with b, c truncated SHA-256 of the sorted cipher and extension lists. */
export function ja4(hello: ParsedClientHello): string {
  return ja4Hashed(hello, false)
}

/** JA4_r: JA4 with the sorted lists in clear. */
export function ja4r(hello: ParsedClientHello): string {
  return ja4Raw(hello, false)
}

/** JA4_o: JA4 over the wire order, SNI and ALPN included. */
export function ja4o(hello: ParsedClientHello): string {
  return ja4Hashed(hello, true)
}

/** JA4_ro: JA4_o in clear. */
export function ja4ro(hello: ParsedClientHello): string {
  return ja4Raw(hello, true)
}

/** All of the above. */
export function fingerprintClientHello(hello: ParsedClientHello): ClientFingerprints {
  return {
    ja3: ja3(hello),
    ja3n: ja3n(hello),
    ja4: ja4(hello),
    ja4_r: ja4r(hello),
    ja4_o: ja4o(hello),
    ja4_ro: ja4ro(hello),
  }
}
