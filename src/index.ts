/**
 * hotconn: pools of hot, browser-fingerprinted TLS connections to every IP of a host.
 *
 *   import { HotConnPool, loadConfig } from 'hotconn'
 *   const pool = await HotConnPool.create(await loadConfig('config/config.toml'))
 *   await pool.warmup('https://tiles.example.com')
 *   const res = await fetch('https://tiles.example.com/t/1/2/3.png', { dispatcher: pool })
 *   await pool.close()
 */
export * from './errors.js'
export {
  BodyTimeoutError,
  HeadersTimeoutError,
  HttpProtocolError,
  NotSupportedError,
  RequestAbortedError,
  RequestContentLengthMismatchError,
  ResponseContentLengthMismatchError,
  SocketError,
} from './http/errors.js'
export * from './config/index.js'
export * from './fingerprint/index.js'
export * from './tls/index.js'
export {
  DIRECT,
  EgressSet,
  LocalAddressError,
  openTunnel,
  ProxyAuthError,
  ProxyError,
  ProxyTimeoutError,
  toEgress,
  type Blame,
  type Egress,
  type EgressInput,
  type EgressOptions,
  type ProxyFailure,
  type TunnelOptions,
  type TunnelTarget,
} from './egress/index.js'
export * from './pool/index.js'
export * from './tiles/index.js'
export {
  DEMO_CLIENT_HEADER,
  startDemoOrigin,
  startDnsServer,
  tileBody,
  type DemoOrigin,
  type DemoOriginOptions,
  type IpBehaviour,
  type OriginFaults,
  type OriginIpStats,
  type OriginRequestEvent,
} from './demo/index.js'
