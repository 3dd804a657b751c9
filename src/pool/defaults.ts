/**
 * The pool's default plug-ins: hotconn's own TLS engine as connector (config.tls: profile,
 * verify, ca; ALPN http/1.1), and hotconn's DnsResolver (config.dns).
 */
import type { Duplex } from 'node:stream'
import type { Config } from '../config/index.js'
import { DnsError } from '../errors.js'
import { connect } from '../tls/index.js'
import type { Connector, Resolution, Resolver } from './options.js'

/** A connector running hotconn's TLS client with the configured fingerprint profile. */
export function tlsConnector(config: Config, ca: string | Buffer | ReadonlyArray<string | Buffer> | undefined): Connector {
  return async (o): Promise<Duplex> =>
    connect({
      host: o.host,
      ip: o.ip,
      port: o.port,
      servername: o.servername,
      profile: config.tls.profile,
      insecure: !config.tls.verify,
      alpn: ['http/1.1'],
      timeout: o.timeout,
      signal: o.signal,
      ...(ca !== undefined ? { ca } : {}),
    })
}

interface DnsModule {
  DnsResolver: new (config: Config['dns']) => Resolver
}

/** hotconn's DnsResolver for config.dns, loaded on first use. */
export function defaultResolver(config: Config): Resolver {
  let resolver: Promise<Resolver> | null = null
  return {
    async resolve(host: string): Promise<Resolution> {
      resolver ??= (import(['.', 'dns.js'].join('/')) as Promise<DnsModule>).then(
        (m) => new m.DnsResolver(config.dns),
        (err: unknown) => {
          resolver = null
          throw new DnsError(`the DNS resolver is unavailable (${(err as Error).message}); pass a resolver option`, { cause: err })
        },
      )
      return (await resolver).resolve(host)
    },
  }
}
