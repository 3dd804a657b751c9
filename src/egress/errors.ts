/**
 * Errors of the egress layer: a proxy that cannot be reached, refuses the tunnel, asks for
 * credentials or stalls, and a local address that cannot be bound. Each names the proxy (its URL
 * without the password) or the address, and says what to do.
 *
 * `blame` says whose fault a failure is, for the pool's blacklist: `egress` (the proxy or the
 * local address: traffic moves to another egress), `target` (the proxy reached us but not the
 * target IP: the IP is struck, as a refused connect would be), or `none` (a configuration error:
 * the request fails with this error and nothing is struck).
 */
import { HotConnError, type HotConnErrorOptions } from '../errors.js'

/** Whose fault a failed dial is (see the module comment). */
export type Blame = 'egress' | 'target' | 'none'

/**
 * Why a proxy failed:
 * - `unreachable`: no TCP (or TLS) connection to the proxy itself;
 * - `certificate`: an https:// proxy's certificate did not verify (egress.proxy_ca_file);
 * - `closed`: the proxy closed the connection before answering the CONNECT;
 * - `protocol`: the proxy's answer is not HTTP / SOCKS5, or is too long;
 * - `refused`: the proxy answered, but refuses this tunnel (HTTP status, SOCKS5 reply code);
 * - `target_unreachable`: the proxy could not reach the target (HTTP 502/503/504, SOCKS5 replies 3–6).
 */
export type ProxyFailure = 'unreachable' | 'certificate' | 'closed' | 'protocol' | 'refused' | 'target_unreachable'

/** A proxy failed to open a tunnel (code ERR_PROXY). */
export class ProxyError extends HotConnError {
  /** The proxy URL without its password. */
  readonly proxy: string
  readonly reason: ProxyFailure
  /** The CONNECT response status, when the proxy answered one. */
  readonly statusCode: number | undefined
  /** The SOCKS5 reply code (RFC 1928 §6), when the proxy answered one. */
  readonly socksReply: number | undefined
  readonly blame: Blame

  constructor(
    proxy: string,
    reason: ProxyFailure,
    detail: string,
    extra: { statusCode?: number; socksReply?: number } & HotConnErrorOptions = {},
  ) {
    super('ERR_PROXY', `proxy ${proxy}: ${detail}`, extra)
    this.proxy = proxy
    this.reason = reason
    this.statusCode = extra.statusCode
    this.socksReply = extra.socksReply
    this.blame = reason === 'target_unreachable' ? 'target' : reason === 'certificate' ? 'none' : 'egress'
  }
}

/**
 * The proxy refused our credentials (code ERR_PROXY_AUTH): HTTP 407 (RFC 9110 §15.5.8), or a
 * SOCKS5 proxy that rejected the user name/password (RFC 1929 §2) or accepts no method we offer.
 */
export class ProxyAuthError extends HotConnError {
  readonly proxy: string
  /** 407 for an HTTP proxy. */
  readonly statusCode: number | undefined
  readonly blame: Blame = 'none'

  constructor(proxy: string, detail: string, statusCode?: number) {
    super(
      'ERR_PROXY_AUTH',
      `proxy ${proxy} refused the credentials: ${detail}; put the right user:password in the proxy URL (percent-encode reserved characters)`,
    )
    this.proxy = proxy
    this.statusCode = statusCode
  }
}

/** No tunnel within the connect deadline (code ERR_PROXY_TIMEOUT): the proxy accepted TCP but stalled. */
export class ProxyTimeoutError extends HotConnError {
  readonly proxy: string
  /** The deadline that passed (pool.connect_timeout), ms. */
  readonly timeoutMs: number
  readonly blame: Blame = 'egress'

  constructor(proxy: string, timeoutMs: number, stage: string) {
    super(
      'ERR_PROXY_TIMEOUT',
      `proxy ${proxy} did not open the tunnel within ${timeoutMs} ms (${stage}); check the proxy, or raise pool.connect_timeout`,
    )
    this.proxy = proxy
    this.timeoutMs = timeoutMs
  }
}

/** A local source address could not be bound (code ERR_LOCAL_ADDRESS). */
export class LocalAddressError extends HotConnError {
  readonly address: string
  /** The system error code (EADDRNOTAVAIL, EINVAL, …). */
  readonly errno: string | undefined
  readonly blame: Blame = 'none'

  constructor(address: string, detail: string, options?: HotConnErrorOptions & { errno?: string }) {
    super('ERR_LOCAL_ADDRESS', `cannot bind local address ${address}: ${detail}`, options)
    this.address = address
    this.errno = options?.errno
  }
}

/** The blame of an error thrown while dialing: `blame` of the egress errors above, else `target`. */
export function blameOf(err: unknown): Blame {
  const blame = (err as { blame?: unknown } | null)?.blame
  return blame === 'egress' || blame === 'none' || blame === 'target' ? blame : 'target'
}
