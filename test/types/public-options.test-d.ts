/**
 * Type-level tests of the public option types, as a user of `hotconn` writes them (checked by
 * `npm run typecheck`; nothing here runs). The options are closed: a misspelt key, section or
 * profile name does not compile. `connect()` resolves to a socket whose `info` is set.
 */
import {
  chrome,
  connect,
  HotConnPool,
  loadConfig,
  profileNames,
  resolveConfig,
  type ClientHelloSpec,
  type ConnectedTlsSocket,
  type ConnectOptions,
  type HotConnPoolOptions,
  type ProfileName,
  type IdentityRef,
  type TlsConnectionInfo,
} from '../../src/index.js'

/** `true` when A and B are the identical type. */
type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const is = <T extends true>(): T | undefined => undefined

// The profile union is exactly the profile table's names (config's PROFILE_NAMES is checked
// against fingerprint's table here, since config sits below fingerprint).
is<Exact<ProfileName, (typeof profileNames)[number]>>()
is<Exact<ProfileName, IdentityRef>>()
is<
  Exact<
    Extract<ProfileName, 'chrome-latest-windows' | 'firefox-153-linux' | 'chrome' | 'firefox'>,
    'chrome-latest-windows' | 'firefox-153-linux' | 'chrome' | 'firefox'
  >
>()

export async function poolOptions(): Promise<void> {
  new HotConnPool({ pool: { maxIdleConns: 5, idleTimeoutMs: '30s' }, tls: { profile: 'firefox' }, maxRetries: 2 })
  new HotConnPool(await loadConfig('config/config.toml'))
  // @ts-expect-error misspelt key (maxIdleConns)
  new HotConnPool({ pool: { maxIdleConn: 5 } })
  // @ts-expect-error misspelt section (pool)
  new HotConnPool({ pol: { maxIdleConns: 5 } })
  // @ts-expect-error misspelt profile name
  new HotConnPool({ tls: { profile: 'chrom' } })
  // @ts-expect-error misspelt pool option (maxRetries)
  await HotConnPool.create({ maxRetry: 2 })
  // @ts-expect-error a string where a count is expected
  resolveConfig({ pool: { maxPending: '10' } })
  const options: HotConnPoolOptions = { tls: { verify: false }, MaxIdleConns: 3, warmupConcurrency: 4 }
  const pool = new HotConnPool(options)
  pool.forIdentity('firefox-153-linux')
  // @ts-expect-error misspelt identity
  pool.forIdentity('firefox-153-linx')
  // @ts-expect-error misspelt identity
  await pool.warmup('https://example.com', { identity: 'chrom' })
}

export async function connectOptions(): Promise<void> {
  const socket = await connect({ host: 'example.com', profile: 'chrome' })
  const info: TlsConnectionInfo = socket.info
  is<Exact<typeof socket, ConnectedTlsSocket>>()
  is<Exact<ConnectedTlsSocket['info'], TlsConnectionInfo>>()
  void info.cipherSuite
  // A custom ClientHello spec is the typed escape hatch for a profile that is not shipped.
  const custom: ClientHelloSpec = { ...chrome, name: 'chrome-fixed-order', shuffle: 'none' }
  await connect({ host: 'example.com', profile: custom })
  // @ts-expect-error misspelt profile name
  await connect({ host: 'example.com', profile: 'chrom' })
  // @ts-expect-error misspelt option (servername)
  await connect({ host: 'example.com', serverName: 'x' })
  const o: ConnectOptions = { host: 'example.com', ip: '127.0.0.1', port: 8443, insecure: true }
  void o
}
