/**
 * The hotconn the harness measures. A benchmark entry point calls `useBuiltLibrary()` first: it
 * compiles `src/` into `dist/` (`npm run build`: tsc, what the published package ships) and from
 * then on `library()` gives the built modules, so the numbers are those of the code users run.
 * Without that call (the harness's own tests) `library()` gives the TypeScript sources, run by
 * tsx; those are slower: tsx's esbuild transform keeps function names with a helper call at every
 * closure and adds source-map lookups (3–7 % more CPU per hot request, measured paired).
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import * as srcPool from '../../src/pool/index.js'
import * as srcTls from '../../src/tls/index.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** What the harness takes from hotconn. */
export interface Library {
  readonly HotConnPool: typeof srcPool.HotConnPool
  readonly connect: typeof srcTls.connect
  /** `dist` (built from this checkout) or `src` (through tsx). */
  readonly from: 'dist' | 'src'
}

let current: Library = { HotConnPool: srcPool.HotConnPool, connect: srcTls.connect, from: 'src' }

/** The hotconn modules in use. */
export function library(): Library {
  return current
}

/**
 * Switches to the built package: runs `npm run build` first unless `build` is false (a child
 * process of a run whose parent built it). Throws when `dist/` is missing after that.
 */
export async function useBuiltLibrary(o: { build?: boolean } = {}): Promise<Library> {
  if (o.build !== false)
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
  const entry = join(ROOT, 'dist/index.js')
  if (!existsSync(entry))
    throw new Error(`the harness measures the built package, and ${entry} is missing: run npm run build`)
  const dist = (await import(pathToFileURL(entry).href)) as typeof import('../../src/index.js')
  current = { HotConnPool: dist.HotConnPool, connect: dist.connect, from: 'dist' }
  return current
}
