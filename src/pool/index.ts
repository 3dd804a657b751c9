export { HotConnPool, type ForEgressOptions } from './pool.js'
export type { EgressChoice } from './egress-route.js'
export { cookieJar, type SyncCookieJar } from './cookies.js'
export type { HotConnDispatchOptions } from './pool.js'
export type {
  AnyDispatchHandler,
  AnyDispatchOptions,
  AnyInterceptor,
  FetchDispatcher,
  GlobalFetchDispatcher,
} from './fetch-dispatcher.js'
export { AllEgressBlockedError, AllIpsBlacklistedError, PoolClosedError, PoolExhaustedError } from './errors.js'
export type { ConnectionState, IpState, PooledConnection } from './model.js'
export type { WarmupIpResult, WarmupResult } from './warmup.js'
export type {
  Connector,
  ConnectorOptions,
  HotConnPoolOptions,
  Resolution,
  ResolvedAddress,
  Resolver,
} from './options.js'
export type { HostStats, IpStats, PoolStats, UsageStats } from './stats.js'
export { Blacklist, parseRetryAfter, type BlacklistOptions, type BlacklistRecord } from './blacklist.js'
export {
  channels,
  type BlacklistEvent,
  type CloseEvent,
  type ConnectEvent,
  type DnsEvent,
  type HealthEvent,
  type RequestEvent,
} from './events.js'
export { tlsConnector } from './defaults.js'
export { isConfigurationError } from './blame.js'
export { DnsResolver, DEFAULT_SYSTEM_TTL_MS, type DnsResolverOptions } from './dns.js'
