/**
 * Users without Crawlee must not break: neither `hotconn` nor `hotconn/crawlee` loads any Crawlee
 * module at run time (the adapter uses Crawlee's types only). Each import runs in a child Node
 * whose module resolution refuses every `crawlee` / `@crawlee/*` specifier and lists what it saw.
 */
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { PROJECT_ROOT } from '../helpers/project-node.js'
import { tempDir } from '../interop/helpers.js'

const run = promisify(execFile)
const tmp = tempDir('hotconn-crawlee-isolation-')
afterAll(() => tmp.remove())

/** A resolve hook (module.register) that fails any Crawlee specifier and counts every other one. */
const HOOKS = `
export async function resolve(specifier, context, next) {
  if (/^(?:crawlee|@crawlee\\/)/.test(specifier)) throw new Error('crawlee was loaded: ' + specifier + ' from ' + context.parentURL)
  return next(specifier, context)
}
`
const hooks = join(tmp.dir, 'deny-crawlee.mjs')
writeFileSync(hooks, HOOKS)
const register = join(tmp.dir, 'register.mjs')
writeFileSync(register, `import { register } from 'node:module'\nregister(${JSON.stringify(`file://${hooks}`)})\n`)

async function load(entry: string, probe: string): Promise<string> {
  const script = `const m = await import(${JSON.stringify(join(PROJECT_ROOT, entry))}); console.log(${probe})`
  const { stdout } = await run(
    process.execPath,
    ['--import', register, '--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: PROJECT_ROOT, timeout: 30_000 },
  )
  return stdout.trim()
}

describe('Crawlee stays optional', () => {
  it('the hook refuses Crawlee (the check can fail)', async () => {
    await expect(load('src/index.ts', "(await import('@crawlee/core')).BaseHttpClient")).rejects.toThrow(
      /crawlee was loaded: @crawlee\/core/,
    )
  })

  it('import of hotconn loads no Crawlee module', async () => {
    expect(await load('src/index.ts', "typeof m.HotConnPool + ' ' + ('HotConnHttpClient' in m)")).toBe('function false')
  })

  it('import of hotconn/crawlee loads no Crawlee module either', async () => {
    expect(await load('src/crawlee/index.ts', 'typeof m.HotConnHttpClient')).toBe('function')
  })
})
