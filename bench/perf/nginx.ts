/**
 * Debian's nginx as the benchmark origin: a temporary nginx.conf in a temp dir serving static
 * files `/size/1024` and `/size/262144` over TLS 1.3 (HTTP/1.1, or h2 with `http2`; no session tickets or cache, so
 * every new connection is a full handshake) on a set of loopback addresses, one port. Runs in the
 * foreground (`-g 'daemon off;'`) with its pid and logs in the temp dir; `stop()` sends SIGQUIT and
 * removes the dir.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Socket, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const NGINX_BINARY = '/usr/sbin/nginx'

export interface NginxOptions {
  readonly certPem: string
  readonly keyPem: string
  readonly ips: readonly string[]
  /** Body sizes served at `/size/<n>` (bytes). */
  readonly sizes: readonly number[]
  /** OpenSSL group list for `ssl_ecdh_curve` (default 'X25519'). */
  readonly groups?: string
  /** nginx worker processes (default 1, so the client keeps a core of a 2-core machine). */
  readonly workers?: number
  /** Serve HTTP/2 (ALPN h2, then http/1.1): `http2 on` on nginx >= 1.25.1, else the `http2` listen parameter. */
  readonly http2?: boolean
  /** Command prefix to run nginx under, e.g. `['ip', 'netns', 'exec', ns]` (it must exec, keeping the pid). */
  readonly wrap?: readonly string[]
}

export interface NginxOrigin {
  readonly port: number
  readonly version: string
  readonly dir: string
  stop(): Promise<void>
}

/** The installed nginx's version, or undefined when there is none. */
export function nginxVersion(binary = NGINX_BINARY): string | undefined {
  if (!existsSync(binary)) return undefined
  const out = spawnSync(binary, ['-v'], { encoding: 'utf8' })
  const m = /nginx\/(\S+)/.exec(`${out.stderr}${out.stdout}`)
  return m?.[1]
}

/** A TCP port free on every address of `ips` (tries up to 20). */
async function freePort(ips: readonly string[]): Promise<number> {
  const tryListen = (ip: string, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const s = createServer()
      s.once('error', reject)
      s.listen(port, ip, () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await tryListen(ips[0]!, 0)
    try {
      for (const ip of ips.slice(1)) await tryListen(ip, port)
      return port
    } catch {
      // taken on another address; try again
    }
  }
  throw new Error('nginx origin: no port free on every address after 20 attempts')
}

/** Whether nginx `version` ("1.22.1") knows the `http2 on` directive (1.25.1 and later). */
export function nginxHasHttp2Directive(version: string): boolean {
  const [a = 0, b = 0, c = 0] = version.split('.').map(Number)
  return a > 1 || (a === 1 && (b > 25 || (b === 25 && c >= 1)))
}

function config(dir: string, port: number, o: NginxOptions, version: string): string {
  const directive = o.http2 === true && nginxHasHttp2Directive(version)
  const listenHttp2 = o.http2 === true && !directive ? ' http2' : ''
  const listens = o.ips.map((ip) => `    listen ${ip}:${port} ssl${listenHttp2};`).join('\n')
  return `user root;
worker_processes ${o.workers ?? 1};
worker_rlimit_nofile 16384;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp;
  proxy_temp_path ${dir}/tmp;
  fastcgi_temp_path ${dir}/tmp;
  uwsgi_temp_path ${dir}/tmp;
  scgi_temp_path ${dir}/tmp;
  sendfile on;
  tcp_nodelay on;
  keepalive_timeout 300s;
  keepalive_requests 1000000000;
  default_type application/octet-stream;
  server {
${listens}
    server_name tiles.test;
${directive ? '    http2 on;\n' : ''}    ssl_certificate ${dir}/cert.pem;
    ssl_certificate_key ${dir}/key.pem;
    ssl_protocols TLSv1.3;
    ssl_ecdh_curve ${o.groups ?? 'X25519'};
    ssl_session_tickets off;
    ssl_session_cache off;
    root ${dir}/www;
    location / { }
  }
}
`
}

/**
 * Starts nginx; resolves once it accepts TCP on the first address.
 * @throws Error when nginx is missing, its config test fails or it does not come up within 5 s.
 */
export async function startNginx(o: NginxOptions, binary = NGINX_BINARY): Promise<NginxOrigin> {
  const version = nginxVersion(binary)
  if (version === undefined) throw new Error(`nginx not found at ${binary}`)
  const dir = mkdtempSync(join(tmpdir(), 'hotconn-nginx-'))
  let child: ChildProcess | undefined
  try {
    mkdirSync(join(dir, 'www/size'), { recursive: true })
    mkdirSync(join(dir, 'tmp'))
    for (const n of o.sizes) writeFileSync(join(dir, 'www/size', String(n)), Buffer.alloc(n, 0x61))
    writeFileSync(join(dir, 'cert.pem'), o.certPem)
    writeFileSync(join(dir, 'key.pem'), o.keyPem, { mode: 0o600 })
    // Inside a namespace the addresses are not bindable from here; any port works there.
    const port = o.wrap && o.wrap.length > 0 ? 20000 + (process.pid % 20000) : await freePort(o.ips)
    writeFileSync(join(dir, 'nginx.conf'), config(dir, port, o, version))
    const args = ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;']
    const [cmd, ...pre] = o.wrap && o.wrap.length > 0 ? [...o.wrap, binary] : [binary]
    const test = spawnSync(cmd!, [...pre, '-t', '-q', ...args], { encoding: 'utf8' })
    if (test.status !== 0) throw new Error(`nginx -t failed: ${test.stderr.trim()}`)
    child = spawn(cmd!, [...pre, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    await waitUp(o.ips[0]!, port, child, () => stderr, dir)
    const proc = child
    return {
      port,
      version,
      dir,
      stop: async () => {
        if (proc.exitCode === null && proc.signalCode === null) {
          const exited = new Promise<void>((r) => proc.once('exit', () => r()))
          proc.kill('SIGQUIT')
          const t = setTimeout(() => proc.kill('SIGKILL'), 3000)
          await exited
          clearTimeout(t)
        }
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (err) {
    child?.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}

async function waitUp(ip: string, port: number, child: ChildProcess, stderr: () => string, dir: string): Promise<void> {
  const end = performance.now() + 5000
  while (performance.now() < end) {
    if (child.exitCode !== null) break
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket()
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
      s.connect(port, ip)
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 50))
  }
  let log = ''
  try {
    log = readFileSync(join(dir, 'error.log'), 'utf8')
  } catch {
    // none
  }
  throw new Error(`nginx did not come up on ${ip}:${port}: ${stderr().trim()} ${log.trim()}`.trim())
}
