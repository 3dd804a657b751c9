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
 * A connector running hotconn's TLS client with the configured fingerprint profile. With
 * tls.session_resumption, its connections share one SessionTicketStore (per connector, so per pool).
 */
export function tlsConnector(
  config: Config,
  ca: string | Buffer | ReadonlyArray<string | Buffer> | undefined,
  extraCa?: string | Buffer | ReadonlyArray<string | Buffer> | undefined,
): Connector {
  const sessionStore = config.tls.sessionResumption && config.tls.verify ? new SessionTicketStore() : undefined
  return async (o): Promise<Duplex> =>
    connect({
      ...(sessionStore ? { sessionStore } : {}),
      host: o.host,
      ip: o.ip,
      port: o.port,
      servername: o.servername,
      profile: config.tls.profile,
      insecure: !config.tls.verify,
      ...(o.alpn !== undefined ? { alpn: o.alpn } : {}),
      timeout: o.timeout,
      signal: o.signal,
      ...(ca !== undefined ? { ca } : {}),
      ...(extraCa !== undefined ? { extraCa } : {}),
      ...(config.tls.useSystemCa ? { useSystemCa: true } : {}),
    })
}

/** hotconn's DnsResolver for config.dns (servers, family). */
export function defaultResolver(config: Config): Resolver {
  return new DnsResolver({ servers: config.dns.servers, family: config.dns.family })
}
