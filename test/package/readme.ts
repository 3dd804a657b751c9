/**
 * The README's Library example, as a user copies it: the first ```ts block of its "## Library"
 * section, with the origin's port replaced by the test server's.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PROJECT_ROOT } from '../helpers/project-node.js'

/** The port the README's example origin uses (`https://tiles.internal:8443`). */
export const README_PORT = 8443

/** The first ```ts block of the README's "## Library" section. @throws Error when there is none */
export function readmeLibraryExample(readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8')): string {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Library\n'))
  const code = section === undefined ? null : /^```ts\n([\s\S]*?)^```$/m.exec(section)
  if (code === null) throw new Error('README.md has no ```ts block in its "## Library" section')
  return code[1]!
}

/** The example pointed at `port` (every `:8443` of the origin). */
export function withPort(example: string, port: number): string {
  return example.replaceAll(`:${README_PORT}`, `:${port}`)
}
