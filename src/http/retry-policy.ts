/**
 * When the pool sends a request again after an attempt failed: a pure function of what happened
 * and how many tries were spent, after Go's `net/http` Transport (`shouldRetryRequest`) and
 * RFC 9113 §8.7.
 *  - A request the server provably did not process (HTTP/2 REFUSED_STREAM, a stream above a
 *    GOAWAY's last stream id, a connection that went away before the request was written) goes
 *    again, whatever its method, to any usable connection.
 *  - The keep-alive race (RFC 9112 §9.3.1): a connection that had been idle in the pool failed
 *    before any response byte. Only a replayable request (idempotent method, RFC 9110 §9.2.2, and
 *    a body that can be sent twice) goes again, once per `maxRetries`, and only to a fresh
 *    connection (or one proven alive since), so it cannot meet the same race.
 *  - Nothing else: not after a response byte, not after a timeout (the server may still be working
 *    on it), not after an abort or a handler's exception, not on a connection dialed for it.
 */

/** Why an attempt ended without a response. */
export type FailureKind =
  /** The connection broke (reset, closed, stream reset). */
  | 'transport'
  /** The server provably did not process the request (RFC 9113 §8.7). */
  | 'unprocessed'
  /** headersTimeout or bodyTimeout passed. */
  | 'timeout'
  /** The user aborted it. */
  | 'aborted'
  /** The request itself is bad, or a handler threw: sending it again gives the same. */
  | 'request'

export interface AttemptOutcome {
  kind: FailureKind
  /** Whether any response byte (a status line, HEADERS) arrived. */
  responseStarted: boolean
  /** Whether the connection had sat idle in the pool before this attempt (the keep-alive race is possible). */
  reused: boolean
  /** Idempotent method, no upgrade, and a body that can be sent again. */
  replayable: boolean
  /** The body alone can be sent again (a string or bytes, or none), whatever the method. */
  bodyReplayable: boolean
}

export interface Tries {
  /** Keep-alive-race retries spent. */
  race: number
  /** Retries of unprocessed requests spent. */
  unprocessed: number
}

export interface RetryLimits {
  /** Keep-alive-race retries allowed (the pool's `maxRetries`). */
  maxRetries: number
  /** Retries of unprocessed requests allowed. */
  maxUnprocessed: number
}

/**
 * `retry_fresh`: send again on a new connection (or one proven alive since the failure);
 * `retry_any`: send again on any usable connection; `fail`: report the failure.
 */
export type NextStep = 'retry_fresh' | 'retry_any' | 'fail'

/**
 * Retries of a request an HTTP/2 server did not process (GOAWAY, REFUSED_STREAM), on top of
 * maxRetries: Go's http2 Transport's 6. A connection refuses a given request at most once (its
 * GOAWAY is known by the time the refusal is), so a request bounces over at most as many
 * connections as got a GOAWAY at once; the bound only stops a server that refuses everything.
 */
export const UNPROCESSED_RETRIES = 6

export function nextStep(
  outcome: AttemptOutcome,
  tries: Tries,
  limits: RetryLimits = { maxRetries: 1, maxUnprocessed: UNPROCESSED_RETRIES },
): NextStep {
  if (outcome.responseStarted) return 'fail'
  switch (outcome.kind) {
    case 'unprocessed':
      return outcome.bodyReplayable && tries.unprocessed < limits.maxUnprocessed ? 'retry_any' : 'fail'
    case 'transport':
      return outcome.reused && outcome.replayable && tries.race < limits.maxRetries ? 'retry_fresh' : 'fail'
    case 'timeout':
    case 'aborted':
    case 'request':
      return 'fail'
  }
}
