/**
 * GeneralName (RFC 5280 §4.2.1.6) and NameConstraints (§4.2.1.10) decoding.
 *
 * hotconn processes five name forms: dNSName, iPAddress, rfc822Name, uniformResourceIdentifier and
 * directoryName. The other four (otherName, x400Address, ediPartyName, registeredID) are only recorded by
 * tag number, so that a constraint on one of them can reject a certificate that carries one (§4.2.1.10).
 */
import {
  children,
  encoding,
  expect,
  isContext,
  primitive,
  sequence,
  smallIntegerOf,
  Tag,
  TagClass,
  type Der,
} from './der.js'

/** GeneralName CHOICE tags (RFC 5280 §4.2.1.6). */
export const GeneralNameTag = {
  otherName: 0,
  rfc822Name: 1,
  dNSName: 2,
  x400Address: 3,
  directoryName: 4,
  ediPartyName: 5,
  uniformResourceIdentifier: 6,
  iPAddress: 7,
  registeredID: 8,
} as const

export const GENERAL_NAME_FORM: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(GeneralNameTag).map(([name, tag]) => [tag, name]),
)

/** A Name (RDNSequence) as the DER of each RelativeDistinguishedName, in order. */
export type DistinguishedName = readonly string[]

/** The names of one form-sorted GeneralNames value (a subjectAltName or the bases of GeneralSubtrees). */
export interface GeneralNames {
  /** IA5String contents as written (latin1); syntax is checked where the names are used. */
  readonly dnsNames: readonly string[]
  /** Subject names: 4 or 16 bytes. Subtree bases: address then mask, 8 or 32 bytes. */
  readonly ipAddresses: readonly Buffer[]
  readonly rfc822Names: readonly string[]
  readonly uris: readonly string[]
  readonly directoryNames: readonly DistinguishedName[]
  /** Tags of the forms hotconn does not process that occur (otherName, x400Address, ediPartyName, registeredID). */
  readonly otherForms: ReadonlySet<number>
  /** Number of names of every form. */
  readonly count: number
}

interface MutableNames {
  dnsNames: string[]
  ipAddresses: Buffer[]
  rfc822Names: string[]
  uris: string[]
  directoryNames: DistinguishedName[]
  otherForms: Set<number>
  count: number
}

const empty = (): MutableNames => ({
  dnsNames: [],
  ipAddresses: [],
  rfc822Names: [],
  uris: [],
  directoryNames: [],
  otherForms: new Set(),
  count: 0,
})

function addName(into: MutableNames, gn: Der | undefined): void {
  if (!gn || gn.tagClass !== TagClass.context || gn.tag > 8) throw new Error('expected a GeneralName')
  into.count++
  switch (gn.tag) {
    case GeneralNameTag.dNSName:
      into.dnsNames.push(ia5(gn, 'dNSName'))
      return
    case GeneralNameTag.iPAddress:
      into.ipAddresses.push(primitive(gn, 'iPAddress'))
      return
    case GeneralNameTag.rfc822Name:
      into.rfc822Names.push(ia5(gn, 'rfc822Name'))
      return
    case GeneralNameTag.uniformResourceIdentifier:
      into.uris.push(ia5(gn, 'uniformResourceIdentifier'))
      return
    case GeneralNameTag.directoryName: {
      // [4] EXPLICIT Name
      const inner = children(gn)
      if (inner.length !== 1) throw new Error('directoryName must hold one Name')
      into.directoryNames.push(rdnSequence(inner[0]))
      return
    }
    default:
      if (!gn.constructed && gn.tag !== GeneralNameTag.registeredID) throw new Error('GeneralName has the wrong form')
      into.otherForms.add(gn.tag)
  }
}

/** IA5String contents (X.680 §41: 7-bit characters) as text; other bytes make the name malformed. */
function ia5(gn: Der, what: string): string {
  const v = primitive(gn, what)
  for (const b of v) if (b > 0x7f) throw new Error(`${what} is not an IA5String`)
  return v.toString('latin1')
}

/** The RDNs of a Name, each as DER (latin1 text, for comparison and map keys). */
export function rdnSequence(name: Der | undefined): DistinguishedName {
  return sequence(name, 'Name').map((rdn) => {
    expect(rdn, Tag.set, 'a RelativeDistinguishedName SET')
    if (children(rdn).length === 0) throw new Error('a RelativeDistinguishedName must not be empty')
    return encoding(rdn).toString('latin1')
  })
}

/** subjectAltName / issuerAltName: GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName. */
export function decodeGeneralNames(node: Der): GeneralNames {
  const names = empty()
  const items = sequence(node, 'GeneralNames')
  if (items.length === 0) throw new Error('GeneralNames must not be empty (RFC 5280 §4.2.1.6)')
  for (const gn of items) addName(names, gn)
  return names
}

export interface NameConstraints {
  /** undefined when permittedSubtrees is absent. */
  readonly permitted: GeneralNames | undefined
  readonly excluded: GeneralNames | undefined
}

/**
 * NameConstraints ::= SEQUENCE { permittedSubtrees [0] OPTIONAL, excludedSubtrees [1] OPTIONAL }.
 * RFC 5280 §4.2.1.10: the sequence must not be empty, GeneralSubtrees has SIZE (1..MAX), minimum must be 0
 * and maximum absent. Throws on any of those.
 */
export function decodeNameConstraints(node: Der): NameConstraints {
  const parts = sequence(node, 'NameConstraints')
  if (parts.length === 0) throw new Error('nameConstraints is an empty SEQUENCE (RFC 5280 §4.2.1.10)')
  let permitted: GeneralNames | undefined
  let excluded: GeneralNames | undefined
  for (const part of parts) {
    const tag = isContext(part, 0) ? 0 : isContext(part, 1) ? 1 : -1
    if (tag < 0 || (tag === 0 ? permitted : excluded) || (tag === 0 && excluded))
      throw new Error('nameConstraints holds something other than one permittedSubtrees and one excludedSubtrees')
    const subtrees = children(part)
    if (subtrees.length === 0) throw new Error('GeneralSubtrees must not be empty (RFC 5280 §4.2.1.10)')
    const names = empty()
    for (const subtree of subtrees) {
      const [base, ...rest] = sequence(subtree, 'GeneralSubtree')
      addName(names, base)
      for (const field of rest) {
        if (isContext(field, 0) && smallIntegerOf(primitive(field, 'minimum'), 'minimum') === 0) continue
        throw new Error('GeneralSubtree minimum must be 0 and maximum absent (RFC 5280 §4.2.1.10)')
      }
    }
    if (tag === 0) permitted = names
    else excluded = names
  }
  return { permitted, excluded }
}
