/**
 * The one place a ClientHello becomes bytes (RFC 8446 §4.1.2): a plan (per-connection choices)
 * plus the engine's per-connection inputs (random, session id, key shares, SNI, PSK, cookie).
 */
import { InvalidArgumentError } from '../errors.js'
import { ByteWriter } from '../util/bytes.js'
import { extensionTypeOf } from './plan.js'
import type { ClientHelloInputs, ClientHelloPlan, EncodedClientHello, ResolvedExtension } from './spec.js'

/** HandshakeType.client_hello (RFC 8446 §4). */
const CLIENT_HELLO = 1

/**
 * Encodes the ClientHello handshake message (msg_type ‖ uint24 length ‖ body).
 *
 * Extensions follow `plan.extensions` in order; some depend on the inputs:
 * - server_name is left out when `inputs.serverName` is undefined;
 * - the key_share GREASE entry (1-byte key 0x00, Chromium) comes first, and is dropped when `inputs.retry`;
 * - alpn uses `inputs.alpn` when given (an empty list leaves ALPN out); ALPS keeps only protocols
 *   still offered, and is left out when none remain;
 * - session_ticket carries `inputs.sessionTicket` (empty otherwise), and is left out when a PSK is
 *   given and the plan says `omitWithPsk`;
 * - the GREASE ECH body is the plan's (its `pskBody` when a PSK is given), identical on a retry;
 * - cookie is present only with `inputs.cookie`; pre_shared_key only with `inputs.psk`, always last,
 *   with zero binders of `binderLengths` bytes whose list starts at `bindersOffset` (RFC 8446 §4.2.11.2).
 *
 * @throws InvalidArgumentError for inputs of the wrong shape (random not 32 bytes, session id not
 *   `spec.sessionIdLength` bytes, a key share for a group not offered, an empty key share, a PSK for
 *   a profile without pre_shared_key, a cookie for a profile without cookie, binder counts that do
 *   not match the identities).
 */
export function encodeClientHello(plan: ClientHelloPlan, inputs: ClientHelloInputs): EncodedClientHello {
  checkInputs(plan, inputs)
  const w = new ByteWriter(2048)
  let bindersOffset: number | undefined
  w.u8(CLIENT_HELLO).vec(3, (w) => {
    w.u16(plan.spec.legacyVersion)
    w.bytes(inputs.random)
    w.vecBytes(1, inputs.sessionId)
    w.vec(2, (w) => {
      for (const c of plan.cipherSuites) w.u16(c)
    })
    w.vec(1, (w) => {
      for (const m of plan.spec.compressionMethods) w.u8(m)
    })
    w.vec(2, (w) => {
      for (const ext of plan.extensions) {
        if (ext.kind === 'pre_shared_key') continue
        writeExtension(w, ext, plan, inputs)
      }
      if (inputs.psk !== undefined) bindersOffset = writePreSharedKey(w, inputs.psk)
    })
  })
  return { message: w.finish(), bindersOffset }
}

function writeExtension(w: ByteWriter, ext: ResolvedExtension, plan: ClientHelloPlan, inputs: ClientHelloInputs): void {
  const hasPsk = inputs.psk !== undefined
  const put = (type: number, body: (w: ByteWriter) => void): void => {
    w.u16(type).vec(2, body)
  }
  const type = extensionTypeOf(ext)!
  switch (ext.kind) {
    case 'grease':
    case 'raw':
      return put(type, (w) => w.bytes(ext.body))
    case 'server_name': {
      if (inputs.serverName === undefined) return
      const host = Buffer.from(inputs.serverName, 'ascii')
      // RFC 6066 §3: ServerNameList of one host_name(0) entry.
      return put(type, (w) => w.vec(2, (w) => w.u8(0).vecBytes(2, host)))
    }
    case 'supported_groups':
      return put(type, (w) => w.vec(2, (w) => ext.groups.forEach((g) => w.u16(g))))
    case 'signature_algorithms':
      return put(type, (w) => w.vec(2, (w) => ext.schemes.forEach((s) => w.u16(s))))
    case 'supported_versions':
      return put(type, (w) => w.vec(1, (w) => ext.versions.forEach((v) => w.u16(v))))
    case 'key_share':
      return put(type, (w) =>
        w.vec(2, (w) => {
          if (plan.greaseKeyShareGroup !== undefined && inputs.retry !== true) {
            w.u16(plan.greaseKeyShareGroup).vecBytes(2, Uint8Array.of(0)) // RFC 8701 §3, 1-byte key
          }
          for (const ks of inputs.keyShares) w.u16(ks.group).vecBytes(2, ks.keyExchange)
        }),
      )
    case 'alpn': {
      const protocols = inputs.alpn ?? ext.protocols
      if (protocols.length === 0) return
      return put(type, (w) => writeProtocolList(w, protocols))
    }
    case 'alps': {
      const offered = inputs.alpn ?? alpnOf(plan)
      const protocols = ext.protocols.filter((p) => offered.includes(p))
      if (protocols.length === 0) return
      return put(type, (w) => writeProtocolList(w, protocols))
    }
    case 'ech_grease':
      return put(type, (w) => w.bytes(hasPsk ? ext.pskBody : ext.body))
    case 'session_ticket':
      if (hasPsk && ext.omitWithPsk) return
      return put(type, (w) => w.bytes(inputs.sessionTicket ?? new Uint8Array(0)))
    case 'cookie':
      if (inputs.cookie === undefined) return
      return put(type, (w) => w.vecBytes(2, inputs.cookie!)) // RFC 8446 §4.2.2
    case 'pre_shared_key':
      return
  }
}

