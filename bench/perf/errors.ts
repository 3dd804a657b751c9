/** An error's message (and its cause's) on one line, at most 300 characters, for report rows. */
export function oneLine(err: unknown): string {
  const text = (
    err instanceof Error ? `${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}` : String(err)
  )
    .replace(/\s+/g, ' ')
    .trim()
  return text.length > 300 ? `${text.slice(0, 297)}…` : text
}
