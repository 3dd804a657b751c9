/**
 * Prints the structure of src/ for the CI log (`npm run structure`): the longest functions and
 * files against their budgets, the import cycles, and any broken rule. The tests in this folder
 * enforce the rules; this only reports, and exits 0.
 */
import { LONG_FILES, LONG_FUNCTIONS, RUNTIME_CYCLES } from './allowlist.js'
import {
  cycleProblems,
  FILE_FAIL_LINES,
  FUNCTION_FAIL_LINES,
  FUNCTION_WARN_LINES,
  functionSizes,
  layerProblems,
  runtimeCycles,
  shrunk,
  sizeProblems,
  type Measured,
} from './checks.js'
import { LAYERS } from './layers.js'
import { readSourceTree } from './source.js'

const tree = readSourceTree()
const functions = functionSizes(tree.functions)
const files = tree.fileSizes.map((f) => ({ at: f.file, lines: f.lines })).sort((a, b) => b.lines - a.lines)

function table(rows: readonly Measured[], status: (m: Measured) => string): string[] {
  const width = Math.max(...rows.map((r) => r.at.length), 8)
  return rows.map((r) => `  ${String(r.lines).padStart(5)}  ${r.at.padEnd(width)}  ${status(r)}`.trimEnd())
}

const listedFns = new Set(LONG_FUNCTIONS.map((e) => e.at))
const listedFiles = new Set(LONG_FILES.map((e) => e.at))
const fnStatus = (m: Measured): string =>
  m.lines > FUNCTION_FAIL_LINES
    ? listedFns.has(m.at)
      ? 'over budget (listed)'
      : 'OVER BUDGET'
    : m.lines > FUNCTION_WARN_LINES
      ? 'warn'
      : ''
const fileStatus = (m: Measured): string =>
  m.lines > FILE_FAIL_LINES ? (listedFiles.has(m.at) ? 'over budget (listed)' : 'OVER BUDGET') : ''

const typeCycles = runtimeCycles(tree, ['runtime', 'type'])
const runtime = runtimeCycles(tree)
const problems = [
  ...layerProblems(tree),
  ...cycleProblems(tree, RUNTIME_CYCLES),
  ...sizeProblems(functions, FUNCTION_FAIL_LINES, LONG_FUNCTIONS, { list: 'LONG_FUNCTIONS', unit: 'function' }),
  ...sizeProblems(files, FILE_FAIL_LINES, LONG_FILES, { list: 'LONG_FILES', unit: 'file' }),
]
const toLower = [...shrunk(functions, LONG_FUNCTIONS), ...shrunk(files, LONG_FILES)]
const warned = functions.filter((f) => f.lines > FUNCTION_WARN_LINES)
const shown = functions.slice(0, Math.max(warned.length, 15))
const runtimeKeys = new Set(runtime.map((c) => c.join(' <-> ')))

const lines = [
  `structure of src/: ${tree.files.length} modules, ${tree.imports.length} relative imports ` +
    `(${tree.imports.filter((e) => e.kind === 'type').length} type-only), ${tree.functions.length} functions`,
  `layers, lowest first: ${LAYERS.map((g) => g.join(' ')).join(' < ')}`,
  '',
  `longest functions (warn > ${FUNCTION_WARN_LINES} lines: ${warned.length}; fail > ${FUNCTION_FAIL_LINES}; demo/ exempt):`,
  ...table(shown, fnStatus),
  '',
  `longest files (fail > ${FILE_FAIL_LINES} lines):`,
  ...table(files.slice(0, 15), fileStatus),
  '',
  `runtime import cycles: ${runtime.length === 0 ? 'none' : runtime.map((c) => c.join(' <-> ')).join('; ')}`,
  `type-only import cycles: ${typeCycles.filter((c) => !runtimeKeys.has(c.join(' <-> '))).length}`,
  `problems: ${problems.length === 0 ? 'none' : ''}`,
  ...problems.map((p) => `  - ${p}`),
  ...(toLower.length === 0 ? [] : ['listed entries that shrank (lower them in test/structure/allowlist.ts):']),
  ...toLower.map((p) => `  - ${p}`),
]
process.stdout.write(`${lines.join('\n')}\n`)
