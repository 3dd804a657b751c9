export { fetchTiles, type TileJobOptions, type TileRunResult } from './job.js'
export {
  bboxRanges,
  isTile,
  lonLatToTile,
  MAX_LATITUDE,
  MAX_ZOOM,
  parseBBox,
  parseZoomRange,
  quadkey,
  rangeCount,
  tileBBox,
  tileKey,
  tmsY,
  type BBox,
  type TileCoord,
  type TileRange,
} from './coords.js'
export { DEFAULT_SUBDOMAINS, parseTemplate, type TileTemplate } from './template.js'
export { bboxSource, listSource, parseTileList, readTileList, type TileSource } from './source.js'
export { openTileStore, type OpenStoreOptions, type TileFormat, type TileStore } from './store.js'
export type { MbtilesMetadata } from './mbtiles-store.js'
export { checkContent, sniffImage, type ContentCheckOptions, type ImageKind } from './content.js'
export { gcraReserve, LocalBudget, parseRate, poolSizeForRpm, UNLIMITED, type RequestBudget } from './rate.js'
export { DEFAULT_RETRY, isRetryable, retryDelayMs, type AttemptResult, type RetryPolicy } from './retry.js'
export type { TileObserver, TileOutcome } from './fetch-tile.js'
export type { IpRunStats, TimelineBucket } from './run-stats.js'
export { TileProgress, type ProgressStream } from './progress.js'
export { FleetError, TileStoreError } from './errors.js'
export { defaultReportPath, renderTileReport, writeTileReport, type ReportOptions } from './report.js'
export { mosaicZoom, renderMosaic, type Mosaic, type MosaicOptions } from './mosaic.js'
export { latencySvg, throughputSvg } from './charts.js'
export { DURATION_BUCKETS_S, HotConnMetrics, type HotConnMetricsOptions } from './metrics.js'
export { TileMetrics } from './tile-metrics.js'
export { parseListenAddress, serveMetrics, type MetricsServer } from './metrics-server.js'
export { checkJobData, enqueueTiles, MAX_BATCH, type EnqueueOptions, type TileJobData } from './fleet/queue.js'
export { runTileWorker, type TileWorkerOptions, type TileWorkerResult } from './fleet/worker.js'
export { RedisBudget } from './fleet/budget.js'
export { RedisIpView } from './fleet/ip-view.js'
export { DEFAULT_QUEUE, fleetKeys } from './fleet/redis.js'
