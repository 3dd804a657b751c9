/**
 * The pool's default plug-ins: hotconn's own TLS engine as connector (config.tls: profile,
 * verify, ca; ALPN the profile's h2 + http/1.1 unless the pool asks for http/1.1), and hotconn's DnsResolver (config.dns).
 */
import type { Duplex } from 'node:stream'
import type { Config } from '../config/index.js'
import { SessionTicketStore, connect } from '../tls/index.js'
import { DnsResolver } from './dns.js'
import type { Connector, Resolver } from './options.js'

/**
 * A connector running hotconn's TLS client with the connection's identity (ConnectorOptions.profile,
 * default config.tls.profile). With tls.session_resumption, connections of one identity share a
 * SessionTicketStore (per connector, so per pool): identities sharing an engine (firefox-153-linux
 * and firefox-153-macos) never resume each other's sessions, which would link them.
 */
export function tlsConnector(
  config: Config,
  ca: string | Buffer | ReadonlyArray<string | Buffer> | undefined,
  extraCa?: string | Buffer | ReadonlyArray<string | Buffer> | undefined,
): Connector {
  const stores = config.tls.sessionResumption && config.tls.verify ? new Map<string, SessionTicketStore>() : undefined
  const storeOf = (profile: string): SessionTicketStore | undefined => {
    if (stores === undefined) return undefined
    let store = stores.get(profile)
    if (store === undefined) stores.set(profile, (store = new SessionTicketStore()))
    return store
  }
  return async (o): Promise<Duplex> => {
    const sessionStore = storeOf(o.profile ?? config.tls.profile)
    return connect({
      ...(sessionStore ? { sessionStore } : {}),
      host: o.host,
      ip: o.ip,
      port: o.port,
      servername: o.servername,
      profile: o.profile ?? config.tls.profile,
      insecure: !config.tls.verify,
      ...(o.alpn !== undefined ? { alpn: o.alpn } : {}),
      timeout: o.timeout,
      signal: o.signal,
      ...(ca !== undefined ? { ca } : {}),
      ...(extraCa !== undefined ? { extraCa } : {}),
      ...(config.tls.useSystemCa ? { useSystemCa: true } : {}),
    })
  }
}

/** hotconn's DnsResolver for config.dns (servers, family). */
export function defaultResolver(config: Config): Resolver {
  return new DnsResolver({ servers: config.dns.servers, family: config.dns.family })
}
