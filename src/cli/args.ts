/** Command-line parsing shared by the commands: strict node:util parseArgs, usage errors as InvalidArgumentError. */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { InvalidArgumentError } from '../errors.js'

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * Parses `argv` strictly with `options` (plus positionals). An unknown flag or a flag without its
 * value throws InvalidArgumentError (exit code 2) with `help` appended.
 */
export function parseFlags<O extends Options>(
  argv: string[],
  options: O,
  help: string,
): ReturnType<typeof parseArgs<{ args: string[]; strict: true; allowPositionals: true; options: O }>> {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: true, options })
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}\n\n${help}`)
  }
}
