/**
 * squid (HTTP CONNECT, basic_ncsa_auth) and dante-server (SOCKS5, username auth) on loopback, each
 * with its own config, pid and log files in a temporary directory, on a free port. A test skips
 * with `skipReason()` when a binary (or, for dante's username auth and its private /etc/hosts,
 * root) is missing.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync } from 'node:fs'
import { freePort, startProcess, tempDir, waitForPort, which, type Proc } from './helpers.js'

export const SQUID = which('squid')
export const DANTED = which('danted')
export const HTPASSWD = which('htpasswd')
export const UNSHARE = which('unshare')
const IS_ROOT = process.getuid?.() === 0

/** Why squid/dante tests cannot run here, or undefined. */
export function skipReason(need: { squid?: boolean; dante?: boolean; auth?: boolean }): string | undefined {
  if (need.squid && SQUID === undefined) return 'squid is not installed (apt-get install squid)'
  if (need.squid && need.auth && HTPASSWD === undefined)
    return 'htpasswd is not installed (apt-get install apache2-utils)'
  if (need.dante && DANTED === undefined) return 'danted is not installed (apt-get install dante-server)'
  if (need.dante && need.auth && !IS_ROOT) return 'dante username auth needs a system user: run as root'
  return undefined
}

export interface ProxyProcess {
  /** `http://[user:pass@]127.0.0.1:port` or `socks5://…`. */
  readonly url: string
  readonly port: number
  /** The address the proxy connects to targets from (what the target sees). */
  readonly outgoingAddress: string
  readonly proc: Proc
  /** Ends the proxy at once (SIGKILL): its connections die with it. */
  kill(): Promise<void>
  close(): Promise<void>
}

export interface Credentials {
  readonly user: string
  readonly password: string
}

function exited(proc: Proc): Promise<void> {
  return new Promise((resolve) => {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) return resolve()
    proc.child.once('exit', () => resolve())
  })
}

async function started(proc: Proc, port: number, what: string): Promise<void> {
  const died = exited(proc).then(() => {
    throw new Error(`${what} exited: ${proc.output()}`)
  })
  await Promise.race([waitForPort(port, '127.0.0.1', 20_000), died])
  died.catch(() => {})
}

/**
 * Starts squid on 127.0.0.1 connecting out from `outgoingAddress`. `hosts` is its hosts_file
 * (names the CONNECT target may carry, by-name mode); `auth` makes it require Basic credentials.
 */
export async function startSquid(
  options: { outgoingAddress: string; auth?: Credentials; hosts?: Readonly<Record<string, readonly string[]>> },
  squid = SQUID!,
): Promise<ProxyProcess> {
  const tmp = tempDir('hotconn-squid-')
  // squid drops root to the proxy user: it must be able to write its logs here.
  chmodSync(tmp.dir, 0o777)
  const port = await freePort()
  const hostsFile = tmp.write(
    'hosts',
    Object.entries(options.hosts ?? {})
      .flatMap(([name, ips]) => ips.map((ip) => `${ip} ${name}\n`))
      .join(''),
  )
  const lines = [
    `http_port 127.0.0.1:${port}`,
    `pid_filename ${tmp.dir}/squid.pid`,
    `cache_log ${tmp.dir}/cache.log`,
    `access_log stdio:${tmp.dir}/access.log`,
    `coredump_dir ${tmp.dir}`,
    'cache deny all',
    'cache_mem 4 MB',
    'pinger_enable off',
    'shutdown_lifetime 0 seconds',
    `hosts_file ${hostsFile}`,
    'dns_nameservers 127.0.0.1',
    `tcp_outgoing_address ${options.outgoingAddress}`,
  ]
  let url = `http://127.0.0.1:${port}`
  if (options.auth !== undefined) {
    const passwd = `${tmp.dir}/passwd`
    const r = spawnSync(HTPASSWD!, ['-b', '-c', '-B', passwd, options.auth.user, options.auth.password])
    if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr.toString()}`)
    chmodSync(passwd, 0o644)
    lines.push(
      `auth_param basic program /usr/lib/squid/basic_ncsa_auth ${passwd}`,
      'auth_param basic realm hotconn-test',
      'acl authed proxy_auth REQUIRED',
      'http_access allow authed',
      'http_access deny all',
    )
    url = `http://${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.password)}@127.0.0.1:${port}`
  } else {
    lines.push('http_access allow all')
  }
  const conf = tmp.write('squid.conf', lines.join('\n') + '\n')
  const proc = startProcess(squid, ['-N', '-f', conf, '-n', `hotconn${port}`])
  try {
    await started(proc, port, 'squid')
  } catch (err) {
    await proc.stop()
    tmp.remove()
    throw err
  }
  return handle(url, port, options.outgoingAddress, proc, tmp.remove)
}

