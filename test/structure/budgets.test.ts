/**
 * Size budgets of src/: functions over FUNCTION_FAIL_LINES (outside demo/) and files over
 * FILE_FAIL_LINES fail, except the listed ones, whose sizes must be the measured ones.
 */
import { describe, expect, it } from 'vitest'
import { LONG_FILES, LONG_FUNCTIONS } from './allowlist.js'
import { FILE_FAIL_LINES, FUNCTION_FAIL_LINES, functionSizes, shrunk, sizeProblems } from './checks.js'
import { readSourceTree, scanSource } from './source.js'

describe('src/ size budgets', () => {
  const tree = readSourceTree()

  it(`no function over ${FUNCTION_FAIL_LINES} lines but the listed ones, at most at their listed sizes`, () => {
    const problems = sizeProblems(functionSizes(tree.functions), FUNCTION_FAIL_LINES, LONG_FUNCTIONS, {
      list: 'LONG_FUNCTIONS',
      unit: 'function',
    })
    expect(problems).toEqual([])
  })

  it(`no file over ${FILE_FAIL_LINES} lines but the listed ones, at most at their listed sizes`, () => {
    const files = tree.fileSizes.map((f) => ({ at: f.file, lines: f.lines }))
    expect(sizeProblems(files, FILE_FAIL_LINES, LONG_FILES, { list: 'LONG_FILES', unit: 'file' })).toEqual([])
  })
})

describe('the size rules', () => {
  const what = { list: 'LONG_FILES', unit: 'file' }

  it('measure functions from signature to closing brace, named by class and nesting', () => {
    const text = [
      'export class A {',
      '  run(): void {',
      '    const inner = () => {',
      '      return 1',
      '    }',
      '  }',
      '  get size(): number {',
      '    return 0',
      '  }',
      '}',
      '/** doc */',
      'export function top(',
      '  a: number,',
      '): number {',
      '  return [a].map((x) => x)[0] ?? 0',
      '}',
      '',
    ].join('\n')
    const scanned = scanSource('pool/x.ts', text)
    expect(scanned.functions.map((f) => [f.name, f.line, f.lines])).toEqual([
      ['A.run', 2, 5],
      ['A.run/inner', 3, 3],
      ['A.get size', 7, 3],
      ['top', 12, 5],
      ['top/<anonymous>', 15, 1],
    ])
    expect(scanned.lines).toBe(16)
  })

  it('exempt demo/ from the function budget only', () => {
    const fns = [
      { file: 'demo/origin.ts', name: 'startDemoOrigin', line: 1, lines: 200 },
      { file: 'pool/a.ts', name: 'f', line: 1, lines: 101 },
    ]
    expect(functionSizes(fns)).toEqual([{ at: 'pool/a.ts:f', lines: 101 }])
  })

  it('fail over the limit unless listed; a listed entry must not grow and must still be over', () => {
    const listed = [{ at: 'pool/manager.ts', lines: 900, reason: 'test' }]
    expect(sizeProblems([{ at: 'pool/manager.ts', lines: 900 }], 400, listed, what)).toEqual([])
    expect(sizeProblems([{ at: 'pool/a.ts', lines: 401 }], 400, [], what)).toEqual([
      'pool/a.ts is 401 lines, over the 400-line file budget: split it',
    ])
    expect(sizeProblems([{ at: 'pool/manager.ts', lines: 901 }], 400, listed, what)).toEqual([
      'pool/manager.ts grew from 900 to 901 lines while over budget: split it, do not grow it',
    ])
    expect(sizeProblems([{ at: 'pool/manager.ts', lines: 700 }], 400, listed, what)).toEqual([])
    expect(shrunk([{ at: 'pool/manager.ts', lines: 700 }], listed)).toEqual(['pool/manager.ts: 900 -> 700 lines'])
    expect(sizeProblems([{ at: 'pool/manager.ts', lines: 400 }], 400, listed, what)).toEqual([
      'pool/manager.ts is 400 lines now, within the budget: remove its entry from LONG_FILES in test/structure/allowlist.ts',
    ])
    expect(sizeProblems([], 400, listed, what)).toEqual([
      'pool/manager.ts is gone, within the budget: remove its entry from LONG_FILES in test/structure/allowlist.ts',
    ])
  })
})
