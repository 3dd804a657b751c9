/**
 * How a real browser reuses TLS 1.2 session tickets (RFC 5077): Debian's chromium or firefox-esr,
 * headless, loads a page from a TLS 1.2-only node:https server on loopback whose responses say
 * `Connection: close`, so every sequential `fetch()` opens a new connection. For each connection
 * the script records the ClientHello (session id, session_ticket body, JA4, length, the whole
 * message in hex) and whether the server resumed the session. Not a test: run by hand to refresh
 * `test/fixtures/captures/tls12-tickets/` (see the README there):
 *
 *   unshare -n sh -c 'ip link set lo up && npx tsx test/capture/tls12-tickets.ts chromium ems out.json'
 *   # chromium|firefox, ems|no-ems (no-ems: secureOptions 0x1, OpenSSL's SSL_OP_NO_EXTENDED_MASTER_SECRET)
 */
import { execFileSync, spawn } from 'node:child_process'
import { X509Certificate, createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import { connect as netConnect, createServer as createNetServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { ExtensionType } from '../../src/fingerprint/extension-types.js'
import { fingerprintClientHello } from '../../src/fingerprint/ja.js'
import { parseClientHello, readClientHelloRecords } from '../../src/fingerprint/parse.js'
import { createCA, issueLeaf } from '../../src/testing/pki.js'

const [browser, ems, out] = process.argv.slice(2)
if ((browser !== 'chromium' && browser !== 'firefox') || (ems !== 'ems' && ems !== 'no-ems') || !out)
  throw new Error('usage: tls12-tickets.ts chromium|firefox ems|no-ems <out.json>')
const HOST = 'tls12.hotconn.test'
const FETCHES = 4
const ca = createCA({ name: 'hotconn capture CA' })
const leaf = issueLeaf(ca, { hosts: [HOST] })

interface ConnectionRecord {
  n: number
  sessionId: string
  sessionTicket: string | null
  ja4: string
  length: number
  resumed: boolean | null
  requests: string[]
  clientHello: string
}
const connections: ConnectionRecord[] = []
/** Connections to the https server by the proxy's local port. */
const byPort = new Map<number, ConnectionRecord>()

const page = `<!doctype html><html><head><meta charset="utf-8"><title>tls12 tickets</title></head><body><script>
window.addEventListener('load', async () => {
  for (let i = 1; i <= ${FETCHES}; i++) {
    await fetch('/n/' + i, { cache: 'no-store' })
    await new Promise((r) => setTimeout(r, 200))
  }
  await fetch('/done', { cache: 'no-store' })
})
</script></body></html>`

let finished!: () => void
const done = new Promise<void>((resolve) => (finished = resolve))
const https = createHttpsServer(
  {
    key: leaf.keyPem,
    cert: leaf.chainPem,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    ALPNProtocols: ['http/1.1'],
    ...(ems === 'no-ems' ? { secureOptions: 0x1 } : {}),
  },
  (req, res) => {
    byPort.get(req.socket.remotePort ?? 0)?.requests.push(req.url ?? '')
    res.setHeader('connection', 'close')
    res.setHeader('cache-control', 'no-store')
    if (req.url === '/') res.setHeader('content-type', 'text/html; charset=utf-8').end(page)
    else res.setHeader('content-type', 'text/plain').end('ok\n')
    if (req.url === '/done') setTimeout(finished, 500)
  },
)
https.on('secureConnection', (tls: TLSSocket) => {
  const record = byPort.get(tls.remotePort ?? 0)
  if (record) record.resumed = tls.isSessionReused()
})
https.on('tlsClientError', (err) => console.error('server:', err.message))
await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve))
const httpsPort = (https.address() as AddressInfo).port

