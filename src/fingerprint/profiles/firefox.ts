/**
 * Firefox ESR 153 (NSS) ClientHello, from the captures in `test/fixtures/captures/firefox-esr-153`
 * (18 ClientHellos of Firefox 153.7.0esr on Debian 12). No GREASE, fixed extension order (NSS's
 * sender table); every extension body below is the captured one.
 *
 * Expected: JA3 `6447ab086255d194909d4013b1a89e87`, JA4 `t13d1617h2_86a278354501_3cbfd9057e0d`
 * (with a PSK `t13d1617h2_86a278354501_e6dcd7ae0a9e`: session_ticket dropped, pre_shared_key last),
 * total length 1888 bytes (2459 with the captured 224-byte ticket).
 */
import type { ClientHelloSpec } from '../spec.js'
import { ExtensionType } from '../extension-types.js'

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))

export const firefox: ClientHelloSpec = {
  name: 'firefox',
  source: 'Firefox ESR 153.7.0esr capture (test/fixtures/captures/firefox-esr-153)',
  recordVersion: 0x0301,
  legacyVersion: 0x0303,
  sessionIdLength: 32,
  cipherSuites: [
    0x1301,
    0x1303,
    0x1302, // TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256, TLS_AES_256_GCM_SHA384
    0xc02b,
    0xc02f,
    0xcca9,
    0xcca8,
    0xc02c,
    0xc030,
    0xc00a,
    0xc013,
    0xc014, // ECDHE_ECDSA_WITH_AES_256_CBC_SHA, ECDHE_RSA_WITH_AES_{128,256}_CBC_SHA
    0x009c,
    0x009d,
    0x002f,
    0x0035,
  ],
  compressionMethods: [0],
  extensions: [
    { kind: 'server_name' },
    { kind: 'raw', type: ExtensionType.extended_master_secret, body: new Uint8Array(0) },
    { kind: 'raw', type: ExtensionType.renegotiation_info, body: hex('00') },
    // X25519MLKEM768, x25519, secp256r1, secp384r1, secp521r1, ffdhe2048, ffdhe3072
    { kind: 'supported_groups', groups: [0x11ec, 0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101] },
    { kind: 'raw', type: ExtensionType.ec_point_formats, body: hex('0100') },
    { kind: 'session_ticket', omitWithPsk: true },
    { kind: 'alpn', protocols: ['h2', 'http/1.1'] },
    { kind: 'raw', type: ExtensionType.status_request, body: hex('0100000000') },
    // delegated_credentials: ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512, ecdsa_sha1
    { kind: 'raw', type: ExtensionType.delegated_credential, body: hex('00080403050306030203') },
    { kind: 'raw', type: ExtensionType.signed_certificate_timestamp, body: new Uint8Array(0) },
    { kind: 'key_share', groups: [0x11ec, 0x001d, 0x0017] },
    { kind: 'supported_versions', versions: [0x0304, 0x0303] },
    {
      kind: 'signature_algorithms',
      schemes: [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201],
    },
    // NSS sends cookie between signature_algorithms and psk_key_exchange_modes (only after a HelloRetryRequest).
    { kind: 'cookie' },
    { kind: 'raw', type: ExtensionType.psk_key_exchange_modes, body: hex('0101') },
    { kind: 'raw', type: ExtensionType.record_size_limit, body: hex('4001') }, // 16385
    { kind: 'raw', type: ExtensionType.compress_certificate, body: hex('06000100020003') }, // zlib, brotli, zstd
    {
      kind: 'ech_grease',
      kdfId: 0x0001,
      aeadId: 0x0001,
      // AES-128-GCM or ChaCha20-Poly1305, per connection (firefox-01/ca-01/ca-04: 0x0001, firefox-02/03: 0x0003).
      aeadIds: [0x0001, 0x0003],
      encLength: 32,
      payloadLengths: [239],
      pskPayloadLengths: [527],
    },
    { kind: 'pre_shared_key' },
  ],
  shuffle: 'none',
  reuseX25519InHybrid: true,
  // TLS 1.2 tickets, captures/tls12-tickets/firefox-ems.json: full and resumed handshakes alternate.
  tls12TicketReuse: 'single',
}
