/**
 * Resolves a `ClientHelloSpec` for one connection: GREASE values drawn, extension order fixed
 * (Chromium shuffle or the spec's order), GREASE ECH body drawn. The plan is kept for the whole
 * handshake, so a second ClientHello after a HelloRetryRequest repeats the same choices
 * (RFC 8446 §4.1.2: the second hello must equal the first except for the listed changes).
 */
import { InvalidArgumentError } from '../errors.js'
import { ByteWriter } from '../util/bytes.js'
import { ExtensionType } from './extension-types.js'
import { type GreaseChoice, chooseGrease } from './grease.js'
import { type RandomSource, defaultRandom, randomBelow } from './random.js'
import {
  GREASE,
  type ClientHelloPlan,
  type ClientHelloSpec,
  type Codepoint,
  type ExtensionSpec,
  type OfferedParameters,
  type ResolvedExtension,
} from './spec.js'

/**
 * A fresh plan for one connection.
 * @param rng randomness for GREASE values, the shuffle and the GREASE ECH bytes (default `crypto.randomBytes`)
 * @throws InvalidArgumentError when the spec is inconsistent (duplicate extensions, more than two
 *   GREASE extensions, key_share groups missing from supported_groups, empty ECH payload lengths)
 */
export function planClientHello(spec: ClientHelloSpec, rng: RandomSource = defaultRandom): ClientHelloPlan {
  checkSpec(spec)
  const grease = chooseGrease(rng)
  const ordered = orderExtensions(spec, rng)
  let greaseIndex = 0
  const extensions = ordered.map((ext) =>
    resolveExtension(ext, grease, ext.kind === 'grease' ? greaseIndex++ : -1, rng),
  )
  const cipherSuites = spec.cipherSuites.map((c) => resolve(c, grease.cipherSuite))
  const keyShare = spec.extensions.find((e) => e.kind === 'key_share')
  const keyShareGroups = keyShare?.kind === 'key_share' ? keyShare.groups.filter((g): g is number => g !== GREASE) : []
  const greaseKeyShareGroup =
    keyShare?.kind === 'key_share' && keyShare.groups.includes(GREASE) ? grease.group : undefined
  return {
    spec,
    grease,
    extensions,
    cipherSuites,
    keyShareGroups,
    greaseKeyShareGroup,
    offered: offeredParameters(spec),
  }
}

function resolve(c: Codepoint, greaseValue: number): number {
  return c === GREASE ? greaseValue : c
}

/** Wire order: the spec's order, or Chromium's shuffle; pre_shared_key always last (RFC 8446 §4.2.11). */
function orderExtensions(spec: ClientHelloSpec, rng: RandomSource): ExtensionSpec[] {
  const psk = spec.extensions.filter((e) => e.kind === 'pre_shared_key')
  const rest = spec.extensions.filter((e) => e.kind !== 'pre_shared_key')
  if (spec.shuffle === 'none') return [...rest, ...psk]
  // Chromium (BoringSSL ssl_setup_extension_permutation): GREASE extensions keep their places at
  // the start and the end; every other extension is permuted uniformly (Fisher-Yates).
  let head = 0
  while (head < rest.length && rest[head]!.kind === 'grease') head++
  let tail = rest.length
  while (tail > head && rest[tail - 1]!.kind === 'grease') tail--
  const middle = rest.slice(head, tail)
  for (let i = middle.length - 1; i > 0; i--) {
    const j = randomBelow(rng, i + 1)
    const t = middle[i]!
    middle[i] = middle[j]!
    middle[j] = t
  }
  return [...rest.slice(0, head), ...middle, ...rest.slice(tail), ...psk]
}

function resolveExtension(
  ext: ExtensionSpec,
  g: GreaseChoice,
  greaseIndex: number,
  rng: RandomSource,
): ResolvedExtension {
  switch (ext.kind) {
    case 'grease':
      return { kind: 'grease', type: greaseIndex === 0 ? g.extension1 : g.extension2, body: ext.body }
    case 'supported_groups':
      return { kind: 'supported_groups', groups: ext.groups.map((c) => resolve(c, g.group)) }
    case 'signature_algorithms':
      return { kind: 'signature_algorithms', schemes: ext.schemes.map((c) => resolve(c, g.signatureAlgorithm)) }
    case 'supported_versions':
      return { kind: 'supported_versions', versions: ext.versions.map((c) => resolve(c, g.version)) }
    case 'key_share':
      return { kind: 'key_share' }
    case 'ech_grease':
      return drawEchGrease(ext, rng)
    case 'session_ticket':
      return { kind: 'session_ticket', omitWithPsk: ext.omitWithPsk ?? false }
    case 'server_name':
    case 'alpn':
    case 'alps':
    case 'pre_shared_key':
    case 'cookie':
    case 'raw':
      return ext
  }
}

/**
 * GREASE ECH (draft-ietf-tls-esni §6.2, §11.2 "GREASE ECH"): an outer ECHClientHello with the
 * spec's KDF and AEAD (or one of its `aeadIds`), a random config_id, `encLength` random enc bytes and a random payload.
 */
