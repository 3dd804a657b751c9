/**
 * Reads src/ with the TypeScript compiler API (the compiler the project already builds with, so
 * imports are classified exactly as it emits them): every module's relative imports, and the
 * length of every function and file. Used by the structure tests and by the report that
 * `.ci/run` prints (`npm run structure`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, posix, relative, sep } from 'node:path'
import ts from 'typescript'

export const ROOT = join(import.meta.dirname, '../..')
export const SRC = join(ROOT, 'src')

/** One relative import of a module. */
export interface ImportEdge {
  /** Importing module, relative to src/ ("pool/manager.ts"). */
  readonly from: string
  /** Imported module, relative to src/. */
  readonly to: string
  readonly line: number
  /**
   * `runtime`: loaded when the importer is (any `import`/`export … from` that is not `import type`,
   * including `import { type X }`, which verbatimModuleSyntax keeps as `import {}`);
   * `type`: erased (`import type`, `export type … from`, `import('…').T` in a type); `dynamic`:
   * `import()` in code, loaded later.
   */
  readonly kind: 'runtime' | 'type' | 'dynamic'
}

/** A function-like node: declaration, method, accessor, constructor, arrow or function expression. */
export interface FunctionSize {
  readonly file: string
  /** `Class.method`, `name`, nested `outer/inner`; anonymous callbacks as `outer/<anonymous>`. */
  readonly name: string
  readonly line: number
  /** Lines from the first line of the signature to the closing brace, comments and blanks included. */
  readonly lines: number
}

export interface FileSize {
  readonly file: string
  readonly lines: number
}

export interface SourceTree {
  readonly files: readonly string[]
  readonly imports: readonly ImportEdge[]
  readonly functions: readonly FunctionSize[]
  readonly fileSizes: readonly FileSize[]
}

function listTs(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) return listTs(path)
      return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : []
    })
}

const toPosix = (p: string): string => p.split(sep).join('/')

/** The module a relative specifier names (".js" written, ".ts" on disk; a folder means its index). */
function resolveSpecifier(from: string, specifier: string, known: ReadonlySet<string>): string | undefined {
  if (!specifier.startsWith('.')) return undefined
  const base = posix.normalize(posix.join(posix.dirname(from), specifier))
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, `${base}/index.ts`]
  return candidates.find((c) => known.has(c)) ?? base
}

function importKind(node: ts.ImportDeclaration | ts.ExportDeclaration): ImportEdge['kind'] {
  if (ts.isImportDeclaration(node)) return node.importClause?.isTypeOnly === true ? 'type' : 'runtime'
  return node.isTypeOnly ? 'type' : 'runtime'
}

function functionName(node: ts.Node, sf: ts.SourceFile): string {
  const className = (): string => {
    const parent = node.parent
    return (ts.isClassLike(parent) && parent.name?.text) || '<class>'
  }
  if (ts.isConstructorDeclaration(node)) return `${className()}.constructor`
  if (ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node)) {
    const prefix = ts.isClassLike(node.parent) ? `${className()}.` : ''
    const accessor = ts.isGetAccessor(node) ? 'get ' : ts.isSetAccessor(node) ? 'set ' : ''
    return `${prefix}${accessor}${node.name.getText(sf)}`
  }
  if (ts.isFunctionDeclaration(node) && node.name) return node.name.text
  if (ts.isFunctionExpression(node) && node.name) return node.name.text
  const parent = node.parent
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text
  if (ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) {
    const owner =
      ts.isPropertyDeclaration(parent) && ts.isClassLike(parent.parent) ? `${parent.parent.name?.text}.` : ''
    return `${owner}${parent.name.getText(sf)}`
  }
  return '<anonymous>'
}

function isFunctionLike(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    (ts.isFunctionDeclaration(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessor(node) ||
      ts.isSetAccessor(node) ||
      ts.isArrowFunction(node) ||
      ts.isFunctionExpression(node)) &&
    node.body !== undefined
  )
}

/** The imports, functions and length of one module (`file` relative to src/). */
export function scanSource(
  file: string,
  text: string,
  known: ReadonlySet<string> = new Set(),
): { imports: ImportEdge[]; functions: FunctionSize[]; lines: number } {
  const out = { imports: [] as ImportEdge[], functions: [] as FunctionSize[] }
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
  const lineOf = (pos: number): number => sf.getLineAndCharacterOfPosition(pos).line + 1
  const addImport = (specifier: string, node: ts.Node, kind: ImportEdge['kind']): void => {
    const to = resolveSpecifier(file, specifier, known)
    if (to !== undefined) out.imports.push({ from: file, to, line: lineOf(node.getStart(sf)), kind })
  }
  const visit = (node: ts.Node, outer: string | undefined): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      addImport((node.moduleSpecifier as ts.StringLiteral).text, node, importKind(node))
    }
    const arg = ts.isCallExpression(node) ? node.arguments[0] : undefined
    if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      arg !== undefined &&
      ts.isStringLiteralLike(arg)
    ) {
      addImport(arg.text, node, 'dynamic')
    }
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      addImport(node.argument.literal.text, node, 'type')
    }
    let scope = outer
    if (isFunctionLike(node)) {
      const own = functionName(node, sf)
      const name = outer === undefined ? own : `${outer}/${own}`
      const start = lineOf(node.getStart(sf))
      out.functions.push({ file, name, line: start, lines: lineOf(node.getEnd()) - start + 1 })
      scope = name
    }
    ts.forEachChild(node, (child) => visit(child, scope))
  }
  visit(sf, undefined)
  const lines = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length
  return { ...out, lines }
}

let cached: SourceTree | undefined

/** Every module of src/ with its imports, functions and length (read once per process). */
export function readSourceTree(): SourceTree {
  if (cached !== undefined) return cached
  const paths = listTs(SRC)
  const files = paths.map((p) => toPosix(relative(SRC, p)))
  const known = new Set(files)
  const scanned = files.map((file, i) => ({ file, ...scanSource(file, readFileSync(paths[i] ?? '', 'utf8'), known) }))
  cached = {
    files,
    imports: scanned.flatMap((s) => s.imports),
    functions: scanned.flatMap((s) => s.functions),
    fileSizes: scanned.map((s) => ({ file: s.file, lines: s.lines })),
  }
  return cached
}
