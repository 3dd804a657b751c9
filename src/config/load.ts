/** Reading configuration from TOML text or a TOML file. */

import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parse, TomlError } from 'smol-toml'
import { ConfigError } from '../errors.js'
import { ConfigContext } from './context.js'
import { locateKeys } from './locate.js'
import { buildConfig } from './resolve.js'
import type { Config } from './types.js'

/**
 * Parses TOML text into a validated, deeply frozen Config (defaults for absent keys).
 * Accepts snake_case keys in their sections and the Go original's CamelCase aliases at the
 * top level or in their section.
 * @param sourceName file name used in messages (default "config")
 * @throws ConfigError with `key` ("pool.max_idle_conns") and `line` (1-based) on a syntax error,
 *   unknown key, wrong type or impossible value
 */
export function parseConfig(tomlText: string, sourceName = 'config'): Config {
  let parsed: unknown
  try {
    parsed = parse(tomlText)
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split('\n')[0] ?? err.message
      throw new ConfigError(
        `${sourceName}:${err.line}:${err.column}: TOML syntax error: ${first}; fix the syntax at that position`,
        undefined,
        err.line,
      )
    }
    throw err
  }
  return buildConfig(parsed, new ConfigContext(sourceName, locateKeys(tomlText)), { camelCase: false })
}

/**
 * The `config/config.toml` shipped with hotconn (in the package, beside `dist/`; in a checkout, at
 * the repository root): every key with its default and documentation. Copy it to start a config.
 */
export const DEFAULT_CONFIG_PATH: string = fileURLToPath(new URL('../../config/config.toml', import.meta.url))

/**
 * Reads and parses a TOML config file (UTF-8).
 * @param path file to read; default DEFAULT_CONFIG_PATH (the packaged config/config.toml, which
 *   sets every key to its default)
 * @throws ConfigError when the file cannot be read, or as parseConfig
 */
export async function loadConfig(path: string | URL = DEFAULT_CONFIG_PATH): Promise<Config> {
  const name = path instanceof URL ? fileURLToPath(path) : path
  let text: string
  try {
    text = await readFile(name, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error'
    throw new ConfigError(`cannot read config file ${name} (${code}); check the path and its permissions`)
  }
  return parseConfig(text, name)
}