function drawEchGrease(ext: Extract<ExtensionSpec, { kind: 'ech_grease' }>, rng: RandomSource): ResolvedExtension {
  const aeadId = ext.aeadIds === undefined ? ext.aeadId : ext.aeadIds[randomBelow(rng, ext.aeadIds.length)]!
  const configId = rng(1)[0] ?? 0
  const enc = rng(ext.encLength)
  const pick = (lengths: readonly number[]): number => lengths[randomBelow(rng, lengths.length)]!
  const body = (payloadLength: number): Uint8Array =>
    new ByteWriter(64 + payloadLength)
      .u8(0) // ECHClientHelloType outer
      .u16(ext.kdfId)
      .u16(aeadId)
      .u8(configId)
      .vecBytes(2, enc)
      .vecBytes(2, rng(payloadLength))
      .finish()
  const plain = body(pick(ext.payloadLengths))
  const psk = ext.pskPayloadLengths === undefined ? plain : body(pick(ext.pskPayloadLengths))
  return { kind: 'ech_grease', body: plain, pskBody: psk }
}

/** The extension type a spec entry puts on the wire (undefined for GREASE, whose type is drawn). */
export function extensionTypeOf(ext: ExtensionSpec | ResolvedExtension): number | undefined {
  switch (ext.kind) {
    case 'grease':
      return 'type' in ext ? ext.type : undefined
    case 'server_name':
      return ExtensionType.server_name
    case 'supported_groups':
      return ExtensionType.supported_groups
    case 'signature_algorithms':
      return ExtensionType.signature_algorithms
    case 'supported_versions':
      return ExtensionType.supported_versions
    case 'key_share':
      return ExtensionType.key_share
    case 'alpn':
      return ExtensionType.application_layer_protocol_negotiation
    case 'alps':
    case 'raw':
      return ext.type
    case 'ech_grease':
      return ExtensionType.encrypted_client_hello
    case 'session_ticket':
      return ExtensionType.session_ticket
    case 'pre_shared_key':
      return ExtensionType.pre_shared_key
    case 'cookie':
      return ExtensionType.cookie
  }
}

function offeredParameters(spec: ClientHelloSpec): OfferedParameters {
  const nonGrease = (list: readonly Codepoint[]): number[] => list.filter((c): c is number => c !== GREASE)
  let groups: number[] = []
  let signatureSchemes: number[] = []
  let versions: number[] = []
  let alpn: readonly string[] = []
  let recordSizeLimit: number | undefined
  let certCompression: number[] = []
  const extensionTypes = new Set<number>()
  for (const ext of spec.extensions) {
    const type = extensionTypeOf(ext)
    if (type !== undefined) extensionTypes.add(type)
    if (ext.kind === 'supported_groups') groups = nonGrease(ext.groups)
    else if (ext.kind === 'signature_algorithms') signatureSchemes = nonGrease(ext.schemes)
    else if (ext.kind === 'supported_versions') versions = nonGrease(ext.versions)
    else if (ext.kind === 'alpn') alpn = ext.protocols
    else if (ext.kind === 'raw' && ext.type === ExtensionType.record_size_limit && ext.body.length === 2) {
      recordSizeLimit = (ext.body[0]! << 8) | ext.body[1]!
    } else if (ext.kind === 'raw' && ext.type === ExtensionType.compress_certificate) {
      certCompression = []
      for (let i = 1; i + 1 < ext.body.length; i += 2) certCompression.push((ext.body[i]! << 8) | ext.body[i + 1]!)
    }
  }
  return {
    cipherSuites: nonGrease(spec.cipherSuites),
    groups,
    signatureSchemes,
    versions,
    alpn,
    extensionTypes,
    recordSizeLimit,
    certCompression,
  }
}

function checkSpec(spec: ClientHelloSpec): void {
  const seen = new Set<string>()
  let greaseCount = 0
  for (const ext of spec.extensions) {
    if (ext.kind === 'grease') {
      if (++greaseCount > 2)
        throw new InvalidArgumentError(`profile ${spec.name}: at most two GREASE extensions are supported`)
      continue
    }
    const key = String(extensionTypeOf(ext))
    if (seen.has(key))
      throw new InvalidArgumentError(`profile ${spec.name}: extension ${key} is listed twice (RFC 8446 §4.2)`)
    seen.add(key)
    if (
      ext.kind === 'ech_grease' &&
      (ext.payloadLengths.length === 0 || ext.pskPayloadLengths?.length === 0 || ext.aeadIds?.length === 0)
    ) {
      throw new InvalidArgumentError(`profile ${spec.name}: ech_grease needs at least one payload length and AEAD id`)
    }
  }
  const groups = spec.extensions.find((e) => e.kind === 'supported_groups')
  const shares = spec.extensions.find((e) => e.kind === 'key_share')
  if (shares?.kind === 'key_share') {
    const offered = groups?.kind === 'supported_groups' ? groups.groups : []
    for (const g of shares.groups) {
      // RFC 8446 §4.2.8: every KeyShareEntry must name a group offered in supported_groups.
      if (!offered.includes(g)) {
        throw new InvalidArgumentError(`profile ${spec.name}: key_share group ${String(g)} is not in supported_groups`)
      }
    }
  }
}
