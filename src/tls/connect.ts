/**
 * `connect()`: TCP to one IP, then hotconn's TLS handshake with a browser profile's ClientHello
 * (SNI = host), resolving once the handshake is done.
 */
import { isIP } from 'node:net'
import type { Duplex } from 'node:stream'
import type { ProfileName } from '../config/index.js'
import { AbortError, InvalidArgumentError } from '../errors.js'
import { getProfile } from '../fingerprint/profiles/index.js'
import { planClientHello } from '../fingerprint/plan.js'
import type { ClientHelloSpec } from '../fingerprint/spec.js'
import { trustStoreFor } from './cert/roots.js'
import { verifyServerCertificateChain } from './cert/verify.js'
import { TlsClosedError, TlsHandshakeTimeoutError } from './errors.js'
import type { ChainVerifier, HandshakeResult } from './handshake/context.js'
import { appendKeyLog } from './keylog.js'
import type { NewSessionTicket } from './messages/simple.js'
import { connectSharedReads } from './shared-read.js'
import { SessionTicketStore, type StoredTicket12 } from './session-cache.js'
import { TlsSocket, type TlsConnectionInfo } from './socket.js'

export interface ConnectOptions {
  /** Hostname: the SNI and the name the certificate must match (RFC 6125). */
  readonly host: string
  /** Address to dial (default: `host`). */
  readonly ip?: string
  /** TCP port (default 443). */
  readonly port?: number
  /** SNI override; `false` sends none. Default: `host`, unless it is an IP literal (RFC 6066 §3). */
  readonly servername?: string | false
  /**
   * A shipped browser profile by name (`'chrome'`, `'firefox'`: PROFILE_NAMES), or a custom
   * ClientHelloSpec (e.g. `{ ...chrome, name: 'chrome-fixed-order', shuffle: 'none' }`). Default `chrome`.
   */
  readonly profile?: ProfileName | ClientHelloSpec
  /**
   * PEM or DER trust anchors that replace the default roots (Node's bundled Mozilla roots plus
   * NODE_EXTRA_CA_CERTS), like node:tls `ca`.
   */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>
  /** PEM or DER trust anchors added to the default roots (or to `ca`). */
  readonly extraCa?: string | Buffer | ReadonlyArray<string | Buffer>
  /**
   * Also trust the operating system's certificate store (Node >= 22.15 / 23.8: `tls.getCACertificates('system')`).
   * Default false; on an older Node, connect() rejects with TlsUnsupportedError (ERR_TLS_UNSUPPORTED).
   */
  readonly useSystemCa?: boolean
  /** Skip certificate and hostname verification. Emits a process warning once. */
  readonly insecure?: boolean
  /** Replaces the profile's ALPN list, e.g. `['http/1.1']`. */
  readonly alpn?: readonly string[]
  /** ms for TCP connect + handshake; default 10_000. Exceeding it rejects with ERR_TLS_HANDSHAKE_TIMEOUT. */
  readonly timeout?: number
  /** Aborts the connect (ERR_ABORTED). */
  readonly signal?: AbortSignal
  /** An already-connected transport to run TLS over instead of dialing. */
  readonly socket?: Duplex
  /** Force the ML-KEM implementation (default: native node:crypto when available). */
  readonly mlKemBackend?: 'node:crypto' | '@noble/post-quantum'
  /** Key log file (NSS format); default $SSLKEYLOGFILE. */
  readonly keyLogFile?: string
  /** Called for each NewSessionTicket the server sends (RFC 8446 §4.6.1). */
  readonly onTicket?: (ticket: NewSessionTicket, handshake: HandshakeResult) => void
  /**
   * Where tickets are stored and taken for resumption, keyed by (host, profile): TLS 1.3 tickets
   * (RFC 8446 §4.6.1, §2.2) offered as a PSK, and TLS 1.2 tickets (RFC 5077) sent in session_ticket
   * when no TLS 1.3 ticket is held. Only verified connections store or use tickets: a resumed
   * handshake has no certificate to check. TLS 1.3 tickets are used once; a TLS 1.2 ticket is used
   * once or reused as the profile's browser does (`tls12TicketReuse`), and a TLS 1.2 session without
   * extended master secret is never resumed (RFC 7627 §5.3).
   */
  readonly sessionStore?: SessionTicketStore
}

/** What `connect()` resolves to: a TlsSocket whose handshake has completed, so `info` is set. */
export type ConnectedTlsSocket = TlsSocket & { readonly info: TlsConnectionInfo }

let insecureWarned = false

/**
 * The NewSessionTicket handler of one connection. It lives as long as the connection, so it keeps
 * only the store, its key and the caller's callback, not the options (their AbortSignal, CA list…).
 */
function ticketHandler(
  options: ConnectOptions,
  profile: string,
): (ticket: NewSessionTicket, handshake: HandshakeResult) => void {
  const store = options.insecure ? undefined : options.sessionStore
  const key = SessionTicketStore.key(options.host, profile)
  const onTicket = options.onTicket
  return (ticket, handshake) => {
    store?.add(key, ticket, handshake)
    onTicket?.(ticket, handshake)
  }
}

