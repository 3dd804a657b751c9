/** Helpers of the CLI tests: captured output and `main()` runs. */
import { main } from '../../src/cli/main.js'

export interface Captured {
  code: number
  stdout: string
  stderr: string
  /** stdout split into non-empty lines. */
  lines: string[]
}

/** Runs `hotconn <argv>` in-process with captured stdout/stderr. */
export async function runCli(argv: string[]): Promise<Captured> {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, {
    stdout: { write: (c: string) => (stdout += c) },
    stderr: { write: (c: string) => (stderr += c) },
  })
  return { code, stdout, stderr, lines: stdout.split('\n').filter((l) => l !== '') }
}

/** A stream that records what was written; `isTTY` as given. */
export function recorder(isTTY = false): { isTTY: boolean; text: string; write(chunk: string): boolean } {
  const r = {
    isTTY,
    text: '',
    write(chunk: string): boolean {
      r.text += chunk
      return true
    },
  }
  return r
}
