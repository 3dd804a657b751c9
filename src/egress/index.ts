export {
  DIRECT,
  reaches,
  redact,
  toEgress,
  type Egress,
  type EgressDefaults,
  type EgressInput,
  type EgressOptions,
} from './egress.js'
export {
  blameOf,
  LocalAddressError,
  ProxyAuthError,
  ProxyError,
  ProxyTimeoutError,
  type Blame,
  type ProxyFailure,
} from './errors.js'
export { openTunnel, type TunnelOptions, type TunnelTarget } from './tunnel.js'
export { EgressSet, STICKY_HOSTS_MAX, type RotationOptions } from './rotation.js'
export { drawFromPrefix, localAddressesOf, SourceAddresses } from './local-addresses.js'
export { poolEgressOf, type PoolEgress } from './config.js'
