/**
 * The check that `config/config.toml` documents a key table: every section has its header, every
 * key a line in its section (commented out when the key has no default), every Go alias a line
 * of the alias list, and no line documents a key the table lacks.
 */
import type { SectionsTable } from '../../src/config/keys.js'
import { rowsOf } from '../../src/config/keys.js'

/** The problems found, one sentence each; empty when `text` documents `table` exactly. */
export function documentationProblems(text: string, table: SectionsTable): string[] {
  const problems: string[] = []
  const blocks = new Map<string, string[]>()
  let current: string[] | undefined
  const preamble: string[] = []
  for (const line of text.split('\n')) {
    const header = /^\[([a-z0-9_]+)\]\s*$/.exec(line)
    if (header !== null) {
      current = []
      blocks.set(header[1] ?? '', current)
    } else (current ?? preamble).push(line)
  }
  for (const section of Object.keys(table)) {
    if (!blocks.has(section)) problems.push(`[${section}] has no header`)
  }
  for (const section of blocks.keys()) {
    if (!Object.hasOwn(table, section)) problems.push(`[${section}] is not a section of the table`)
  }
  const rows = rowsOf(table)
  for (const { section, key, spec } of rows) {
    const lines = blocks.get(section) ?? []
    const line = lines.find((l) => new RegExp(`^(# )?${spec.toml} = `).test(l))
    if (line === undefined) problems.push(`${key} has no line in [${section}]`)
    else if (line.startsWith('#') !== (spec.default === undefined)) {
      problems.push(
        `${key} is ${line.startsWith('#') ? 'commented out' : 'set'} but the table ${spec.default === undefined ? 'has no default' : 'has a default'}`,
      )
    }
    if (spec.alias !== undefined && !preamble.some((l) => l.includes(`${spec.alias} -> ${key}`))) {
      problems.push(`${key}'s alias ${spec.alias} is not in the alias list ("${spec.alias} -> ${key}")`)
    }
  }
  for (const [section, lines] of blocks) {
    for (const l of lines) {
      const written = /^(?:# )?([a-z0-9_]+) = /.exec(l)?.[1]
      if (written !== undefined && !rows.some((r) => r.section === section && r.spec.toml === written)) {
        problems.push(`[${section}] documents ${written}, which is not in the table`)
      }
    }
  }
  return problems
}
