export { startDnsServer, type DnsRecordSet, type DnsServer, type DnsServerOptions } from './dns-server.js'
export {
  startDemoOrigin,
  type DemoOrigin,
  type DemoOriginOptions,
  type IpBehaviour,
  type OriginFaults,
  type OriginIpStats,
} from './origin.js'
export { DEFAULT_TILE_BYTES, route, tileBody, type Route } from './tiles.js'
