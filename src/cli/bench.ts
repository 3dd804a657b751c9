/**
 * `hotconn bench [--quick] [--scenario hot,tiles,cold,rtt,scale] …`: runs the performance harness
 * (`bench/run.ts`, the same as `npm run bench`) in a child Node process with the tsx loader. The
 * harness lives in the source checkout (it starts nginx, installs peer clients into .cache/peers
 * and writes reports/), so this command needs one; the published package does not ship it.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CliIO, Command } from './main.js'

/** The checkout root: two levels above this file (src/cli/ or dist/cli/). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

export const benchCommand: Command = {
  summary: 'run the performance harness (hot/cold, tiles, RTT, pool scale; vs undici + node:tls and peers)',
  run,
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const entry = join(ROOT, 'bench/run.ts')
  if (!existsSync(entry) || !existsSync(join(ROOT, 'node_modules/tsx'))) {
    io.stderr.write(
      `hotconn bench: the harness runs from a source checkout with dev dependencies (bench/run.ts and tsx under ${ROOT}); clone the repository, npm install, then run 'npm run bench' or 'npx tsx src/cli/main.ts bench'\n`,
    )
    return 1
  }
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...argv], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => io.stdout.write(chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => io.stderr.write(chunk))
  const forward = (signal: NodeJS.Signals) => (): void => void child.kill(signal)
  const onInt = forward('SIGINT')
  const onTerm = forward('SIGTERM')
  process.once('SIGINT', onInt)
  process.once('SIGTERM', onTerm)
  try {
    return await new Promise<number>((resolvePromise, reject) => {
      child.once('error', reject)
      child.once('close', (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)))
    })
  } finally {
    process.off('SIGINT', onInt)
    process.off('SIGTERM', onTerm)
  }
}
