/** Where the interop matrix writes its table: reports/interop.md only when asked (`--report`). */
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** Set to "1" by `npm run test:interop -- --report` (test/interop/run.ts). */
export const INTEROP_REPORT_ENV = 'HOTCONN_INTEROP_REPORT'

/** reports/interop.md under `root` when the run was asked for a report, else a file in the temporary directory. */
export function interopReportPath(root: string): string {
  return process.env[INTEROP_REPORT_ENV] === '1'
    ? resolve(root, 'reports/interop.md')
    : join(tmpdir(), `hotconn-interop-${process.pid}.md`)
}
