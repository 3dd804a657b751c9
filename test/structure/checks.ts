/**
 * The structure rules as pure functions over a SourceTree, each returning its problems as
 * sentences that say what to do (empty = the rule holds). The tests and the CI report use them.
 */
import type { CycleException, SizeException } from './allowlist.js'
import { layerOf, rankOf, LAYERS } from './layers.js'
import type { FunctionSize, ImportEdge, SourceTree } from './source.js'

/** A function above this many lines is listed as a warning in the CI report. */
export const FUNCTION_WARN_LINES = 60
/** A function above this many lines fails the tests (src/ outside demo/). */
export const FUNCTION_FAIL_LINES = 100
/** A file above this many lines fails the tests. */
export const FILE_FAIL_LINES = 400

/** Folders whose functions the function budget does not apply to. */
export const FUNCTION_BUDGET_EXEMPT: readonly string[] = ['demo']

/** Imports against the layer order, and modules in no layer. */
export function layerProblems(tree: Pick<SourceTree, 'files' | 'imports'>): string[] {
  const problems: string[] = []
  const unplaced = new Set(tree.files.map(layerOf).filter((layer) => rankOf(layer) === undefined))
  for (const layer of unplaced) {
    problems.push(`src/${layer} has no place in the layer order: add it to LAYERS in test/structure/layers.ts`)
  }
  for (const edge of tree.imports) {
    const from = rankOf(layerOf(edge.from))
    const to = rankOf(layerOf(edge.to))
    if (from === undefined || to === undefined || to <= from) continue
    problems.push(
      `${edge.from}:${edge.line} imports ${edge.to}${edge.kind === 'runtime' ? '' : ` (${edge.kind})`}, but ` +
        `${layerOf(edge.from)} sits below ${layerOf(edge.to)} (${LAYERS.map((g) => g.join(' ')).join(' < ')}): ` +
        'move the shared code down or pass it in from above',
    )
  }
  return problems
}

/**
 * The import cycles through edges of `kinds` (default: the runtime cycles, over static imports
 * that are not type-only): strongly connected components, each sorted.
 */
export function runtimeCycles(
  tree: Pick<SourceTree, 'files' | 'imports'>,
  kinds: readonly ImportEdge['kind'][] = ['runtime'],
): string[][] {
  const next = new Map<string, string[]>()
  for (const e of tree.imports) {
    if (!kinds.includes(e.kind)) continue
    const list = next.get(e.from) ?? []
    list.push(e.to)
    next.set(e.from, list)
  }
  // Tarjan's algorithm.
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  const visit = (v: string): void => {
    index.set(v, index.size)
    low.set(v, index.get(v) ?? 0)
    stack.push(v)
    onStack.add(v)
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0))
    }
    if (low.get(v) !== index.get(v)) return
    const component: string[] = []
    let w: string | undefined
    do {
      w = stack.pop()
      if (w === undefined) break
      onStack.delete(w)
      component.push(w)
    } while (w !== v)
    if (component.length > 1 || (next.get(v) ?? []).includes(v)) cycles.push(component.sort())
  }
  for (const f of new Set([...tree.files, ...tree.imports.map((e) => e.from)])) if (!index.has(f)) visit(f)
  return cycles.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''))
}

/** Runtime cycles not in `allowed`, and entries of `allowed` that are no longer cycles. */
export function cycleProblems(
  tree: Pick<SourceTree, 'files' | 'imports'>,
  allowed: readonly CycleException[],
): string[] {
  const key = (modules: readonly string[]): string => [...modules].sort().join(' <-> ')
  const listed = new Set(allowed.map((c) => key(c.modules)))
  const found = runtimeCycles(tree).map(key)
  const problems = found
    .filter((k) => !listed.has(k))
    .map(
      (k) =>
        `runtime import cycle ${k}: break it (move the shared code into a module both import, or import a type only)`,
    )
  for (const k of listed) {
    if (!found.includes(k)) {
      problems.push(`${k} is no longer a runtime cycle: remove it from RUNTIME_CYCLES in test/structure/allowlist.ts`)
    }
  }
  return problems
}

/** A measured size: "file" or "file:function", and its lines. */
export interface Measured {
  readonly at: string
  readonly lines: number
}

/** The longest function of each `file:name` (nested anonymous callbacks may share a name). */
export function functionSizes(functions: readonly FunctionSize[]): Measured[] {
  const longest = new Map<string, number>()
  for (const f of functions) {
    if (FUNCTION_BUDGET_EXEMPT.includes(layerOf(f.file))) continue
    const at = `${f.file}:${f.name}`
    longest.set(at, Math.max(longest.get(at) ?? 0, f.lines))
  }
  return [...longest]
    .map(([at, lines]) => ({ at, lines }))
    .sort((a, b) => b.lines - a.lines || a.at.localeCompare(b.at))
}

/**
 * Sizes over `limit` that are not allowed, allow-list entries that grew past their listed size,
 * and entries that are within the limit now. `what` names the list in messages.
 */
export function sizeProblems(
  measured: readonly Measured[],
  limit: number,
  allowed: readonly SizeException[],
  what: { readonly list: string; readonly unit: string },
): string[] {
  const problems: string[] = []
  const sizes = new Map(measured.map((m) => [m.at, m.lines]))
  const listed = new Map(allowed.map((a) => [a.at, a]))
  for (const m of measured) {
    if (m.lines > limit && !listed.has(m.at)) {
      problems.push(`${m.at} is ${m.lines} lines, over the ${limit}-line ${what.unit} budget: split it`)
    }
  }
  for (const a of allowed) {
    const lines = sizes.get(a.at)
    if (lines === undefined || lines <= limit) {
      const now = lines === undefined ? 'is gone' : `is ${lines} lines now`
      problems.push(
        `${a.at} ${now}, within the budget: remove its entry from ${what.list} in test/structure/allowlist.ts`,
      )
    } else if (lines > a.lines) {
      problems.push(`${a.at} grew from ${a.lines} to ${lines} lines while over budget: split it, do not grow it`)
    }
  }
  return problems
}

/** Listed entries now smaller than their listed size (not a failure: the report asks to lower them). */
export function shrunk(measured: readonly Measured[], allowed: readonly SizeException[]): string[] {
  const sizes = new Map(measured.map((m) => [m.at, m.lines]))
  return allowed.flatMap((a) => {
    const lines = sizes.get(a.at)
    return lines !== undefined && lines < a.lines ? [`${a.at}: ${a.lines} -> ${lines} lines`] : []
  })
}