function handle(
  url: string,
  port: number,
  outgoingAddress: string,
  proc: Proc,
  remove: () => void,
  cleanup: () => void = () => {},
): ProxyProcess {
  let closed: Promise<void> | undefined
  return {
    url,
    port,
    outgoingAddress,
    proc,
    async kill() {
      proc.child.kill('SIGKILL')
      await exited(proc)
    },
    close() {
      closed ??= (async () => {
        await proc.stop()
        cleanup()
        remove()
      })()
      return closed
    },
  }
}

/** A system user for dante's username method (root only), deleted by `remove()`. */
export function createSocksUser(): Credentials & { remove(): void } {
  const user = `hcsocks${process.pid}`
  const password = `pw-${Math.random().toString(36).slice(2, 12)}`
  if (spawnSync('id', [user]).status !== 0) {
    const r = spawnSync('useradd', ['-M', '-s', '/usr/sbin/nologin', user])
    if (r.status !== 0) throw new Error(`useradd ${user} failed: ${r.stderr.toString()}`)
  }
  const r = spawnSync('chpasswd', [], { input: `${user}:${password}\n` })
  if (r.status !== 0) throw new Error(`chpasswd failed: ${r.stderr.toString()}`)
  return { user, password, remove: () => void spawnSync('userdel', [user]) }
}

/**
 * Starts danted on 127.0.0.1 connecting out from `externalAddress`. With `auth` it requires the
 * username method (RFC 1929) for that system user; with `hosts` it runs in a private mount
 * namespace whose /etc/hosts holds those names (so socks5h:// names resolve at the proxy only).
 */
export async function startDante(
  options: { externalAddress: string; auth?: Credentials; hosts?: Readonly<Record<string, readonly string[]>> },
  danted = DANTED!,
): Promise<ProxyProcess> {
  const tmp = tempDir('hotconn-dante-')
  chmodSync(tmp.dir, 0o755)
  const port = await freePort()
  const conf = tmp.write(
    'danted.conf',
    [
      `logoutput: ${tmp.dir}/danted.log`,
      `internal: 127.0.0.1 port = ${port}`,
      `external: ${options.externalAddress}`,
      `socksmethod: ${options.auth === undefined ? 'none' : 'username'}`,
      'clientmethod: none',
      ...(IS_ROOT ? ['user.privileged: root', 'user.unprivileged: nobody'] : []),
      'client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }',
      'socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }',
    ].join('\n') + '\n',
  )
  const pid = `${tmp.dir}/danted.pid`
  let proc: Proc
  if (options.hosts !== undefined) {
    if (UNSHARE === undefined || !IS_ROOT) throw new Error('a private /etc/hosts for dante needs unshare and root')
    const hosts = tmp.write(
      'hosts',
      '127.0.0.1 localhost\n' +
        Object.entries(options.hosts)
          .flatMap(([name, ips]) => ips.map((ip) => `${ip} ${name}\n`))
          .join(''),
    )
    chmodSync(hosts, 0o644)
    proc = startProcess(UNSHARE, [
      '--mount',
      'sh',
      '-c',
      `mount --bind ${hosts} /etc/hosts && exec ${danted} -f ${conf} -p ${pid}`,
    ])
  } else {
    proc = startProcess(danted, ['-f', conf, '-p', pid])
  }
  try {
    await started(proc, port, 'danted')
  } catch (err) {
    await proc.stop()
    tmp.remove()
    throw err
  }
  const auth = options.auth
  const creds = auth === undefined ? '' : `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@`
  return handle(`socks5://${creds}127.0.0.1:${port}`, port, options.externalAddress, proc, tmp.remove)
}
