/**
 * A project-local Node.js 24 (OpenSSL 3.5: X25519MLKEM768 in TLS, native ML-KEM in node:crypto),
 * installed from the npm registry's `node` package into .cache/node24 on first use. Tests that need
 * it skip with a message when it cannot be installed (no registry access).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const PREFIX = resolve(ROOT, '.cache/node24')
const BIN = resolve(PREFIX, 'node_modules/node/bin/node')

let cached: string | undefined | null = null
let why = ''

/** Path of a Node >= 24.7 binary, or undefined (see `node24Missing()` for the reason). */
export function node24(): string | undefined {
  if (cached !== null) return cached
  cached = undefined
  try {
    if (!existsSync(BIN)) {
      mkdirSync(PREFIX, { recursive: true })
      execFileSync(
        'npm',
        ['install', '--prefix', PREFIX, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', 'node@24'],
        {
          stdio: 'ignore',
          timeout: 180_000,
        },
      )
    }
    const version = execFileSync(BIN, ['--version'], { encoding: 'utf8' }).trim()
    const [major, minor] = version.slice(1).split('.').map(Number)
    if (major! > 24 || (major === 24 && minor! >= 7)) cached = BIN
    else why = `project-local Node is ${version}, need >= 24.7`
  } catch (err) {
    why = `could not install node@24 from the npm registry: ${(err as Error).message.split('\n')[0]}`
  }
  return cached
}

export function node24Missing(): string {
  return why
}

export const PROJECT_ROOT = ROOT
