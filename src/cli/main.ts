/**
 * `hotconn` command line: dispatches `hotconn <command> [options]` to one module per command.
 * Exit codes: 0 success, 1 failure, 2 usage error.
 */
import { benchCommand } from './bench.js'
import { fetchCommand } from './fetch.js'
import { fingerprintCommand } from './fingerprint.js'
import { exitCodeFor, runAsScript } from './script.js'
import { tilesCommand } from './tile-command.js'
import { warmCommand } from './warm.js'

/** Where a command writes; `process.stdout`/`process.stderr` by default, replaceable in tests. */
export interface CliIO {
  readonly stdout: { write(chunk: string): unknown }
  readonly stderr: { write(chunk: string): unknown }
}

export interface Command {
  /** One line for `hotconn --help`. */
  readonly summary: string
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(argv: string[], io: CliIO): Promise<number>
}

/** The subcommands, by name. */
export const commands: Readonly<Record<string, Command>> = {
  bench: benchCommand,
  fetch: fetchCommand,
  fingerprint: fingerprintCommand,
  tiles: tilesCommand,
  warm: warmCommand,
}

function usage(): string {
  const names = Object.keys(commands)
  const width = Math.max(...names.map((n) => n.length))
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${commands[n]!.summary}`)
  return `Usage: hotconn <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'hotconn <command> --help' for a command's options.\n`
}

/**
 * Runs `hotconn` with `argv` (the arguments after the program name).
 * @returns the exit code: 0 success, 1 failure, 2 usage error.
 */
export async function main(
  argv: string[],
  io: CliIO = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ;(name === undefined ? io.stderr : io.stdout).write(usage())
    return name === undefined ? 2 : 0
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined
  if (command === undefined) {
    io.stderr.write(`hotconn: unknown command ${JSON.stringify(name)}\n\n${usage()}`)
    return 2
  }
  try {
    return await command.run(rest, io)
  } catch (err) {
    return exitCodeFor(err, io.stderr, `hotconn ${name}`)
  }
}

runAsScript(import.meta.url, main)
