/**
 * A directory tree of tiles, `DIR/z/x/y.ext`, as tile servers and `file://` map viewers read it.
 * A tile is written to a temporary file and hard-linked into place: `link` fails when the name
 * exists, so a tile is stored once even when several processes race for it, and a reader never
 * sees a partial file. The per-tile calls (access; open, write, close; link; unlink) are node:fs's
 * synchronous ones: each takes microseconds on a file of a few KB, and an asynchronous call adds
 * a hand-off to libuv's thread pool and back (a thread woken, then the event loop) that costs
 * more: 4,000 tiles of 2 KB stored 32 at a time on ext4 take 145 µs of CPU (user + system) a tile
 * instead of 223 µs with the callback API (median of 6 runs).
 */
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import { join } from 'node:path'
import type { TileCoord } from './coords.js'
import { TileStoreError } from './errors.js'
import type { TileStore } from './store.js'

/** Temporary names: unique in this process (a counter) and across hosts sharing the directory (random). */
const TMP_TAG = `${process.pid}.${randomBytes(4).toString('hex')}`
let tmpCount = 0

export async function openDirStore(dir: string, extension: string): Promise<TileStore> {
  try {
    await fs.promises.mkdir(dir, { recursive: true })
  } catch (err) {
    throw new TileStoreError(`cannot create the tile directory ${dir}: ${(err as Error).message}`, { cause: err })
  }
  const path = (t: TileCoord): string => join(dir, String(t.z), String(t.x), `${t.y}${extension}`)
  const made = new Set<string>()
  return {
    format: 'dir',
    location: dir,
    has: async (t) => fs.existsSync(path(t)),
    put: async (t, body) => {
      const column = join(dir, String(t.z), String(t.x))
      const tmp = join(column, `.${t.y}.${TMP_TAG}.${tmpCount++}.tmp`)
      try {
        if (!made.has(column)) fs.mkdirSync(column, { recursive: true })
        made.add(column)
        fs.writeFileSync(tmp, body)
        fs.linkSync(tmp, path(t))
        return 'stored'
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'exists'
        throw new TileStoreError(`cannot write ${path(t)}: ${(err as Error).message}`, { cause: err })
      } finally {
        try {
          fs.unlinkSync(tmp)
        } catch {
          // never written, or already gone
        }
      }
    },
    get: async (t) => {
      try {
        return await fs.promises.readFile(path(t))
      } catch {
        return undefined
      }
    },
    close: async () => {},
  }
}
