/**
 * An MBTiles 1.3 file (SQLite; the `metadata` and `tiles` tables of the MBTiles specification,
 * tile_row in the TMS scheme) through `node:sqlite`, which Node has from 22.13 / 23.4 without a
 * flag (Node 24 included). On a Node without it, opening fails with a clear InvalidArgumentError.
 * The file is in WAL mode with a busy timeout, so several processes can write one file; the
 * unique (zoom_level, tile_column, tile_row) index makes `put` store a tile once.
 */
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { InvalidArgumentError } from '../errors.js'
import { tmsY, type TileCoord } from './coords.js'
import { TileStoreError } from './errors.js'
import type { TileStore } from './store.js'

/** MBTiles metadata rows (MBTiles 1.3 §metadata): name and format are required. */
export interface MbtilesMetadata {
  name: string
  /** png, jpg, webp or pbf. */
  format: string
  /** "minLon,minLat,maxLon,maxLat" */
  bounds?: string
  minzoom?: number
  maxzoom?: number
  description?: string
}

/** The subset of node:sqlite's DatabaseSync used here (node:sqlite has no types in @types/node 20). */
interface Db {
  exec(sql: string): void
  prepare(sql: string): {
    run(...params: unknown[]): { changes: number | bigint }
    get(...params: unknown[]): Record<string, unknown> | undefined
  }
  close(): void
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS metadata (name TEXT NOT NULL, value TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS metadata_name ON metadata (name);
CREATE TABLE IF NOT EXISTS tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL, tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS tile_index ON tiles (zoom_level, tile_column, tile_row);
`

async function sqlite(): Promise<new (path: string) => Db> {
  try {
    const mod = (await import('node:sqlite' as string)) as { DatabaseSync: new (path: string) => Db }
    return mod.DatabaseSync
  } catch {
    throw new InvalidArgumentError(
      `--format mbtiles needs node:sqlite, which Node ${process.version} does not have (it comes with Node 22.13+, 23.4+ and 24); run on such a Node or use --format dir`,
    )
  }
}

function open(DatabaseSync: new (path: string) => Db, file: string, meta: MbtilesMetadata): Db {
  try {
    const db = new DatabaseSync(file)
    db.exec('PRAGMA busy_timeout = 10000')
    db.exec('PRAGMA journal_mode = WAL')
    db.exec('PRAGMA synchronous = NORMAL')
    db.exec(SCHEMA)
    const insert = db.prepare('INSERT OR IGNORE INTO metadata (name, value) VALUES (?, ?)')
    for (const [k, v] of Object.entries(meta)) if (v !== undefined) insert.run(k, String(v))
    return db
  } catch (err) {
    throw new TileStoreError(`cannot open ${file} as MBTiles: ${(err as Error).message}`, { cause: err })
  }
}

export async function openMbtilesStore(location: string, meta: MbtilesMetadata): Promise<TileStore> {
  const DatabaseSync = await sqlite()
  const file = /\.mbtiles$/i.test(location) ? location : `${location}.mbtiles`
  await mkdir(dirname(file), { recursive: true }).catch(() => {})
  const db = open(DatabaseSync, file, meta)
  const where = 'zoom_level = ? AND tile_column = ? AND tile_row = ?'
  const exists = db.prepare(`SELECT 1 AS hit FROM tiles WHERE ${where}`)
  const select = db.prepare(`SELECT tile_data FROM tiles WHERE ${where}`)
  const insert = db.prepare(
    'INSERT OR IGNORE INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)',
  )
  const key = (t: TileCoord): [number, number, number] => [t.z, t.x, tmsY(t.z, t.y)]
  let closed = false
  const guard = <T>(what: string, f: () => T): T => {
    try {
      return f()
    } catch (err) {
      throw new TileStoreError(`${file}: ${what} failed: ${(err as Error).message}`, { cause: err })
    }
  }
  return {
    format: 'mbtiles',
    location: file,
    has: async (t) => guard('read', () => exists.get(...key(t)) !== undefined),
    put: async (t, body) =>
      guard('write', () => (Number(insert.run(...key(t), body).changes) === 1 ? 'stored' : 'exists')),
    get: async (t) => {
      const row = guard('read', () => select.get(...key(t)))
      return row === undefined ? undefined : Buffer.from(row['tile_data'] as Uint8Array)
    },
    close: async () => {
      if (closed) return
      closed = true
      db.close()
    },
  }
}
