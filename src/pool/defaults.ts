/**
 * The pool's default plug-ins: hotconn's own TLS engine as connector (config.tls: profile,
 * verify, ca; ALPN the profile's h2 + http/1.1 unless the pool asks for http/1.1) over the
 * connection's egress (openTunnel: a local address, HTTP CONNECT or SOCKS5), and hotconn's
 * DnsResolver (config.dns).
 */
import type { Duplex } from 'node:stream'
import type { Config } from '../config/index.js'
import { DIRECT, openTunnel, SourceAddresses, type Egress } from '../egress/index.js'
import { getIdentity } from '../fingerprint/identity/table.js'
import { SessionTicketStore, connect } from '../tls/index.js'
import { DnsResolver } from './dns.js'
import type { Connector, Resolver } from './options.js'

type Pem = string | Buffer | ReadonlyArray<string | Buffer>

/** What the default connector needs beyond config.tls to dial through egresses. */
export interface ConnectorEgress {
  /** Source addresses that take turns as the sources of proxy connections (egress.local_addresses with proxies). */
  readonly sources?: SourceAddresses
  /** Roots that verify https:// proxies. */
  readonly proxyCa?: Pem | undefined
}

function isPlainDirect(egress: Egress): boolean {
  return egress.proxy === undefined && egress.localAddress === undefined
}

/**
 * A connector running hotconn's TLS client with the connection's identity (ConnectorOptions.profile,
 * default config.tls.profile) over its egress (ConnectorOptions.egress): the stream comes from
 * `openTunnel` (TCP from a local address, or a proxy tunnel) and the handshake runs inside it, so
 * the ClientHello is the identity's with or without a proxy. `pool.connect_timeout` bounds the
 * tunnel and the handshake together. With tls.session_resumption, connections of one (identity,
 * egress) share a SessionTicketStore (per connector, so per pool): identities sharing an engine
 * (firefox-153-linux and firefox-153-macos) and egresses (two proxies) never resume each other's
 * sessions, which would link them.
 */
export function tlsConnector(
  config: Config,
  ca: Pem | undefined,
  extraCa?: Pem | undefined,
  egressOptions: ConnectorEgress = {},
): Connector {
  const sources = egressOptions.sources ?? new SourceAddresses([])
  const stores = config.tls.sessionResumption && config.tls.verify ? new Map<string, SessionTicketStore>() : undefined
  const storeOf = (profile: string): SessionTicketStore | undefined => {
    if (stores === undefined) return undefined
    let store = stores.get(profile)
    if (store === undefined) stores.set(profile, (store = new SessionTicketStore()))
    return store
  }
  return async (o): Promise<Duplex> => {
    const profile = o.profile ?? config.tls.profile
    const egress = o.egress ?? DIRECT
    const sessionStore = storeOf(`${profile} ${egress.id}`)
    let socket: Duplex | undefined
    let timeout = o.timeout
    if (!isPlainDirect(egress)) {
      const started = performance.now()
      socket = await openTunnel(
        egress,
        { host: o.ip, port: o.port },
        {
          timeoutMs: o.timeout,
          signal: o.signal,
          localAddress: egress.proxy === undefined ? undefined : sources.next(egress.proxy.host),
          userAgent: getIdentity(profile).userAgent,
          proxyCa: egressOptions.proxyCa,
        },
      )
      timeout = Math.max(1, o.timeout - (performance.now() - started))
    }
    const handshake = connect({
      ...(sessionStore ? { sessionStore } : {}),
      ...(socket !== undefined ? { socket } : {}),
      host: o.host,
      ip: o.ip,
      port: o.port,
      servername: o.servername,
      profile,
      insecure: !config.tls.verify,
      ...(o.alpn !== undefined ? { alpn: o.alpn } : {}),
      timeout,
      signal: o.signal,
      ...(ca !== undefined ? { ca } : {}),
      ...(extraCa !== undefined ? { extraCa } : {}),
      ...(config.tls.useSystemCa ? { useSystemCa: true } : {}),
    })
    // The tunnel is paused until the TLS socket reads from it (connect() attached its reader above).
    socket?.resume()
    return handshake
  }
}

/** hotconn's DnsResolver for config.dns (servers, family). */
export function defaultResolver(config: Config): Resolver {
  return new DnsResolver({ servers: config.dns.servers, family: config.dns.family })
}
