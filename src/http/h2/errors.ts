/**
 * HTTP/2 error codes (RFC 9113 §7) by value, for messages and for the request errors of
 * src/http/errors.ts.
 */

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

export const NO_ERROR = 0
export const REFUSED_STREAM = 7
export const CANCEL = 8

export function h2ErrorName(code: number): string {
  return H2_ERROR_NAMES[code] ?? `0x${code.toString(16)}`
}
