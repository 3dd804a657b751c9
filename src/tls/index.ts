export { connect, type ConnectedTlsSocket, type ConnectOptions } from './connect.js'
export { TlsSocket, type TlsConnectionInfo } from './socket.js'
export {
  TlsError,
  TlsAlertError,
  TlsProtocolError,
  TlsIncompatibleError,
  TlsUnsupportedError,
  TlsDecodeError,
  TlsInternalError,
  TlsBadRecordMacError,
  TlsRecordOverflowError,
  TlsTruncatedError,
  TlsHandshakeTimeoutError,
  TlsClosedError,
} from './errors.js'
export { TlsCertificateError } from './cert/errors.js'
export { generateKeyShares, mlKemBackend, type KeyShare } from './crypto/key-exchange.js'
export { TLS13_CIPHER_SUITES } from './crypto/cipher-suites.js'
export { TLS12_CIPHER_SUITES, type CipherSuite12 } from './crypto/cipher-suites12.js'
export type { HandshakeResult12, Tls12SessionTicket } from './handshake/context.js'
export {
  SessionTicketStore,
  type StoredTicket,
  type StoredTicket12,
  type SessionTicketStoreOptions,
} from './session-cache.js'
export { appendKeyLog } from './keylog.js'
