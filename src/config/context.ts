/** Where a configuration comes from, and how its errors are worded. */

import { ConfigError } from '../errors.js'
import { lineOf, type KeyLines } from './locate.js'

export class ConfigContext {
  /**
   * @param source file name or label for messages ("config/config.toml"); undefined for objects
   * @param lines key lines of the TOML text; undefined for objects (errors then carry no line)
   */
  constructor(
    readonly source: string | undefined,
    readonly lines: KeyLines | undefined,
  ) {}

  /**
   * A ConfigError about canonical key `key` (e.g. "pool.max_idle_conns"), written at `where`
   * (the path as written, e.g. "MaxIdleConns", used to find the line). `problem` continues the
   * sentence "<key> ..." and should say what to do.
   */
  error(key: string, where: string | undefined, problem: string): ConfigError {
    const line = this.lines === undefined || where === undefined ? undefined : lineOf(this.lines, where)
    const place = this.source === undefined ? '' : line === undefined ? `${this.source}: ` : `${this.source}:${line}: `
    const written = where !== undefined && where !== key && where !== '' ? ` (written as ${where})` : ''
    const subject = key === '' ? '' : `${key}${written} `
    return new ConfigError(`${place}${subject}${problem}`, key === '' ? undefined : key, line)
  }
}
