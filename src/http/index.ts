export { HttpChannel, type HttpChannelOptions } from './channel.js'
export { DispatcherBase } from './dispatcher-base.js'
export { GuardedHandler } from './guard.js'
export { RequestController } from './controller.js'
export { probeStatus, type ProbeOptions } from './probe.js'
export {
  PooledRequest,
  isReplayable,
  type BorrowMode,
  type HttpLease,
  type PooledRequestOptions,
  type RequestOutcome,
} from './pooled-request.js'
export { nextStep, type AttemptOutcome, type FailureKind, type NextStep, type Tries } from './retry-policy.js'
export { H2Channel, type H2ChannelOptions } from './h2-channel.js'
export * from './errors.js'
export { H2Shaper, localHttp2Settings } from './h2/shaper.js'
export { headerPairs, mergeDefaultHeaders, withoutFetchDefaults, type HeaderPairs } from './headers.js'
export type { PooledChannel } from './pooled-channel.js'
