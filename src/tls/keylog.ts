/**
 * SSLKEYLOGFILE support: NSS key log lines (`LABEL <client_random> <secret>`) appended to the file
 * named by the SSLKEYLOGFILE environment variable, so Wireshark can decrypt hotconn's traffic.
 */
import { appendFileSync } from 'node:fs'

let warned = false

/** Appends a line to `file` (default: $SSLKEYLOGFILE); a failure is reported once as a process warning. */
export function appendKeyLog(line: string, file: string | undefined = process.env['SSLKEYLOGFILE']): void {
  if (!file) return
  try {
    appendFileSync(file, `${line}\n`, { mode: 0o600 })
  } catch (err) {
    if (!warned) {
      warned = true
      process.emitWarning(`cannot append to SSLKEYLOGFILE ${file}: ${(err as Error).message}`, {
        code: 'HOTCONN_KEYLOG',
      })
    }
  }
}
