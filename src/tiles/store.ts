/**
 * Where fetched tiles go. A store is resumable by construction: `has` tells whether a tile is
 * already there (a rerun skips it) and `put` stores a tile at most once — when another run or
 * worker stored it first, `put` answers 'exists' and changes nothing. A tile is either wholly
 * stored or absent: an interrupted write leaves no partial tile behind.
 */
import type { TileCoord } from './coords.js'
import { openDirStore } from './dir-store.js'
import { openMbtilesStore, type MbtilesMetadata } from './mbtiles-store.js'

export type TileFormat = 'dir' | 'mbtiles'

export interface TileStore {
  readonly format: TileFormat
  /** The directory or the .mbtiles file. */
  readonly location: string
  has(t: TileCoord): Promise<boolean>
  /** Stores a tile unless it is already stored. */
  put(t: TileCoord, body: Buffer): Promise<'stored' | 'exists'>
  /** The stored bytes of a tile, or undefined. */
  get(t: TileCoord): Promise<Buffer | undefined>
  /** Flushes and closes. Idempotent. */
  close(): Promise<void>
}

export interface OpenStoreOptions {
  format: TileFormat
  /** Directory (dir) or file (mbtiles; ".mbtiles" is appended to a directory-like path without one). */
  location: string
  /** File extension of dir tiles, with the dot (".png"); "" for none. */
  extension: string
  /** MBTiles metadata written when the file is created. */
  metadata: MbtilesMetadata
}

/**
 * Opens (creating when absent) a store.
 * @throws InvalidArgumentError for mbtiles on a Node without node:sqlite; TileStoreError when the
 *   location cannot be created or opened
 */
export function openTileStore(o: OpenStoreOptions): Promise<TileStore> {
  return o.format === 'dir' ? openDirStore(o.location, o.extension) : openMbtilesStore(o.location, o.metadata)
}

/** File extension for a tile content type ("image/png" -> ".png"), "" when unknown. */
export function extensionForType(contentType: string | undefined): string {
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase()
  const known: Record<string, string> = {
    'image/png': '.png',
    'image/jpeg': '.jpg',
    'image/webp': '.webp',
    'image/avif': '.avif',
    'application/x-protobuf': '.pbf',
    'application/vnd.mapbox-vector-tile': '.mvt',
  }
  return type === undefined ? '' : (known[type] ?? '')
}
