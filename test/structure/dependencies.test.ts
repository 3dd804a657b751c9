/**
 * The package's dependencies match its imports: every runtime dependency is loaded by the shipped
 * code (src/, bin/), and the shipped code loads nothing that a user's install would lack (only
 * builtins, dependencies and peer dependencies). Examples use the public API: `hotconn` (and its
 * subpath exports) and builtins, nothing else.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { listCode, scanFile, scanPackageImports, type PackageImport } from './package-imports.js'

const ROOT = join(import.meta.dirname, '../..')
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  exports: Record<string, unknown>
}
const dependencies = Object.keys(manifest.dependencies ?? {})
const peers = Object.keys(manifest.peerDependencies ?? {})
/**
 * Type packages shipped as dependencies although nothing loads them: a dependency's own
 * declarations import a package whose types it lists only as a devDependency, so a user's strict
 * type-check (skipLibCheck off) of hotconn's declarations fails without them.
 */
const TYPES_OF_DEPENDENCIES: Readonly<Record<string, { dependency: string; why: string }>> = {
  '@types/redis-errors': {
    dependency: 'ioredis',
    why: "ioredis 6.1's built/errors/*.d.ts import 'redis-errors' (TS7016 without these types)",
  },
}
const where = (i: PackageImport): string => `${i.file}:${i.line} ${i.specifier}`
const scan = (dir: string): PackageImport[] => listCode(join(ROOT, dir)).flatMap((p) => scanFile(ROOT, p))

const shipped = [...scan('src'), ...scan('bin')]
const loaded = shipped.filter((i) => i.kind !== 'type')

describe('dependencies', () => {
  it('the scan tells runtime, dynamic and type imports apart and names the package', () => {
    const text = [
      "import { a } from 'pkg-a/deep/path.js'",
      "import type { B } from '@scope/b'",
      "import { type C } from 'c'",
      "export * from 'd'",
      "export type { E } from 'e'",
      "import './local.js'",
      "const f = await import('f')",
      "const g = require('g')",
      "type H = import('h').H",
      "import { readFile } from 'node:fs/promises'",
      "import { EventEmitter } from 'events'",
    ].join('\n')
    const found = scanPackageImports('x.ts', text).map((i) => `${i.pkg} ${i.kind}`)
    expect(found).toEqual([
      'pkg-a runtime',
      '@scope/b type',
      'c runtime',
      'd runtime',
      'e type',
      'f dynamic',
      'g runtime',
      'h type',
      'node: runtime',
      'node: runtime',
    ])
    expect(loaded.some((i) => i.pkg === 'undici' && i.file.startsWith('src/'))).toBe(true)
  })

  it('every runtime dependency is loaded by src/ or bin/ (or completes a dependency’s published types)', () => {
    const used = new Set(loaded.map((i) => i.pkg))
    expect(dependencies.filter((d) => !used.has(d) && !(d in TYPES_OF_DEPENDENCIES))).toEqual([])
    for (const [types, of] of Object.entries(TYPES_OF_DEPENDENCIES)) {
      expect(dependencies, `${types} is listed for ${of.dependency}`).toContain(types)
      expect(dependencies).toContain(of.dependency)
    }
  })

  it('src/ and bin/ load only builtins, dependencies and peer dependencies', () => {
    const allowed = new Set(['node:', ...dependencies, ...peers])
    expect(loaded.filter((i) => !allowed.has(i.pkg)).map(where)).toEqual([])
  })

  it('types in src/ come from builtins, dependencies, peer dependencies or @types/node', () => {
    // A published declaration that names a devDependency's types fails to compile for users.
    const allowed = new Set(['node:', ...dependencies, ...peers])
    const types = shipped.filter((i) => i.kind === 'type' && !allowed.has(i.pkg))
    expect(types.map(where)).toEqual([])
  })

  it('examples/ import only hotconn (its subpath exports) and builtins', () => {
    const subpaths = new Set(Object.keys(manifest.exports).map((k) => (k === '.' ? '' : k.slice(1))))
    const bad = scan('examples').filter((i) => {
      if (i.pkg === 'node:') return false
      if (i.pkg !== manifest.name) return true
      return !subpaths.has(i.specifier.slice(manifest.name.length))
    })
    expect(bad.map(where)).toEqual([])
  })
})
