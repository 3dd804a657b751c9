/** Running a CLI entry point as a script, and turning its errors into exit codes, in one place. */
import { pathToFileURL } from 'node:url'
import { HotConnError } from '../errors.js'
import { TlsCertificateError } from '../tls/cert/errors.js'

/**
 * Exit code for an error a command let through: 2 for a usage error (ERR_INVALID_ARGUMENT),
 * 1 for any other HotConnError (its code and message are written to `stderr`). Rethrows anything
 * else: a bug, not a failure the user can act on.
 */
export function exitCodeFor(err: unknown, stderr: { write(s: string): unknown }, prefix: string): number {
  if (!(err instanceof HotConnError)) throw err
  const message = err instanceof TlsCertificateError ? err.messageFor('cli') : err.message
  stderr.write(`${prefix}: ${err.code}: ${message}\n`)
  return err.code === 'ERR_INVALID_ARGUMENT' ? 2 : 1
}

/** Runs `main(argv)` when the module at `moduleUrl` is the process's entry script; sets process.exitCode. */
export function runAsScript(moduleUrl: string, main: (argv: string[]) => Promise<number>): void {
  const entry = process.argv[1]
  if (entry === undefined || moduleUrl !== pathToFileURL(entry).href) return
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err))
      process.exitCode = 1
    },
  )
}
