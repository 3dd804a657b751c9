/**
 * A ClientHello described as data (the uTLS idea, one source of truth): the engine in `tls/`
 * derives everything it offers from a `ClientHelloSpec`, and `encodeClientHello` is the only
 * place that turns one into bytes.
 */
import type { GreaseChoice } from './grease.js'

/** A GREASE placeholder (RFC 8701); a fresh value from {0x0a0a, 0x1a1a, …, 0xfafa} is chosen per connection. */
export const GREASE = 'GREASE' as const
export type Grease = typeof GREASE

/** A 16-bit codepoint or a GREASE placeholder. */
export type Codepoint = number | Grease

export type ExtensionSpec =
  /** GREASE extension (RFC 8701 §3); Chromium sends an empty first one and a 1-byte `00` last one. */
  | { kind: 'grease'; body: Uint8Array }
  /** server_name (RFC 6066 §3), host_name from the connection's SNI; omitted if no SNI. */
  | { kind: 'server_name' }
  /** supported_groups (RFC 8446 §4.2.7). */
  | { kind: 'supported_groups'; groups: readonly Codepoint[] }
  /** signature_algorithms (RFC 8446 §4.2.3). */
  | { kind: 'signature_algorithms'; schemes: readonly Codepoint[] }
  /** supported_versions (RFC 8446 §4.2.1). */
  | { kind: 'supported_versions'; versions: readonly Codepoint[] }
  /**
   * key_share (RFC 8446 §4.2.8): one share per listed group, in this order. A GREASE entry
   * carries a 1-byte key `00` and uses the same GREASE value as supported_groups (Chromium).
   */
  | { kind: 'key_share'; groups: readonly Codepoint[] }
  /** application_layer_protocol_negotiation (RFC 7301). */
  | { kind: 'alpn'; protocols: readonly string[] }
  /**
   * application_settings (ALPS), draft-vvv-tls-alps; Chromium 156 uses codepoint 17613 (0x44cd).
   * `settings` is the client's payload per protocol, sent in its EncryptedExtensions when the server
   * negotiates ALPS (§4); for h2 a sequence of HTTP/2 frames (draft-vvv-httpbis-alps §3).
   */
  | { kind: 'alps'; type: number; protocols: readonly string[]; settings?: Readonly<Record<string, Uint8Array>> }
  /**
   * GREASE encrypted_client_hello (draft-ietf-tls-esni §6.2, 0xfe0d): outer ClientHello with a
   * random config_id, `encLength` random bytes of enc and a random payload whose length is picked
   * from `payloadLengths` per connection.
   */
  | {
      kind: 'ech_grease'
      kdfId: number
      aeadId: number
      /**
       * When present, the AEAD id is drawn from this list per connection instead of `aeadId`
       * (Firefox ESR 153 sent 0x0001 AES-128-GCM or 0x0003 ChaCha20-Poly1305: captures firefox-02/03 vs -01).
       */
      aeadIds?: readonly number[]
      encLength: number
      payloadLengths: readonly number[]
      /**
       * Payload lengths used instead when the hello carries a PSK (NSS sizes the GREASE payload
       * like the inner ClientHello it would have encrypted, so it grows with the ticket: Firefox
       * ESR 153 sends 527 with a 224-byte ticket, capture `firefox_ca-04`). Default: `payloadLengths`.
       */
      pskPayloadLengths?: readonly number[]
    }
  /**
   * session_ticket (RFC 5077): empty, or the TLS 1.2 ticket when resuming. `omitWithPsk`: left
   * out when the hello carries pre_shared_key (Firefox, capture `firefox_ca-04`; Chromium keeps it).
   */
  | { kind: 'session_ticket'; omitWithPsk?: boolean }
  /** pre_shared_key (RFC 8446 §4.2.11): present only when resuming; always last on the wire. */
  | { kind: 'pre_shared_key' }
  /** cookie (RFC 8446 §4.2.2): present only in a ClientHello answering a HelloRetryRequest. */
  | { kind: 'cookie' }
  /** Any extension whose body is the same on every connection (status_request, ec_point_formats, 0xca34, …). */
  | { kind: 'raw'; type: number; body: Uint8Array }

/** How the extension order changes per connection. */
export type ShuffleRule =
  /** Fixed order (Firefox). */
  | 'none'
  /**
   * Chromium (BoringSSL `ssl_shuffle_extensions` since Chrome 110): every extension is permuted,
   * except the GREASE extensions, which stay first and last, and pre_shared_key, which stays last.
   */
  | 'chromium'

