/**
 * `npm run test:interop [-- --report] [vitest arguments…]`: the interop tests
 * (vitest.interop.config.ts). With `--report` the matrix writes reports/interop.md; without it, it
 * writes its table to a temporary file (the path is printed) and no file of the repository changes.
 * Exits with vitest's code.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { INTEROP_REPORT_ENV } from './report-target.js'

const args = process.argv.slice(2)
const report = args.includes('--report')
const manifest = createRequire(import.meta.url).resolve('vitest/package.json')
const bin = (JSON.parse(readFileSync(manifest, 'utf8')) as { bin: { vitest: string } }).bin.vitest
const vitest = join(dirname(manifest), bin)
const r = spawnSync(
  process.execPath,
  [vitest, 'run', '--config', 'vitest.interop.config.ts', '--passWithNoTests', ...args.filter((a) => a !== '--report')],
  { stdio: 'inherit', env: { ...process.env, [INTEROP_REPORT_ENV]: report ? '1' : '' } },
)
process.exitCode = r.status ?? 1
