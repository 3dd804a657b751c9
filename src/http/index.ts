export { ChannelClosedError, HttpChannel, type HttpChannelOptions } from './channel.js'
export { rawHeader, toLegacyHandler, type LegacyHandler } from './handler.js'
export { probeStatus, type ProbeOptions } from './probe.js'
export { isReplayable, runPooledRequest, type HttpLease, type PooledRequestOptions, type RequestOutcome } from './request.js'
