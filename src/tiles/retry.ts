/**
 * When to retry a tile and how long to wait: exponential backoff with full jitter (AWS
 * Architecture Blog, "Exponential Backoff and Jitter": sleep = random(0, min(cap, base·2^n))),
 * never shorter than a Retry-After the server sent (RFC 9110 §10.2.3).
 */
import { parseRetryAfter } from '../pool/index.js'

export interface RetryPolicy {
  /** Attempts per tile, the first included (>= 1). Default 5. */
  maxAttempts: number
  /** Backoff base (ms). Default 250. */
  baseDelayMs: number
  /** Backoff cap (ms). Default 30 000. */
  maxDelayMs: number
  /** Longest Retry-After honoured (ms); a longer one fails the tile instead of waiting. Default 300 000. */
  maxRetryAfterMs: number
  /** Random source in [0, 1). Default Math.random. */
  random: () => number
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 300_000,
  random: Math.random,
}

/** What one attempt ended in, as far as retrying cares. */
export type AttemptResult =
  | { kind: 'status'; status: number; retryAfter?: string | undefined }
  /** `permanent`: the error repeats identically on every attempt (a certificate or configuration error). */
  | { kind: 'error'; code: string; permanent?: boolean }
  | { kind: 'bad_content' }

/**
 * Whether the attempt is worth repeating: transport errors, 408, 429 and 5xx, and the statuses
 * the pool blacklists on (`strikeStatuses`; the pool sends the retry to another IP). Content
 * failures are not retried (the server sent what it has), nor are errors that repeat on every
 * attempt: certificate and configuration errors (`permanent`, see the pool's isConfigurationError),
 * ERR_INVALID_ARGUMENT and ERR_POOL_CLOSED.
 */
export function isRetryable(r: AttemptResult, strikeStatuses: readonly number[]): boolean {
  if (r.kind === 'error')
    return r.permanent !== true && r.code !== 'ERR_INVALID_ARGUMENT' && r.code !== 'ERR_POOL_CLOSED'
  if (r.kind === 'bad_content') return false
  return r.status === 408 || r.status === 429 || r.status >= 500 || strikeStatuses.includes(r.status)
}

/**
 * ms to wait before attempt `next` (2 = the first retry), or undefined when the Retry-After asks
 * for longer than `maxRetryAfterMs`.
 */
export function retryDelayMs(next: number, r: AttemptResult, p: RetryPolicy, now = Date.now()): number | undefined {
  const exp = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.max(0, next - 2))
  const backoff = p.random() * exp
  const after = r.kind === 'status' ? parseRetryAfter(r.retryAfter, now) : undefined
  if (after === undefined) return backoff
  return after > p.maxRetryAfterMs ? undefined : Math.max(after, backoff)
}
