/**
 * The packages a set of files imports (bare specifiers, not relative paths), by kind, read with the
 * TypeScript compiler API: `runtime` (an `import`/`export … from` kept in the output, `require()`),
 * `dynamic` (`import()` in code) and `type` (`import type`, `export type … from`, `import('…').T`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { join, relative, sep } from 'node:path'
import ts from 'typescript'

export interface PackageImport {
  /** File relative to the repository root ("src/pool/pool.ts"). */
  readonly file: string
  readonly line: number
  readonly specifier: string
  /** The package the specifier names ("@noble/post-quantum/ml-kem.js" -> "@noble/post-quantum"), or `node:` for a builtin. */
  readonly pkg: string
  readonly kind: 'runtime' | 'dynamic' | 'type'
}

/** Every .ts/.js/.mjs file under `dir` (recursively), .d.ts excluded. */
export function listCode(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) return listCode(path)
      return /\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [path] : []
    })
}

/** The package a bare specifier names; undefined for a relative or absolute path. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:')) return undefined
  if (isBuiltin(specifier)) return 'node:'
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/** The bare imports of the file at `path`, named relative to `root`. */
export function scanFile(root: string, path: string): PackageImport[] {
  return scanPackageImports(relative(root, path).split(sep).join('/'), readFileSync(path, 'utf8'))
}

/** The bare imports of one module's text (`file` names it in the results and picks TS or JS). */
export function scanPackageImports(file: string, text: string): PackageImport[] {
  const kind = file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, kind)
  const out: PackageImport[] = []
  const add = (specifier: string, node: ts.Node, k: PackageImport['kind']): void => {
    const pkg = packageOf(specifier)
    if (pkg === undefined) return
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1
    out.push({ file, line, specifier, pkg, kind: k })
  }
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      const typeOnly = ts.isImportDeclaration(node) ? node.importClause?.isTypeOnly === true : node.isTypeOnly
      add((node.moduleSpecifier as ts.StringLiteral).text, node, typeOnly ? 'type' : 'runtime')
    }
    if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const ref = node.moduleReference.expression
      if (ts.isStringLiteralLike(ref)) add(ref.text, node, node.isTypeOnly ? 'type' : 'runtime')
    }
    if (ts.isCallExpression(node)) {
      const arg = node.arguments[0]
      if (arg !== undefined && ts.isStringLiteralLike(arg)) {
        if (node.expression.kind === ts.SyntaxKind.ImportKeyword) add(arg.text, node, 'dynamic')
        else if (ts.isIdentifier(node.expression) && node.expression.text === 'require') add(arg.text, node, 'runtime')
      }
    }
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, node, 'type')
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return out
}
