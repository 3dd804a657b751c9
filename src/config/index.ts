export { loadConfig, parseConfig } from './load.js'
export { defaultConfig, isExpectedStatus, resolveConfig } from './resolve.js'
export { formatDuration, MAX_DURATION_MS, parseDurationString } from './duration.js'
export {
  HEALTH_METHODS,
  PROFILE_NAMES,
  type BlacklistConfig,
  type Config,
  type ConfigInput,
  type DnsConfig,
  type DurationInput,
  type HealthConfig,
  type HealthMethod,
  type PoolConfig,
  type ProfileName,
  type StatusInput,
  type StatusRange,
  type TlsConfig,
} from './types.js'
