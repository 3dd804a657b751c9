/**
 * Whose fault a failed connect is, which decides what the pool strikes (docs: README "Blame"):
 * - `target`: the target IP (refused, timed out, reset, TLS handshake failed, or a proxy that
 *   could not reach the IP): a connect failure of the IP, with its backoff (IpStates);
 * - `egress`: the proxy or the local address (proxy unreachable, closed mid-CONNECT, stalled):
 *   the egress backs off and requests move to another egress (EgressStates);
 * - `none`: a certificate or configuration error (ERR_TLS_BAD_CERTIFICATE, ERR_PROXY_AUTH,
 *   ERR_LOCAL_ADDRESS, a bad https proxy certificate): nothing is struck; the request that was
 *   waiting fails with that error.
 */
import { blameOf, type Blame } from '../egress/index.js'

const NO_STRIKE_CODES = new Set([
  'ERR_TLS_BAD_CERTIFICATE',
  'ERR_INVALID_ARGUMENT',
  'ERR_CONFIG',
  'ERR_IDENTITY_MISMATCH',
  'ERR_ABORTED',
])

/** The blame of a connect error (see the module comment). */
export function blameOfConnectError(err: unknown): Blame {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && NO_STRIKE_CODES.has(code)) return 'none'
  return blameOf(err)
}

/**
 * Whether an error repeats identically on every attempt (blame `none`: a certificate that does not
 * verify, refused proxy credentials, an unbindable local address, bad options): retrying it only
 * delays the same failure, so callers such as the tile job fail at once.
 */
export function isConfigurationError(err: unknown): boolean {
  return blameOfConnectError(err) === 'none'
}