// A TCP proxy in front of the https server that reads each ClientHello on its way through.
const front = createNetServer((socket) => {
  let buffered = Buffer.alloc(0)
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk])
    const records = readClientHelloRecords(buffered)
    if (!records) return
    socket.off('data', onData)
    socket.pause()
    const hello = parseClientHello(records.message)
    const ticket = hello.extensions.find((e) => e.type === ExtensionType.session_ticket)
    const record: ConnectionRecord = {
      n: connections.length + 1,
      sessionId: hello.sessionId.toString('hex'),
      sessionTicket: ticket ? Buffer.from(ticket.body).toString('hex') : null,
      ja4: fingerprintClientHello(hello).ja4,
      length: records.message.length,
      resumed: null,
      requests: [],
      clientHello: records.message.toString('hex'),
    }
    connections.push(record)
    const upstream = netConnect(httpsPort, '127.0.0.1', () => {
      byPort.set(upstream.localPort ?? 0, record)
      upstream.write(buffered)
      socket.pipe(upstream).pipe(socket)
      socket.resume()
    })
    upstream.on('error', () => socket.destroy())
    socket.on('close', () => upstream.destroy())
  }
  socket.on('data', onData)
  socket.on('error', () => {})
})
await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve))
const port = (front.address() as AddressInfo).port
const url = `https://${HOST}:${port}/`

const dir = mkdtempSync(join(tmpdir(), `hotconn-tls12-${browser}-`))
let args: string[]
let version: string
if (browser === 'chromium') {
  const spki = createHash('sha256')
    .update(new X509Certificate(leaf.certPem).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64')
  version = execFileSync('chromium', ['--version']).toString().trim()
  args = [
    'chromium',
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${dir}`,
    `--host-resolver-rules=MAP ${HOST} 127.0.0.1, MAP * ~NOTFOUND`,
    `--ignore-certificate-errors-spki-list=${spki}`,
    url,
  ]
} else {
  version = execFileSync('firefox-esr', ['--version']).toString().trim()
  writeFileSync(join(dir, 'ca.pem'), ca.certPem)
  execFileSync('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password'])
  execFileSync('certutil', ['-A', '-n', 'hotconn-capture', '-t', 'C,,', '-i', join(dir, 'ca.pem'), '-d', `sql:${dir}`])
  const prefs: Record<string, string | number | boolean> = {
    'network.dns.forceResolve': '127.0.0.1',
    'network.trr.mode': 5,
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
    'browser.shell.checkDefaultBrowser': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'toolkit.telemetry.enabled': false,
    'app.update.enabled': false,
    'app.normandy.enabled': false,
    'browser.safebrowsing.malware.enabled': false,
    'browser.safebrowsing.phishing.enabled': false,
  }
  const userJs = Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`)
  writeFileSync(join(dir, 'user.js'), userJs.join('\n') + '\n')
  args = ['firefox-esr', '--headless', '--no-remote', '--profile', dir, url]
}

const child = spawn(args[0]!, args.slice(1), {
  detached: true,
  stdio: 'ignore',
  env: { ...process.env, LANG: 'en_US.UTF-8' },
})
const timeout = setTimeout(finished, 60_000)
await done
clearTimeout(timeout)
if (child.pid !== undefined) {
  try {
    process.kill(-child.pid, 'SIGTERM')
  } catch {
    // already gone
  }
}
await new Promise((resolve) => {
  child.once('exit', resolve)
  setTimeout(resolve, 5_000)
})
front.close()
https.close()
rmSync(dir, { recursive: true, force: true, maxRetries: 5 })
const result = {
  browser: version,
  server: `node ${process.version} https, TLS 1.2 only, session tickets on${ems === 'no-ems' ? ', secureOptions 0x1 (no extended_master_secret)' : ''}`,
  capturedAt: new Date().toISOString().slice(0, 10),
  connections,
}
writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
console.log(
  connections
    .map(
      (c) =>
        `#${c.n} resumed=${c.resumed} ticket=${c.sessionTicket ? c.sessionTicket.length / 2 : 'none'} ${c.requests.join(',')}`,
    )
    .join('\n'),
)
process.exit(0)
