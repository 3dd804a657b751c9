/** Errors of the tile job. */
import { HotConnError, type HotConnErrorOptions } from '../errors.js'

/** The tile store could not be created, opened or written (disk full, permissions, a corrupt .mbtiles file). */
export class TileStoreError extends HotConnError {
  constructor(message: string, options?: HotConnErrorOptions) {
    super('ERR_TILE_STORE', message, options)
  }
}

/** Fleet mode: a queue job that is not a tile job (bad data or template; the job fails without retries). */
export class FleetError extends HotConnError {
  constructor(message: string, options?: HotConnErrorOptions) {
    super('ERR_FLEET', message, options)
  }
}