/** RFC 7301 §3.1 ProtocolNameList (also the ALPS body, draft-vvv-tls-alps §3). */
function writeProtocolList(w: ByteWriter, protocols: readonly string[]): void {
  w.vec(2, (w) => {
    for (const p of protocols) w.vecBytes(1, Buffer.from(p, 'utf8'))
  })
}

function alpnOf(plan: ClientHelloPlan): readonly string[] {
  const ext = plan.extensions.find((e) => e.kind === 'alpn')
  return ext?.kind === 'alpn' ? ext.protocols : []
}

/** RFC 8446 §4.2.11 OfferedPsks; returns the message offset of the binders list. */
function writePreSharedKey(w: ByteWriter, psk: NonNullable<ClientHelloInputs['psk']>): number {
  let offset = 0
  w.u16(0x0029).vec(2, (w) => {
    w.vec(2, (w) => {
      for (const id of psk.identities) w.vecBytes(2, id.identity).u32(id.obfuscatedTicketAge)
    })
    offset = w.length
    w.vec(2, (w) => {
      for (const n of psk.binderLengths) w.vecBytes(1, new Uint8Array(n))
    })
  })
  return offset
}

function checkInputs(plan: ClientHelloPlan, inputs: ClientHelloInputs): void {
  const spec = plan.spec
  if (inputs.random.length !== 32)
    throw new InvalidArgumentError(`ClientHello random must be 32 bytes, got ${inputs.random.length}`)
  if (inputs.sessionId.length !== spec.sessionIdLength) {
    throw new InvalidArgumentError(
      `session id must be ${spec.sessionIdLength} bytes for profile ${spec.name}, got ${inputs.sessionId.length}`,
    )
  }
  for (const ks of inputs.keyShares) {
    if (!plan.offered.groups.includes(ks.group)) {
      throw new InvalidArgumentError(
        `key share for group 0x${ks.group.toString(16)} not offered in supported_groups (RFC 8446 §4.2.8)`,
      )
    }
    if (ks.keyExchange.length === 0)
      throw new InvalidArgumentError(`key share for group 0x${ks.group.toString(16)} is empty`)
  }
  if (inputs.serverName !== undefined && !/^[\x21-\x7e]{1,255}$/.test(inputs.serverName)) {
    throw new InvalidArgumentError(
      `serverName must be 1-255 printable ASCII characters (an A-label), got ${JSON.stringify(inputs.serverName)}`,
    )
  }
  if (inputs.alpn !== undefined) {
    for (const p of inputs.alpn) {
      const n = Buffer.byteLength(p, 'utf8')
      if (n < 1 || n > 255)
        throw new InvalidArgumentError(
          `ALPN protocol names must be 1-255 bytes (RFC 7301 §3.1), got ${JSON.stringify(p)}`,
        )
    }
  }
  const has = (kind: ResolvedExtension['kind']): boolean => plan.extensions.some((e) => e.kind === kind)
  if (inputs.cookie !== undefined && !has('cookie'))
    throw new InvalidArgumentError(`profile ${spec.name} has no cookie extension`)
  const psk = inputs.psk
  if (psk !== undefined) {
    if (!has('pre_shared_key'))
      throw new InvalidArgumentError(`profile ${spec.name} has no pre_shared_key extension; resumption is not possible`)
    if (psk.identities.length === 0 || psk.identities.length !== psk.binderLengths.length) {
      throw new InvalidArgumentError(
        'psk needs one binder length per identity, and at least one identity (RFC 8446 §4.2.11)',
      )
    }
    for (const n of psk.binderLengths) {
      if (!Number.isInteger(n) || n < 32 || n > 255)
        throw new InvalidArgumentError(`PSK binder length must be 32..255 bytes, got ${n}`)
    }
  }
}
