/**
 * X.501 Names of certificates (RFC 5280 §4.1.2.4): each attribute as text, and the one-line form
 * used in messages ("CN=a, O=b", RFC 4514 short names). Bounded: at most MAX_NAME_ATTRIBUTES
 * attributes per Name.
 */
import { children, encoding, oid, sequence, Tag, value, type Der } from './der.js'
import { TlsCertificateError } from './errors.js'

export const OID_COMMON_NAME = '2.5.4.3'
export const OID_EMAIL_ADDRESS = '1.2.840.113549.1.9.1'

/** Short names for the one-line form (RFC 4514 §3, plus the PKIX ones OpenSSL prints). */
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  [OID_EMAIL_ADDRESS]: 'emailAddress',
}

/** Directory string contents as text: BMPString UTF-16BE, UniversalString UTF-32BE, UTF8String, else latin1. */
function stringValue(v: Der): string {
  const raw = value(v)
  switch (v.tag) {
    case Tag.bmpString:
      if (raw.length % 2) throw new Error('BMPString has an odd length')
      return Buffer.from(raw).swap16().toString('utf16le')
    case Tag.universalString: {
      if (raw.length % 4) throw new Error('UniversalString length is not a multiple of 4')
      let s = ''
      for (let i = 0; i < raw.length; i += 4) s += String.fromCodePoint(Math.min(raw.readUInt32BE(i), 0x10ffff))
      return s
    }
    case Tag.utf8String:
      return raw.toString('utf8')
    default:
      return raw.toString('latin1')
  }
}

interface DecodedName {
  /** "CN=a, O=b" in certificate order; '' for an empty Name. */
  readonly text: string
  readonly attributes: readonly { readonly type: string; readonly value: string }[]
}

const decodedNames = new WeakMap<Der, DecodedName>()

/**
 * Attributes a Name may hold. Real subjects hold fewer than a dozen; thousands (x509-limbo's
 * `pathological::nc-dos-*`) only serve to make name-constraint checks quadratic.
 */
export const MAX_NAME_ATTRIBUTES = 64

/** One pass over a Name: its attributes as text and its one-line form. */
export function decodeName(name: Der): DecodedName {
  let decoded = decodedNames.get(name)
  if (decoded) return decoded
  const attributes: { type: string; value: string }[] = []
  const parts: string[] = []
  for (const rdn of children(name)) {
    for (const atv of children(rdn)) {
      const [t, v, extra] = sequence(atv, 'AttributeTypeAndValue')
      if (!v || extra) throw new Error('AttributeTypeAndValue must have a type and a value')
      if (attributes.length === MAX_NAME_ATTRIBUTES)
        throw new TlsCertificateError(
          'limit_exceeded',
          `a certificate Name holds more than ${MAX_NAME_ATTRIBUTES} attributes; hotconn stops there so a hostile certificate cannot stall the process`,
        )
      const type = oid(t)
      const text = v.constructed ? '#' + encoding(v).toString('hex') : stringValue(v)
      attributes.push({ type, value: text })
      parts.push(`${ATTRIBUTE_NAMES[type] ?? type}=${text.replace(/[,\\]/g, (c) => '\\' + c)}`)
    }
  }
  decoded = { text: parts.join(', '), attributes }
  decodedNames.set(name, decoded)
  return decoded
}

/** String values of every attribute `type` in a Name, in order. */
export function attributeValues(name: Der, type: string): string[] {
  return decodeName(name)
    .attributes.filter((a) => a.type === type)
    .map((a) => a.value)
}

/** The one-line form for messages, cut at 200 characters. */
export function nameToString(name: Der): string {
  const text = decodeName(name).text
  return text.length > 200 ? text.slice(0, 200) + '…' : text
}
