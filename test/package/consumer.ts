/**
 * The package as a user gets it: `npm pack` of this checkout (its prepack builds dist/), installed
 * into a new, empty project under the temporary directory together with the TypeScript, @types/node
 * and undici versions this checkout uses (from the npm cache when it has them).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { PROJECT_ROOT } from '../helpers/project-node.js'

const run = promisify(execFile)

export interface Consumer {
  /** The project's folder (package.json with "type": "module", node_modules/hotconn installed). */
  readonly dir: string
  /** Paths inside the tarball ("dist/index.js", "package.json", …), sorted. */
  readonly files: readonly string[]
  /** What `npm install` printed on stderr (its warnings). */
  readonly installWarnings: string
  remove(): Promise<void>
}

async function versionOf(pkg: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(PROJECT_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as {
    version: string
  }
  return manifest.version
}

export async function packAndInstall(): Promise<Consumer> {
  const dir = await mkdtemp(join(tmpdir(), 'hotconn-consumer-'))
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: PROJECT_ROOT,
    maxBuffer: 64 << 20,
  })
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[]
  if (packed === undefined) throw new Error('npm pack printed no package')
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'hotconn-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2),
  )
  const tools = await Promise.all(
    ['typescript', '@types/node', 'undici'].map(async (p) => `${p}@${await versionOf(p)}`),
  )
  const install = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, packed.filename), ...tools],
    { cwd: dir, maxBuffer: 64 << 20 },
  )
  return {
    dir,
    files: packed.files.map((f) => f.path).sort(),
    installWarnings: install.stderr,
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}
