/**
 * Chromium 156 (BoringSSL) ClientHello, from the captures in `test/fixtures/captures/chromium-156`
 * (21 ClientHellos of Chromium 156.0.8078.79 on Debian 12). Every extension body below is the
 * captured one; what varies per connection (GREASE values, extension order, key shares, GREASE ECH
 * bytes) is described by placeholders and the `chromium` shuffle rule.
 *
 * Expected: JA4 `t13d1517h2_8daaf6152771_cb7bf5808d99` (with a PSK `t13d1518h2_8daaf6152771_e2d80978ab2e`),
 * JA3 with extensions sorted `bd4930bd9b000ee684830e44bab76fdf`, total length 1913/1945/1977/2009 bytes.
 */
import { GREASE, type ClientHelloSpec } from '../spec.js'
import { alpsHttp2Payload } from '../http.js'
import { CHROMIUM_156_H2_SETTINGS as CHROME_H2_SETTINGS } from '../identity/chromium.js'
import { ExtensionType } from '../extension-types.js'

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))

/**
 * Body of extension 0xca34 (draft TLS Trust Anchor IDs): 28 relative OIDs, identical in every capture.
 */
const TRUST_ANCHOR_IDS =
  '00b80582df1302010582df1302060582df13020d0582df13020e0582df13020f0582df1302120582df1302130582df130214' +
  '08839a648c9b2d010708839a648c9b2d010808839a648c9b2d010908839a648c9b2d010a08839a648c9b2d010b08839a648c9b2d010c' +
  '08839a648c9b2d010d08839a648c9b2d011208839a648c9b2d011304d679090104d679090404d679090504d679090604d6790907' +
  '04d679090804d679090a04d679090b04d679090c04d679090d04d679090f'

export const chrome: ClientHelloSpec = {
  name: 'chrome',
  source: 'Chromium 156.0.8078.79 capture (test/fixtures/captures/chromium-156)',
  recordVersion: 0x0301,
  legacyVersion: 0x0303,
  sessionIdLength: 32,
  cipherSuites: [
    GREASE,
    0x1301,
    0x1302,
    0x1303, // TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256
    0xc02b,
    0xc02f,
    0xc02c,
    0xc030, // ECDHE_{ECDSA,RSA}_WITH_AES_{128,256}_GCM
    0xcca9,
    0xcca8, // ECDHE_{ECDSA,RSA}_WITH_CHACHA20_POLY1305_SHA256
    0xc013,
    0xc014, // ECDHE_RSA_WITH_AES_{128,256}_CBC_SHA
    0x009c,
    0x009d, // RSA_WITH_AES_{128,256}_GCM
    0x002f,
    0x0035, // RSA_WITH_AES_{128,256}_CBC_SHA
  ],
  compressionMethods: [0],
  // Canonical order (BoringSSL's extension table); the wire order is a fresh permutation per connection.
  extensions: [
    { kind: 'grease', body: new Uint8Array(0) },
    { kind: 'server_name' },
    { kind: 'ech_grease', kdfId: 0x0001, aeadId: 0x0001, encLength: 32, payloadLengths: [144, 176, 208, 240] },
    { kind: 'raw', type: ExtensionType.extended_master_secret, body: new Uint8Array(0) },
    { kind: 'raw', type: ExtensionType.renegotiation_info, body: hex('00') },
    // X25519MLKEM768, x25519, secp256r1, secp384r1
    { kind: 'supported_groups', groups: [GREASE, 0x11ec, 0x001d, 0x0017, 0x0018] },
    { kind: 'raw', type: ExtensionType.ec_point_formats, body: hex('0100') }, // [uncompressed]
    { kind: 'session_ticket' },
    { kind: 'alpn', protocols: ['h2', 'http/1.1'] },
    { kind: 'raw', type: ExtensionType.status_request, body: hex('0100000000') }, // ocsp, no ids, no extensions
    {
      kind: 'signature_algorithms',
      // mldsa44, mldsa65, mldsa87, ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256,
      // ecdsa_secp384r1_sha384, rsa_pss_rsae_sha384, rsa_pkcs1_sha384, rsa_pss_rsae_sha512, rsa_pkcs1_sha512
      schemes: [GREASE, 0x0904, 0x0905, 0x0906, 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601],
    },
    { kind: 'raw', type: ExtensionType.signed_certificate_timestamp, body: new Uint8Array(0) },
    { kind: 'key_share', groups: [GREASE, 0x11ec, 0x001d] },
    { kind: 'raw', type: ExtensionType.psk_key_exchange_modes, body: hex('0101') }, // [psk_dhe_ke]
    { kind: 'supported_versions', versions: [GREASE, 0x0304, 0x0303] },
    { kind: 'cookie' },
    { kind: 'raw', type: ExtensionType.compress_certificate, body: hex('020002') }, // [brotli]
    // The h2 payload answers a server that negotiates ALPS: Chromium's HTTP/2 SETTINGS and an empty ACCEPT_CH.
    {
      kind: 'alps',
      type: ExtensionType.application_settings,
      protocols: ['h2'],
      settings: { h2: alpsHttp2Payload(CHROME_H2_SETTINGS) },
    },
    { kind: 'raw', type: ExtensionType.trust_anchors, body: hex(TRUST_ANCHOR_IDS) },
    { kind: 'grease', body: hex('00') },
    { kind: 'pre_shared_key' },
  ],
  shuffle: 'chromium',
  reuseX25519InHybrid: false,
  // TLS 1.2 tickets, captures/tls12-tickets/chromium-ems.json: connections 2-7 offer the ticket of connection 1.
  tls12TicketReuse: 'multi',
}
