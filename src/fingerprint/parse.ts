/**
 * ClientHello decoder (RFC 8446 §4.1.2) for fingerprinting: accepts the handshake message
 * (`01 ‖ uint24 length ‖ body`) or the TLS records that carry it (RFC 8446 §5.1, record header
 * `16 ‖ version ‖ uint16 length`, possibly fragmented over several records).
 */
import { ByteReader, DecodeError } from '../util/bytes.js'
import { ExtensionType } from './extension-types.js'

export interface ClientHelloExtension {
  readonly type: number
  /** The extension_data bytes (a view into the input). */
  readonly body: Buffer
}

export interface ParsedKeyShare {
  readonly group: number
  readonly keyExchange: Buffer
}

export interface ParsedClientHello {
  /** The handshake message, header included (what a transcript hashes). */
  readonly message: Buffer
  /** Version field of the first record, when the input was records. */
  readonly recordVersion: number | undefined
  readonly legacyVersion: number
  /** 32 bytes. */
  readonly random: Buffer
  readonly sessionId: Buffer
  /** In wire order, GREASE included. */
  readonly cipherSuites: readonly number[]
  readonly compressionMethods: readonly number[]
  /** In wire order, GREASE included. */
  readonly extensions: readonly ClientHelloExtension[]
  /** host_name of server_name (RFC 6066 §3), if present. */
  readonly serverName: string | undefined
  /** ALPN protocol names (RFC 7301), if present. */
  readonly alpn: readonly string[] | undefined
  readonly supportedGroups: readonly number[] | undefined
  readonly keyShares: readonly ParsedKeyShare[] | undefined
  readonly signatureAlgorithms: readonly number[] | undefined
  readonly supportedVersions: readonly number[] | undefined
  /** ec_point_formats (RFC 8422 §5.1.2), if present. */
  readonly ecPointFormats: readonly number[] | undefined
}

/** RFC 8446 §5.1 ContentType.handshake. */
const HANDSHAKE_RECORD = 22
const CLIENT_HELLO = 1
/** RFC 8446 §5.1: a TLSPlaintext fragment is at most 2^14 bytes. */
const MAX_FRAGMENT = 1 << 14

/** Outcome of `readClientHelloRecords`: the reassembled message and how many input bytes it took. */
export interface ClientHelloRecords {
  readonly message: Buffer
  readonly recordVersion: number
  /** Input bytes consumed (whole records). */
  readonly consumed: number
}

/**
 * Reassembles the ClientHello handshake message from the start of a record stream.
 * Returns `undefined` when more bytes are needed.
 * @throws DecodeError when the bytes are not handshake records or not a ClientHello.
 */
export function readClientHelloRecords(input: Uint8Array): ClientHelloRecords | undefined {
  const parts: Buffer[] = []
  let have = 0
  let need: number | undefined
  let pos = 0
  let recordVersion = 0
  while (need === undefined || have < need) {
    if (input.length - pos < 5) return undefined
    const r = new ByteReader(input, pos, input.length, 'record')
    const type = r.u8('content type')
    const version = r.u16('version')
    const length = r.u16('length')
    if (type !== HANDSHAKE_RECORD)
      throw new DecodeError(`record: content type ${type} where a handshake record (22) was expected`)
    if (version >> 8 !== 0x03) throw new DecodeError(`record: version 0x${version.toString(16)} is not TLS`)
    if (length === 0 || length > MAX_FRAGMENT)
      throw new DecodeError(`record: fragment length ${length} outside 1..16384 (RFC 8446 §5.1)`)
    if (pos === 0) recordVersion = version
    if (r.remaining < length) return undefined
    parts.push(r.bytes(length, 'fragment'))
    have += length
    pos += 5 + length
    if (need === undefined && have >= 4) {
      const head = Buffer.concat(parts)
      if (head[0] !== CLIENT_HELLO)
        throw new DecodeError(`handshake: message type ${head[0]} where a ClientHello (1) was expected`)
      need = 4 + ((head[1]! << 16) | (head[2]! << 8) | head[3]!)
    }
  }
  if (have !== need) throw new DecodeError(`record: ${have - need} bytes after the ClientHello in its last record`)
  return { message: Buffer.concat(parts), recordVersion, consumed: pos }
}

/**
 * Decodes a ClientHello from a handshake message or from the record(s) carrying it (told apart
 * by the first byte: 0x16 record, 0x01 handshake message).
 * @throws DecodeError for truncated input, bytes after the message, malformed vectors,
 *   duplicate extensions (RFC 8446 §4.2), or malformed bodies of the extensions decoded here.
 */
export function parseClientHello(input: Uint8Array): ParsedClientHello {
  let message: Buffer
  let recordVersion: number | undefined
  if (input[0] === HANDSHAKE_RECORD) {
    const rec = readClientHelloRecords(input)
    if (rec === undefined) throw new DecodeError('record: truncated ClientHello record stream')
    if (rec.consumed !== input.length)
      throw new DecodeError(`record: ${input.length - rec.consumed} bytes after the ClientHello records`)
    message = rec.message
    recordVersion = rec.recordVersion
  } else {
    message = Buffer.from(input.buffer, input.byteOffset, input.length)
  }
  return { ...parseMessage(message), message, recordVersion }
}

