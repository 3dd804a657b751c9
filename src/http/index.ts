export { ChannelClosedError, HttpChannel, type HttpChannelOptions } from './channel.js'
export { rawHeader, toLegacyHandler, type LegacyHandler } from './handler.js'
export { probeStatus, type ProbeOptions } from './probe.js'
export {
  isReplayable,
  runPooledRequest,
  type HttpLease,
  type PooledRequestOptions,
  type RequestOutcome,
} from './request.js'
export { H2Channel, type H2ChannelOptions } from './h2-channel.js'
export { Http2StreamError, isUnprocessed } from './h2/errors.js'
export { H2Shaper, localHttp2Settings } from './h2/shaper.js'
export { headerPairs, mergeDefaultHeaders, withoutFetchDefaults, type HeaderPairs } from './headers.js'
export type { PooledChannel } from './pooled-channel.js'
