/**
 * README's error codes stay true to src/: every code the library gives an error or a tile outcome
 * (`super('ERR_…')`, `code: 'ERR_…'`, `return 'ERR_…'`, HOTCONN_ERROR_CODES) is documented, every
 * documented code is one of them, and each row's class is the class that sets that code. Codes of
 * other libraries that src/ only maps (node:http2's, undici's own) are not counted.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { HOTCONN_ERROR_CODES } from '../../src/errors.js'
import { listCode } from './package-imports.js'
import { ROOT } from './source.js'

const CODE = String.raw`((?:UND_)?ERR_[A-Z0-9_]+)`
/** Where src/ gives a code: a constructor's super call, a `code` property, a function's result. */
const GIVES = [
  new RegExp(String.raw`\bsuper\(\s*'${CODE}'`, 'g'),
  new RegExp(String.raw`\bcode: '${CODE}'`, 'g'),
  new RegExp(String.raw`\breturn '${CODE}'`, 'g'),
]

interface Given {
  code: string
  file: string
  /** The class whose constructor gives it, when a super call does. */
  cls: string | undefined
}

function givenCodes(): Given[] {
  const out: Given[] = []
  for (const path of listCode(join(ROOT, 'src'))) {
    const text = readFileSync(path, 'utf8')
    const file = path.slice(ROOT.length + 1)
    const classes = [...text.matchAll(/^export (?:abstract )?class (\w+)/gm)].map((m) => ({ name: m[1]!, at: m.index }))
    for (const re of GIVES) {
      for (const m of text.matchAll(re)) {
        const owner = classes.filter((c) => c.at < m.index).at(-1)
        out.push({ code: m[1]!, file, cls: m[0].startsWith('super') ? owner?.name : undefined })
      }
    }
  }
  return out
}

const README = readFileSync(join(ROOT, 'README.md'), 'utf8')
/** The "### Errors" section of README.md, up to the next heading. */
const section = /^### Errors\n([\s\S]*?)^#/m.exec(README)?.[1] ?? ''
/** Table rows: code → class. */
const rows = new Map(
  [...section.matchAll(/^\| `([A-Z0-9_]+)` \| `(\w+)` \| ([^|]+) \| ([^|]+) \|$/gm)].map((m) => [m[1]!, m]),
)
/** The list of codes of tile outcomes and reports (`- `CODE`: meaning; what to do`). */
const reportCodes = new Map([...section.matchAll(/^- `((?:UND_)?ERR_[A-Z0-9_]+)`: (.+)$/gm)].map((m) => [m[1]!, m[2]!]))

describe('README error codes', () => {
  const given = givenCodes()

  it('finds the codes src/ gives (the scan works)', () => {
    expect(given.length).toBeGreaterThan(30)
    expect(given).toContainEqual({
      code: 'UND_ERR_HEADERS_TIMEOUT',
      file: 'src/http/errors.ts',
      cls: 'HeadersTimeoutError',
    })
    expect(rows.size).toBeGreaterThan(20)
  })

  it('documents every code src/ gives, and no other', () => {
    const defined = new Set([...HOTCONN_ERROR_CODES, ...given.map((g) => g.code)])
    const documented = new Set([...rows.keys(), ...reportCodes.keys()])
    const undocumented = [...defined].filter((c) => !documented.has(c))
    const stale = [...documented].filter((c) => !defined.has(c))
    expect(undocumented, 'codes with no README row: add one under "### Errors"').toEqual([])
    expect(stale, 'README rows for codes src/ never gives').toEqual([])
  })

  it('gives each table row its meaning, what to do, and the class that sets the code', () => {
    for (const [code, m] of rows) {
      expect(m[3]!.trim().length, `${code}: meaning`).toBeGreaterThan(10)
      expect(m[4]!.trim().length, `${code}: what to do`).toBeGreaterThan(3)
      const setters = new Set(given.filter((g) => g.code === code && g.cls !== undefined).map((g) => g.cls))
      expect([...setters], `${code} is set by ${m[2]}`).toContain(m[2])
    }
  })

  it('lists codes of thrown errors in the table, tile-report codes in the list after it', () => {
    for (const code of reportCodes.keys()) expect(HOTCONN_ERROR_CODES as readonly string[]).not.toContain(code)
    for (const code of HOTCONN_ERROR_CODES) expect(rows.has(code), code).toBe(true)
  })
})
