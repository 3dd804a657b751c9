/**
 * The import graph of src/ (read with the TypeScript compiler API): no import against the layer
 * order of test/structure/layers.ts, no runtime import cycle but the listed ones.
 */
import { describe, expect, it } from 'vitest'
import { RUNTIME_CYCLES } from './allowlist.js'
import { cycleProblems, layerProblems, runtimeCycles } from './checks.js'
import { readSourceTree, scanSource, type ImportEdge } from './source.js'

const edge = (from: string, to: string, kind: ImportEdge['kind'] = 'runtime'): ImportEdge => ({
  from,
  to,
  line: 1,
  kind,
})

describe('src/ import graph', () => {
  const tree = readSourceTree()

  it('reads every module and its relative imports', () => {
    expect(tree.files).toContain('pool/pool.ts')
    expect(tree.files.length).toBeGreaterThan(100)
    expect(tree.imports).toContainEqual(expect.objectContaining({ from: 'index.ts', to: 'pool/index.ts' }))
    // every relative import resolves to a module of src/
    expect(tree.imports.filter((e) => !tree.files.includes(e.to))).toEqual([])
  })

  it('has no import against the layer order', () => {
    expect(layerProblems(tree)).toEqual([])
  })

  it('has no runtime import cycle but the listed ones, and every listed one still exists', () => {
    expect(cycleProblems(tree, RUNTIME_CYCLES)).toEqual([])
  })
})

describe('the import rules', () => {
  it('refuse an import from a lower layer to a higher one, of values or of types', () => {
    const files = ['config/a.ts', 'pool/b.ts', 'tls/c.ts']
    expect(
      layerProblems({ files, imports: [edge('pool/b.ts', 'config/a.ts'), edge('pool/b.ts', 'tls/c.ts')] }),
    ).toEqual([])
    const up = layerProblems({ files, imports: [edge('config/a.ts', 'pool/b.ts', 'type')] })
    expect(up).toHaveLength(1)
    expect(up[0]).toMatch(/^config\/a\.ts:1 imports pool\/b\.ts \(type\), but config sits below pool/)
    expect(layerProblems({ files, imports: [edge('tls/c.ts', 'pool/b.ts', 'dynamic')] })).toHaveLength(1)
  })

  it('refuse a folder that has no layer', () => {
    expect(layerProblems({ files: ['metrics/a.ts'], imports: [] })).toEqual([
      'src/metrics has no place in the layer order: add it to LAYERS in test/structure/layers.ts',
    ])
  })

  it('find runtime cycles, not type-only or dynamic ones', () => {
    const files = ['pool/a.ts', 'pool/b.ts', 'pool/c.ts', 'pool/d.ts']
    const imports = [
      edge('pool/a.ts', 'pool/b.ts'),
      edge('pool/b.ts', 'pool/c.ts'),
      edge('pool/c.ts', 'pool/a.ts'),
      edge('pool/c.ts', 'pool/d.ts'),
      edge('pool/d.ts', 'pool/c.ts', 'type'),
      edge('pool/d.ts', 'pool/a.ts', 'dynamic'),
    ]
    expect(runtimeCycles({ files, imports })).toEqual([['pool/a.ts', 'pool/b.ts', 'pool/c.ts']])
    expect(runtimeCycles({ files, imports: [edge('pool/a.ts', 'pool/a.ts')] })).toEqual([['pool/a.ts']])
  })

  it('fail on an unlisted cycle and on a listed one that is gone', () => {
    const files = ['cli/a.ts', 'cli/b.ts']
    const cycle = [edge('cli/a.ts', 'cli/b.ts'), edge('cli/b.ts', 'cli/a.ts')]
    const listed = [{ modules: ['cli/b.ts', 'cli/a.ts'], reason: 'test' }]
    expect(cycleProblems({ files, imports: cycle }, listed)).toEqual([])
    expect(cycleProblems({ files, imports: cycle }, [])).toEqual([
      'runtime import cycle cli/a.ts <-> cli/b.ts: break it (move the shared code into a module both import, or import a type only)',
    ])
    expect(cycleProblems({ files, imports: cycle.slice(0, 1) }, listed)).toEqual([
      'cli/a.ts <-> cli/b.ts is no longer a runtime cycle: remove it from RUNTIME_CYCLES in test/structure/allowlist.ts',
    ])
  })
})

describe('the import scanner', () => {
  it('classifies each form of import', () => {
    const text = [
      "import { a } from './a.js'",
      "import type { B } from '../config/b.js'",
      "import { type C } from './c.js'",
      "export { d } from './d/index.js'",
      "export type { E } from './e.js'",
      "type F = import('./f.js').F",
      "const g = await import('./g.js')",
      "import { readFile } from 'node:fs'",
      '',
    ].join('\n')
    const known = new Set([
      'pool/a.ts',
      'config/b.ts',
      'pool/c.ts',
      'pool/d/index.ts',
      'pool/e.ts',
      'pool/f.ts',
      'pool/g.ts',
    ])
    expect(scanSource('pool/x.ts', text, known).imports.map((e) => [e.to, e.kind, e.line])).toEqual([
      ['pool/a.ts', 'runtime', 1],
      ['config/b.ts', 'type', 2],
      // verbatimModuleSyntax keeps `import {}`: the module is still loaded
      ['pool/c.ts', 'runtime', 3],
      ['pool/d/index.ts', 'runtime', 4],
      ['pool/e.ts', 'type', 5],
      ['pool/f.ts', 'type', 6],
      ['pool/g.ts', 'dynamic', 7],
    ])
  })
})