function validate(options: ConnectOptions): void {
  if (!options || typeof options.host !== 'string' || options.host.length === 0) {
    throw new InvalidArgumentError('connect: host must be a non-empty string')
  }
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)) {
    throw new InvalidArgumentError(`connect: port must be an integer from 1 to 65535, got ${String(options.port)}`)
  }
  if (options.timeout !== undefined && (!Number.isFinite(options.timeout) || options.timeout <= 0)) {
    throw new InvalidArgumentError(`connect: timeout must be a positive number of ms, got ${String(options.timeout)}`)
  }
  if (
    options.alpn !== undefined &&
    (!Array.isArray(options.alpn) ||
      options.alpn.some((p) => typeof p !== 'string' || p.length === 0 || p.length > 255))
  ) {
    throw new InvalidArgumentError('connect: alpn must be an array of non-empty protocol names of at most 255 bytes')
  }
  // Before dialing: the trust options must be met (PEM that decodes, an OS store on this Node).
  if (!options.insecure) trustStoreFor(trustOptions(options))
}

function trustOptions(options: ConnectOptions) {
  return { ca: options.ca, extraCa: options.extraCa, useSystemCa: options.useSystemCa }
}

function chainVerifier(options: ConnectOptions): ChainVerifier | undefined {
  if (options.insecure) {
    if (!insecureWarned) {
      insecureWarned = true
      process.emitWarning(
        'hotconn: certificate verification is disabled (insecure: true); connections can be intercepted',
        { code: 'HOTCONN_INSECURE' },
      )
    }
    return undefined
  }
  const trust = trustOptions(options)
  return (chain, host) => {
    verifyServerCertificateChain(chain, { host, ...trust })
  }
}

/**
 * The TLS 1.2 ticket to offer (RFC 5077 §3.4: it needs a session id for the server to echo), taken once or
 * left in the store as the profile's browser reuses it (captures/tls12-tickets).
 */
function tls12Ticket(
  store: SessionTicketStore | undefined,
  key: string,
  spec: ClientHelloSpec,
): StoredTicket12 | undefined {
  if (!store || spec.sessionIdLength === 0) return undefined
  return spec.tls12TicketReuse === 'multi' ? store.get12(key) : store.take12(key)
}

/**
 * Opens a TLS connection with a browser fingerprint and resolves when the handshake is complete.
 * @throws InvalidArgumentError for bad options, TlsUnsupportedError (ERR_TLS_UNSUPPORTED) for `useSystemCa`
 *   on a Node without the OS store (both reject before any connection is made);
 * @rejects ConnectError (ERR_CONNECT), TlsHandshakeTimeoutError, TlsCertificateError (ERR_TLS_BAD_CERTIFICATE),
 *   TlsAlertError, TlsProtocolError and the other TlsError subclasses, AbortError.
 */
export async function connect(options: ConnectOptions): Promise<ConnectedTlsSocket> {
  validate(options)
  const spec = typeof options.profile === 'object' ? options.profile : getProfile(options.profile ?? 'chrome')
  if (options.signal?.aborted)
    throw new AbortError('connect aborted before it started', { cause: options.signal.reason })
  const serverName =
    options.servername === false ? undefined : (options.servername ?? (isIP(options.host) ? undefined : options.host))
  const transport =
    options.socket ?? connectSharedReads({ host: options.ip ?? options.host, port: options.port ?? 443, noDelay: true })
  const keyLogFile = options.keyLogFile ?? process.env['SSLKEYLOGFILE']
  const storeKey = SessionTicketStore.key(options.host, spec.name)
  const store = options.insecure ? undefined : options.sessionStore
  const resumption = store?.take(storeKey)
  const tls12Resumption = resumption ? undefined : tls12Ticket(store, storeKey, spec)
  const socket = new TlsSocket(transport, {
    profile: spec.name,
    target: `${options.ip ?? options.host}:${options.port ?? 443}`,
    handshake: {
      plan: planClientHello(spec),
      serverName,
      host: options.host,
      verifyChain: chainVerifier(options),
      ...(options.alpn ? { alpn: options.alpn } : {}),
      ...(options.mlKemBackend ? { mlKemBackend: options.mlKemBackend } : {}),
      ...(resumption ? { resumption } : {}),
      ...(tls12Resumption ? { tls12Resumption } : {}),
    },
    ...(keyLogFile ? { keylog: (line: string) => appendKeyLog(line, keyLogFile) } : {}),
    ...(options.onTicket || options.sessionStore ? { onTicket: ticketHandler(options, spec.name) } : {}),
  })
  const timeoutMs = options.timeout ?? 10_000
  const timer = setTimeout(() => socket.destroy(new TlsHandshakeTimeoutError(timeoutMs)), timeoutMs)
  const onAbort = (): void => {
    socket.destroy(new AbortError('connect aborted', { cause: options.signal?.reason }))
  }
  options.signal?.addEventListener('abort', onAbort, { once: true })
  // Until the handshake settles, its error is reported through the returned promise, not as an event.
  const swallow = (): void => {}
  socket.on('error', swallow)
  try {
    await socket.handshakeComplete
    // A fatal record in the same read as the server's Finished can kill the socket before we return it.
    if (socket.destroyed) throw socket.errored ?? new TlsClosedError('connection closed right after the handshake')
    // A reused TLS 1.2 ticket the server declined (or a failed handshake, below) is dropped, as a browser
    // replaces its cached session.
    if (store && tls12Resumption && !socket.info?.resumed) store.discard12(storeKey, tls12Resumption)
    const ticket12 = socket.tls12SessionTicket
    if (store && ticket12) store.add12(storeKey, ticket12)
    socket.off('error', swallow)
    return socket as ConnectedTlsSocket
  } catch (err) {
    socket.destroy()
    if (store && tls12Resumption) store.discard12(storeKey, tls12Resumption)
    throw err
  } finally {
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', onAbort)
  }
}
