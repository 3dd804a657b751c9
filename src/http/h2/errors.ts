/**
 * Errors of an HTTP/2 request. `unprocessed` marks a request the server provably did not act on
 * (RFC 9113 §8.7: REFUSED_STREAM, or a stream above a GOAWAY's last stream id): it can be sent
 * again on another connection whatever its method.
 */
import { HotConnError } from '../../errors.js'

/** RFC 9113 §7 error codes by value. */
export const H2_ERROR_NAMES: readonly string[] = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
]

export const REFUSED_STREAM = 7

export class Http2StreamError extends HotConnError {
  /** The server did not process the request: retrying it elsewhere is safe (RFC 9113 §8.7). */
  readonly unprocessed: boolean
  /** RST_STREAM / GOAWAY error code, when one ended the stream. */
  readonly h2Code: number | undefined

  constructor(message: string, options: { unprocessed: boolean; h2Code?: number; cause?: unknown }) {
    super('ERR_HTTP', message, options.cause === undefined ? undefined : { cause: options.cause })
    this.unprocessed = options.unprocessed
    this.h2Code = options.h2Code
  }
}

/** Whether `err` says the server did not process the request (see Http2StreamError). */
export function isUnprocessed(err: unknown): boolean {
  return err instanceof Http2StreamError && err.unprocessed
}

export function h2ErrorName(code: number): string {
  return H2_ERROR_NAMES[code] ?? `0x${code.toString(16)}`
}
