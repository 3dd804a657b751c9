/**
 * Project-local Node.js releases for tests that must run on a given major: `node@<major>` from the
 * npm registry's `node` package, installed into .cache/node<major> on first use (a few seconds,
 * once per checkout). Tests that need one skip with the reason when it cannot be installed.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

export interface ProjectNode {
  /** Path of the binary, or undefined when it could not be installed (see `why`). */
  readonly bin: string | undefined
  /** `v24.7.0`, or '' when absent. */
  readonly version: string
  /** Why `bin` is undefined ('' when it is set). */
  readonly why: string
}

const found = new Map<string, ProjectNode>()

/** A Node.js of `major` at least `minimum` (`[major, minor]`), installed under .cache/node<major>. */
export function projectNode(major: number, minimum: readonly [number, number] = [major, 0]): ProjectNode {
  const key = `${major}:${minimum.join('.')}`
  const known = found.get(key)
  if (known !== undefined) return known
  const prefix = resolve(PROJECT_ROOT, `.cache/node${major}`)
  const bin = resolve(prefix, 'node_modules/node/bin/node')
  let result: ProjectNode
  try {
    if (!existsSync(bin)) {
      mkdirSync(prefix, { recursive: true })
      execFileSync(
        'npm',
        ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `node@${major}`],
        { stdio: 'ignore', timeout: 180_000 },
      )
    }
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()
    const [maj, min] = version.slice(1).split('.').map(Number)
    const [needMajor, needMinor] = minimum
    const ok = maj! > needMajor || (maj === needMajor && min! >= needMinor)
    result = ok
      ? { bin, version, why: '' }
      : { bin: undefined, version, why: `project-local Node is ${version}, need >= ${needMajor}.${needMinor}` }
  } catch (err) {
    const first = (err as Error).message.split('\n')[0]
    result = { bin: undefined, version: '', why: `could not install node@${major} from the npm registry: ${first}` }
  }
  found.set(key, result)
  return result
}
