export { DEFAULT_CONFIG_PATH, loadConfig, parseConfig } from './load.js'
export { configToInput, defaultConfig, isExpectedStatus, resolveConfig } from './resolve.js'
export { formatDuration, MAX_DURATION_MS, parseDurationString } from './duration.js'
export { SECTION_NAMES, type SectionName } from './keys.js'
export {
  DEFAULT_HEADER_KINDS,
  HEALTH_METHODS,
  PROFILE_NAMES,
  PROXY_RESOLVE,
  ROTATIONS,
  STATUS_BLAME,
  isProfileName,
  type BlacklistConfig,
  type BlacklistInput,
  type Config,
  type ConfigInput,
  type DefaultHeaderKind,
  type DnsConfig,
  type DnsInput,
  type DurationInput,
  type EgressConfig,
  type EgressInput,
  type HealthConfig,
  type HealthInput,
  type HealthMethod,
  type Http2Config,
  type Http2Input,
  type PoolConfig,
  type PoolInput,
  type ProfileName,
  type ProxyResolve,
  type StatusBlame,
  type Rotation,
  type StatusInput,
  type StatusRange,
  type TlsConfig,
  type TlsInput,
} from './types.js'
export { parseProxyUrl, PROXY_SCHEMES, type ProxyScheme, type ProxyUrl } from './proxy-url.js'
export { parseCidr, parseHeaderLine, type Cidr } from './egress-values.js'