export interface ClientHelloSpec {
  /** Profile name, e.g. `chrome`. */
  readonly name: string
  /** Where the spec comes from, e.g. `Chromium 156.0.8078.79 capture (../test/fixtures/captures/chromium-156)`. */
  readonly source: string
  /** Record-layer version of the first ClientHello record (0x0301 for every modern browser). */
  readonly recordVersion: number
  /** ClientHello.legacy_version (0x0303). */
  readonly legacyVersion: number
  /** Length of the random legacy_session_id (32 for browsers, RFC 8446 §D.4 middlebox compatibility). */
  readonly sessionIdLength: number
  readonly cipherSuites: readonly Codepoint[]
  readonly compressionMethods: readonly number[]
  /** Extensions in their canonical order (the wire order for `shuffle: 'none'`). */
  readonly extensions: readonly ExtensionSpec[]
  readonly shuffle: ShuffleRule
  /**
   * Firefox sends an x25519 share that equals the X25519 half of its X25519MLKEM768 share;
   * Chromium generates two independent keys.
   */
  readonly reuseX25519InHybrid: boolean
  /**
   * How the browser reuses a TLS 1.2 session ticket (RFC 5077 §3.4): `multi` offers the same ticket on every later
   * connection until it expires or the server issues a newer one (Chromium 156); `single` offers each ticket once,
   * so a resumption without a new ticket is followed by a full handshake (Firefox ESR 153). Loopback captures in
   * test/fixtures/captures/tls12-tickets/.
   */
  readonly tls12TicketReuse: 'multi' | 'single'
}

/** A `ClientHelloSpec` resolved for one connection: GREASE values chosen, order fixed, ECH GREASE bytes drawn. */
export interface ClientHelloPlan {
  readonly spec: ClientHelloSpec
  /** The GREASE values of this connection (all drawn even when the spec uses none). */
  readonly grease: GreaseChoice
  /** Extensions in wire order, GREASE resolved to numbers. */
  readonly extensions: readonly ResolvedExtension[]
  readonly cipherSuites: readonly number[]
  /** The key-share groups the engine must generate keys for, in order (GREASE excluded). */
  readonly keyShareGroups: readonly number[]
  /** GREASE key share group, if the spec has one (its key is the single byte 0x00). */
  readonly greaseKeyShareGroup: number | undefined
  /** Everything non-GREASE the hello offers, for the engine to check the server's choices against. */
  readonly offered: OfferedParameters
}

export type ResolvedExtension =
  | { kind: 'grease'; type: number; body: Uint8Array }
  | { kind: 'server_name' }
  | { kind: 'supported_groups'; groups: readonly number[] }
  | { kind: 'signature_algorithms'; schemes: readonly number[] }
  | { kind: 'supported_versions'; versions: readonly number[] }
  | { kind: 'key_share' }
  | { kind: 'alpn'; protocols: readonly string[] }
  | { kind: 'alps'; type: number; protocols: readonly string[]; settings?: Readonly<Record<string, Uint8Array>> }
  /**
   * The whole extension body, drawn once per connection and re-sent unchanged after a HelloRetryRequest.
   * `pskBody` (same config_id and enc, payload of a `pskPayloadLengths` length) is sent instead when
   * the hello carries a PSK.
   */
  | { kind: 'ech_grease'; body: Uint8Array; pskBody: Uint8Array }
  | { kind: 'session_ticket'; omitWithPsk: boolean }
  | { kind: 'pre_shared_key' }
  | { kind: 'cookie' }
  | { kind: 'raw'; type: number; body: Uint8Array }

export interface OfferedParameters {
  readonly cipherSuites: readonly number[]
  readonly groups: readonly number[]
  readonly signatureSchemes: readonly number[]
  readonly versions: readonly number[]
  readonly alpn: readonly string[]
  /** Extension types the hello carries (GREASE excluded); a server may only answer these. */
  readonly extensionTypes: ReadonlySet<number>
  /** record_size_limit value offered (RFC 8449), if any. */
  readonly recordSizeLimit: number | undefined
  /** compress_certificate algorithms offered (RFC 8879), if any. */
  readonly certCompression: readonly number[]
}

/** Per-connection values the engine supplies when it encodes a ClientHello from a plan. */
export interface ClientHelloInputs {
  /** 32 bytes. */
  readonly random: Uint8Array
  /** `spec.sessionIdLength` bytes. */
  readonly sessionId: Uint8Array
  /** SNI host_name; `undefined` leaves server_name out (IP literals, RFC 6066 §3). */
  readonly serverName: string | undefined
  /** One entry per `plan.keyShareGroups` (or only the HelloRetryRequest's group), in that order. */
  readonly keyShares: ReadonlyArray<{ readonly group: number; readonly keyExchange: Uint8Array }>
  /** True for the second ClientHello after a HelloRetryRequest: the GREASE key share is dropped. */
  readonly retry?: boolean
  /** HelloRetryRequest cookie to echo (RFC 8446 §4.2.2). */
  readonly cookie?: Uint8Array
  /** Replaces the profile's ALPN list (and drops ALPS protocols not in it), e.g. `['http/1.1']`. */
  readonly alpn?: readonly string[]
  /** TLS 1.2 session ticket to send in session_ticket (RFC 5077). */
  readonly sessionTicket?: Uint8Array
  /** PSK identities for pre_shared_key (RFC 8446 §4.2.11); binders are written as zeros of these lengths. */
  readonly psk?: {
    readonly identities: ReadonlyArray<{ readonly identity: Uint8Array; readonly obfuscatedTicketAge: number }>
    readonly binderLengths: readonly number[]
  }
}

export interface EncodedClientHello {
  /** The handshake message: msg_type(1) ‖ length(3) ‖ body. */
  readonly message: Buffer
  /**
   * Offset in `message` where the binders list (its 2-byte length) starts, when a PSK was given:
   * the binder is computed over `message.subarray(0, bindersOffset)` (RFC 8446 §4.2.11.2) and written after it.
   */
  readonly bindersOffset: number | undefined
}
