/**
 * A health request (HEAD or GET of a configured path) on one pinned connection.
 */
import type { Dispatcher } from 'undici'

export interface ProbeOptions {
  method: 'HEAD' | 'GET'
  /** Absolute path, e.g. "/" or "/healthz". */
  path: string
  /** TLS server name of the origin (same value as the pool's requests). */
  servername: string
  /** Deadline for the whole exchange (ms). */
  timeoutMs: number
}

/**
 * Sends the probe and reads (discards) the body. Resolves with the status code; rejects on a
 * transport error or when `timeoutMs` passes.
 */
export async function probeStatus(dispatcher: Dispatcher, options: ProbeOptions): Promise<number> {
  const res = await dispatcher.request({
    method: options.method,
    path: options.path,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    servername: options.servername,
    // undici closes a connection after HEAD unless told otherwise; a health check must keep it.
    reset: false,
  } as Dispatcher.RequestOptions)
  await res.body.dump({ limit: 64 * 1024 })
  return res.statusCode
}