function parseMessage(message: Buffer): Omit<ParsedClientHello, 'message' | 'recordVersion'> {
  const outer = new ByteReader(message, 0, message.length, 'ClientHello')
  const type = outer.u8('msg_type')
  if (type !== CLIENT_HELLO)
    throw new DecodeError(`handshake: message type ${type} where a ClientHello (1) was expected`)
  const r = outer.sub(3, 'body')
  outer.expectEmpty()
  const legacyVersion = r.u16('legacy_version')
  const random = r.bytes(32, 'random')
  const sessionId = r.vec(1, 'legacy_session_id')
  if (sessionId.length > 32)
    throw new DecodeError(`ClientHello: legacy_session_id of ${sessionId.length} bytes (max 32)`)
  const cs = r.sub(2, 'cipher_suites')
  if (cs.remaining < 2 || cs.remaining % 2 !== 0)
    throw new DecodeError('ClientHello: cipher_suites length must be even and at least 2')
  const cipherSuites: number[] = []
  while (cs.remaining > 0) cipherSuites.push(cs.u16('cipher_suite'))
  const cm = r.sub(1, 'legacy_compression_methods')
  if (cm.remaining < 1) throw new DecodeError('ClientHello: empty legacy_compression_methods')
  const compressionMethods: number[] = []
  while (cm.remaining > 0) compressionMethods.push(cm.u8('compression_method'))
  const extensions: ClientHelloExtension[] = []
  // RFC 5246 §7.4.1.2: the extensions block may be absent altogether.
  if (r.remaining > 0) {
    const ex = r.sub(2, 'extensions')
    const seen = new Set<number>()
    while (ex.remaining > 0) {
      const extType = ex.u16('extension_type')
      const body = ex.vec(2, 'extension_data')
      if (seen.has(extType))
        throw new DecodeError(
          `ClientHello: extension 0x${extType.toString(16).padStart(4, '0')} appears twice (RFC 8446 §4.2)`,
        )
      seen.add(extType)
      extensions.push({ type: extType, body })
    }
  }
  r.expectEmpty()
  const body = (t: number): Buffer | undefined => extensions.find((e) => e.type === t)?.body
  return {
    legacyVersion,
    random,
    sessionId,
    cipherSuites,
    compressionMethods,
    extensions,
    serverName: decodeOptional(body(ExtensionType.server_name), 'server_name', decodeServerName),
    alpn: decodeOptional(body(ExtensionType.application_layer_protocol_negotiation), 'alpn', decodeAlpn),
    supportedGroups: decodeOptional(body(ExtensionType.supported_groups), 'supported_groups', (r) => u16List(r, 2)),
    keyShares: decodeOptional(body(ExtensionType.key_share), 'key_share', decodeKeyShares),
    signatureAlgorithms: decodeOptional(body(ExtensionType.signature_algorithms), 'signature_algorithms', (r) =>
      u16List(r, 2),
    ),
    supportedVersions: decodeOptional(body(ExtensionType.supported_versions), 'supported_versions', (r) =>
      u16List(r, 1),
    ),
    ecPointFormats: decodeOptional(body(ExtensionType.ec_point_formats), 'ec_point_formats', decodePointFormats),
  }
}

function decodeOptional<T>(body: Buffer | undefined, what: string, decode: (r: ByteReader) => T): T | undefined {
  if (body === undefined) return undefined
  const r = new ByteReader(body, 0, body.length, what)
  const value = decode(r)
  r.expectEmpty()
  return value
}

function u16List(r: ByteReader, lenBytes: 1 | 2): number[] {
  const list = r.sub(lenBytes, 'list')
  if (list.remaining < 2 || list.remaining % 2 !== 0)
    throw new DecodeError(`${r.what}: list length must be even and at least 2`)
  const out: number[] = []
  while (list.remaining > 0) out.push(list.u16('entry'))
  return out
}

/** RFC 6066 §3: the host_name entry of ServerNameList. */
function decodeServerName(r: ByteReader): string | undefined {
  const list = r.sub(2, 'server_name_list')
  if (list.remaining === 0) throw new DecodeError('server_name: empty server_name_list')
  let host: string | undefined
  while (list.remaining > 0) {
    const nameType = list.u8('name_type')
    const name = list.vec(2, 'name')
    if (nameType === 0) {
      if (host !== undefined) throw new DecodeError('server_name: two host_name entries (RFC 6066 §3)')
      if (name.length === 0) throw new DecodeError('server_name: empty host_name')
      host = name.toString('latin1')
    }
  }
  return host
}

/** RFC 7301 §3.1 ProtocolNameList. */
function decodeAlpn(r: ByteReader): string[] {
  const list = r.sub(2, 'protocol_name_list')
  if (list.remaining === 0) throw new DecodeError('alpn: empty protocol_name_list')
  const out: string[] = []
  while (list.remaining > 0) {
    const name = list.vec(1, 'protocol_name')
    if (name.length === 0) throw new DecodeError('alpn: empty protocol name (RFC 7301 §3.1)')
    out.push(name.toString('latin1'))
  }
  return out
}

/** RFC 8446 §4.2.8 KeyShareClientHello. */
function decodeKeyShares(r: ByteReader): ParsedKeyShare[] {
  const list = r.sub(2, 'client_shares')
  const out: ParsedKeyShare[] = []
  while (list.remaining > 0) {
    const group = list.u16('group')
    const keyExchange = list.vec(2, 'key_exchange')
    if (keyExchange.length === 0) throw new DecodeError('key_share: empty key_exchange (RFC 8446 §4.2.8)')
    out.push({ group, keyExchange })
  }
  return out
}

function decodePointFormats(r: ByteReader): number[] {
  const list = r.sub(1, 'ec_point_format_list')
  if (list.remaining === 0) throw new DecodeError('ec_point_formats: empty list')
  const out: number[] = []
  while (list.remaining > 0) out.push(list.u8('format'))
  return out
}
