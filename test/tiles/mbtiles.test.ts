/**
 * MBTiles output through node:sqlite: on the project-local Node 24 (the CLI in a child process
 * against a demo origin in this one), and the clear error on a Node without node:sqlite.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tileBody } from '../../src/demo/index.js'
import { fetchTiles, listSource, tmsY } from '../../src/tiles/index.js'
import { PROJECT_ROOT, node24, node24Missing } from '../helpers/node24.js'
import { startTileOrigin, type TileOrigin } from './helpers.js'

const run = promisify(execFile)
const NODE24 = node24()
if (!NODE24) console.warn(`skipping the Node 24 MBTiles test: ${node24Missing()}`)
const HAS_SQLITE = await import('node:sqlite' as string).then(
  () => true,
  () => false,
)

describe('MBTiles output', () => {
  let t: TileOrigin
  let dir: string
  beforeAll(async () => {
    t = await startTileOrigin({ ips: ['127.0.0.2', '127.0.0.3'] })
    dir = await mkdtemp(join(tmpdir(), 'hotconn-mbtiles-'))
    await writeFile(join(dir, 'ca.pem'), t.origin.caPem)
  })
  afterAll(async () => {
    await t.close()
    await rm(dir, { recursive: true, force: true })
  })

  it.skipIf(!NODE24)(
    'Node 24: hotconn tiles --format mbtiles writes MBTiles 1.3 (TMS rows) and resumes',
    async () => {
      const file = join(dir, 'demo.mbtiles')
      const cli = (): Promise<{ stdout: string }> =>
        run(
          NODE24!,
          [
            '--no-warnings',
            '--import',
            'tsx',
            resolve(PROJECT_ROOT, 'src/cli/main.ts'),
            'tiles',
            t.template,
            '--bbox=-180,-85,180,85',
            '--zoom',
            '0-3',
            '--out',
            file,
            '--resolve',
            `tiles.test=${t.origin.ips.join(',')}`,
            '--ca',
            join(dir, 'ca.pem'),
            '--json',
          ],
          { cwd: PROJECT_ROOT, timeout: 60_000 },
        )
      const first = JSON.parse((await cli()).stdout) as { ok: boolean; stored: number; format: string }
      expect(first).toMatchObject({ ok: true, stored: 85, format: 'mbtiles' })
      const second = JSON.parse((await cli()).stdout) as { ok: boolean; stored: number; skipped: number }
      expect(second).toMatchObject({ ok: true, stored: 0, skipped: 85 })

      const read = await run(
        NODE24!,
        ['--no-warnings', '--import', 'tsx', resolve(PROJECT_ROOT, 'test/fixtures/read-mbtiles.ts'), file],
        {
          cwd: PROJECT_ROOT,
        },
      )
      const db = JSON.parse(read.stdout) as {
        metadata: Record<string, string>
        tiles: { z: number; x: number; row: number; hex: string }[]
      }
      expect(db.metadata).toMatchObject({
        name: 'tiles.test',
        format: 'png',
        minzoom: '0',
        maxzoom: '3',
        bounds: '-180,-85,180,85',
      })
      expect(db.tiles).toHaveLength(85)
      // tile_row is the TMS row: XYZ row y is stored as 2^z - 1 - y.
      const t3 = db.tiles.find((r) => r.z === 3 && r.x === 5 && r.row === tmsY(3, 1))!
      expect(Buffer.from(t3.hex, 'hex').equals(tileBody(3, 5, 1))).toBe(true)
    },
    120_000,
  )

  it.skipIf(HAS_SQLITE)(`Node ${process.version} (no node:sqlite): a clear usage error`, async () => {
    const err = await fetchTiles({
      template: t.template,
      tiles: listSource([{ z: 0, x: 0, y: 0 }]),
      out: join(dir, 'x.mbtiles'),
      pool: t.pool(),
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    expect((err as Error).message).toMatch(
      /--format mbtiles needs node:sqlite.*Node 22\.13\+, 23\.4\+ and 24.*--format dir/,
    )
  })
})
