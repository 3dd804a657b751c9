/** The stable code and the useful message of an error, looking through `cause` chains (fetch wraps errors in "fetch failed"). */

/** The stable code of an error or of the first error in its `cause` chain that has one. */
export function errorCode(err: unknown): string {
  let e: unknown = err
  for (let depth = 0; depth < 8 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && code !== '') return code
    e = (e as { cause?: unknown }).cause
  }
  return 'ERR_UNKNOWN'
}

/** The message of the innermost error of a cause chain that has a code (fetch wraps errors in "fetch failed"). */
export function errorMessage(err: unknown): string {
  let e: unknown = err
  let message = err instanceof Error ? err.message : String(err)
  for (let depth = 0; depth < 8 && e !== null && typeof e === 'object'; depth++) {
    if (e instanceof Error) message = e.message
    if (typeof (e as { code?: unknown }).code === 'string') return message
    e = (e as { cause?: unknown }).cause
  }
  return message
}
