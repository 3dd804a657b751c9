/**
 * docs/architecture.md stays true: its layer list is LAYERS (the one the import-graph test
 * enforces), and every src/ path it names exists.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LAYERS } from './layers.js'
import { ROOT } from './source.js'

const DOC = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8')

/** The layer groups of the first code block under "## Layers", lowest first. */
function documentedLayers(text: string): string[][] {
  const section = text.slice(text.indexOf('## Layers'))
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1] ?? ''
  return block
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (line.match(/^(?:\S+\/|\S+\.ts)(?: (?:\S+\/|\S+\.ts))*/)?.[0] ?? '').split(' '))
    .map((names) => names.map((n) => n.replace(/\/$/, '')))
    .reverse()
}

describe('docs/architecture.md', () => {
  it('lists the layers of test/structure/layers.ts, in order', () => {
    expect(documentedLayers(DOC)).toEqual(LAYERS.map((group) => [...group]))
  })

  it('names only src/ paths that exist', () => {
    const paths = [...DOC.matchAll(/`(src\/[^`\s]+)`/g)].map((m) => m[1] ?? '')
    expect(paths.length).toBeGreaterThan(10)
    expect(paths.filter((p) => !existsSync(join(ROOT, p)))).toEqual([])
  })
})
