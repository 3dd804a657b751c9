export type * from './spec.js'
export { GREASE } from './spec.js'
export { getProfile, getHttpProfile, profileNames, chrome, chromeHttp, firefox, firefoxHttp } from './profiles/index.js'
export * from './http.js'
export { planClientHello } from './plan.js'
export { encodeClientHello } from './encode.js'
export { parseClientHello, type ParsedClientHello } from './parse.js'
export { ja3, ja3n, ja4, ja4r, ja4o, ja4ro, fingerprintClientHello, type ClientFingerprints, type Ja3 } from './ja.js'
export { CaptureServer, type Capture, type CaptureServerOptions } from './capture-server.js'
export { isGrease, GREASE_VALUES } from './grease.js'
export {
  getIdentity,
  isIdentityRef,
  resolveIdentityName,
  IDENTITY_NAMES,
  IDENTITY_REFS,
  IDENTITY_TABLE,
  IDENTITY_ALIASES,
  DEFAULT_IDENTITY,
  type IdentityName,
  type IdentityRef,
} from './identity/table.js'
export type { RequestIdentity, DestinationHeaders, RequestMode, Browser } from './identity/types.js'
export {
  planRequestHeaders,
  reconcileUserAgent,
  fetchSite,
  type RequestContext,
  type RequestPlan,
  type FetchSite,
} from './identity/request-plan.js'
export {
  chromiumBrands,
  secChUa,
  secChUaMobile,
  secChUaPlatform,
  parseSecChUa,
  type UaBrand,
  type ClientHints,
} from './identity/client-hints.js'
export { chromeUserAgent, edgeUserAgent, firefoxUserAgent, type OperatingSystem } from './identity/user-agent.js'
