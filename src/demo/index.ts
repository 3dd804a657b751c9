export { startDnsServer, type DnsRecordSet, type DnsServer, type DnsServerOptions } from './dns-server.js'
export {
  DEMO_CLIENT_HEADER,
  startDemoOrigin,
  type DemoOrigin,
  type DemoOriginOptions,
  type IpBehaviour,
  type OriginFaults,
  type OriginIpStats,
  type OriginRequestEvent,
} from './origin.js'
export { DEFAULT_TILE_BYTES, route, tileBody, type Route } from './tiles.js'
export { TILE_SIZE, drawTile } from './tile-image.js'
export { encodePalettePng, PNG_SIGNATURE, type PaletteImage } from './png.js'
