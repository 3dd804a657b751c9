/**
 * TLS ExtensionType codepoints used by the profiles and the parser (IANA "TLS ExtensionType
 * Values" registry; drafts where noted).
 */
export const ExtensionType = {
  server_name: 0x0000, // RFC 6066 §3
  status_request: 0x0005, // RFC 6066 §8
  supported_groups: 0x000a, // RFC 8422 §5.1.1, RFC 8446 §4.2.7
  ec_point_formats: 0x000b, // RFC 8422 §5.1.2
  signature_algorithms: 0x000d, // RFC 8446 §4.2.3
  application_layer_protocol_negotiation: 0x0010, // RFC 7301
  signed_certificate_timestamp: 0x0012, // RFC 6962 §3.3.1
  padding: 0x0015, // RFC 7685
  extended_master_secret: 0x0017, // RFC 7627
  compress_certificate: 0x001b, // RFC 8879
  record_size_limit: 0x001c, // RFC 8449
  delegated_credential: 0x0022, // RFC 9345
  session_ticket: 0x0023, // RFC 5077
  pre_shared_key: 0x0029, // RFC 8446 §4.2.11
  early_data: 0x002a, // RFC 8446 §4.2.10
  supported_versions: 0x002b, // RFC 8446 §4.2.1
  cookie: 0x002c, // RFC 8446 §4.2.2
  psk_key_exchange_modes: 0x002d, // RFC 8446 §4.2.9
  key_share: 0x0033, // RFC 8446 §4.2.8
  /** application_settings (ALPS), new codepoint used by Chromium since ~M133 (draft-vvv-tls-alps). */
  application_settings: 0x44cd,
  /** application_settings (ALPS), the old codepoint 17513. */
  application_settings_old: 0x4469,
  /** TLS Trust Anchor Identifiers (draft-ietf-tls-trust-anchor-ids), codepoint as sent by Chromium 156. */
  trust_anchors: 0xca34,
  encrypted_client_hello: 0xfe0d, // draft-ietf-tls-esni
  renegotiation_info: 0xff01, // RFC 5746
} as const
