/**
 * Captures the request heads of a real, non-headless browser (Debian's chromium or firefox-esr
 * under Xvfb) for every request kind hotconn ships, against hotconn's capture server on loopback.
 * Not a test: run by hand to refresh `test/fixtures/captures/*-requests/` (see the README there):
 *
 *   unshare -n sh -c 'ip link set lo up && npx tsx test/capture/browsers.ts chromium h2 out.json'
 *
 * Two origins on loopback play three sites: `www.hotconn-a.test` (the page), `static.hotconn-a.test`
 * (same site, same port: Chromium coalesces it onto the page's HTTP/2 connection) and
 * `cdn.hotconn-b.test` (cross-site). Paths are `/r/<destination>/<page>[-s|-x]`: the Fetch
 * destination, the page that caused the request (top: default referrer policy; next: `no-referrer`),
 * and the target site (-s same-site, -x cross-site). The browser walks
 * top (typed URL) → next (script navigation, same origin) → land on cdn (cross-site, no referrer)
 * → back on www (cross-site, with referrer) → `/r/empty/done`, then it is stopped. `top` and `land` set a
 * first-party cookie, so the requests after them carry `cookie`.
 */
import { spawn, execFileSync } from 'node:child_process'
import { X509Certificate, createHash } from 'node:crypto'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { H2FingerprintServer, type RequestRecord, type RouteResponse } from '../../src/cli/h2-listen.js'
import { createCA, issueLeaf } from '../../src/testing/pki.js'

type Browser = 'chromium' | 'firefox'
const [browserArg, alpnArg, outArg] = process.argv.slice(2)
if ((browserArg !== 'chromium' && browserArg !== 'firefox') || (alpnArg !== 'h2' && alpnArg !== 'http/1.1') || !outArg)
  throw new Error('usage: browsers.ts chromium|firefox h2|http/1.1 <out.json>')
const browser: Browser = browserArg
const alpn: 'h2' | 'http/1.1' = alpnArg

const A = 'www.hotconn-a.test'
const S = 'static.hotconn-a.test'
const B = 'cdn.hotconn-b.test'
const ca = createCA({ name: 'hotconn capture CA' })
const leaf = issueLeaf(ca, { hosts: [A, S, B] })
const certificate = { chainPem: leaf.chainPem, keyPem: leaf.keyPem, caPem: ca.certPem }
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')

let portA = 0
let portB = 0
const origin = (host: string): string => `https://${host}:${host === B ? portB : portA}`

function page(name: string, opts: { noReferrer?: boolean; next?: string; subresources: boolean }): string {
  const sub = opts.subresources
    ? `<link rel="stylesheet" href="/r/style/${name}.css">
<link rel="stylesheet" href="${origin(B)}/r/style/${name}-x.css">
<script src="/r/script/${name}.js"></script>
<script src="${origin(B)}/r/script/${name}-x.js"></script>
</head><body>
<p class="f1">same-origin font</p><p class="f2">cross-site font</p>
<img src="/r/image/${name}.gif"><img src="${origin(S)}/r/image/${name}-s.gif"><img src="${origin(B)}/r/image/${name}-x.gif">`
    : '</head><body><p>hotconn capture</p>'
  const fetches = opts.subresources
    ? `await fetch('/r/empty/${name}-fetch'); try { await fetch('${origin(B)}/r/empty/${name}-fetch-x') } catch {}
  await new Promise((r) => { const x = new XMLHttpRequest(); x.open('GET', '/r/empty/${name}-xhr'); x.onloadend = r; x.send() })`
    : ''
  const then = opts.next === undefined ? `await fetch('/r/empty/done')` : `location.href = '${opts.next}'`
  return `<!doctype html><html><head><meta charset="utf-8"><title>hotconn capture ${name}</title>
${opts.noReferrer === true ? '<meta name="referrer" content="no-referrer">' : ''}
${sub}
<script>
window.addEventListener('load', async () => {
  ${fetches}
  await new Promise((r) => setTimeout(r, 300))
  ${then}
})
</script></body></html>`
}

function route(path: string, authority: string): RouteResponse | undefined {
  const cors: Record<string, string> = authority.startsWith(B) ? { 'access-control-allow-origin': '*' } : {}
  const base = { 'cache-control': 'no-store', ...cors }
  const m = /^\/r\/(document|style|script|image|font|empty)\/([a-z-]+)/.exec(path)
  if (m === null) return { status: 404, headers: { ...base, 'content-type': 'text/plain' }, body: 'not found\n' }
  const [, dest, name] = m
  switch (dest) {
    case 'document': {
      const html =
        name === 'top'
          ? page('top', { subresources: true, next: '/r/document/next' })
          : name === 'next'
            ? page('next', { subresources: true, noReferrer: true, next: `${origin(B)}/r/document/land` })
            : name === 'land'
              ? page('land', { subresources: false, next: `${origin(A)}/r/document/back` })
              : page('back', { subresources: false })
      // First-party cookies, so that the later requests show where each browser puts `cookie`.
      const cookie: Record<string, string> =
        name === 'top'
          ? { 'set-cookie': 'sid=a1; Path=/; Secure; SameSite=Lax' }
          : name === 'land'
            ? { 'set-cookie': 'lid=b1; Path=/; Secure; SameSite=Lax' }
            : {}
      return { headers: { ...base, ...cookie, 'content-type': 'text/html; charset=utf-8' }, body: html }
    }
    case 'style': {
      const css = name!.endsWith('-x')
        ? 'p { margin: 0 }\n'
        : `@font-face { font-family: F1; src: url(/r/font/${name}.woff2) format('woff2') }
@font-face { font-family: F2; src: url(${origin(B)}/r/font/${name}-x.woff2) format('woff2') }
.f1 { font-family: F1 } .f2 { font-family: F2 }\n`
      return { headers: { ...base, 'content-type': 'text/css' }, body: css }
    }
    case 'script':
      return { headers: { ...base, 'content-type': 'text/javascript' }, body: 'void 0\n' }
    case 'image':
      return { headers: { ...base, 'content-type': 'image/gif' }, body: GIF }
    case 'font':
      return { headers: { ...base, 'content-type': 'font/woff2' }, body: Buffer.alloc(64) }
    default:
      return { headers: { ...base, 'content-type': 'application/json' }, body: '{"ok":true}\n' }
  }
}

const options = { alpn: alpn === 'h2' ? (['h2', 'http/1.1'] as const) : (['http/1.1'] as const), certificate, route }
const serverA = await H2FingerprintServer.listen('127.0.0.1', 0, [A, S], options)
const serverB = await H2FingerprintServer.listen('127.0.0.1', 0, [B], options)
portA = serverA.port
portB = serverB.port

const records: Array<RequestRecord & { server: 'a' | 'b' }> = []
let finished!: () => void
const done = new Promise<void>((resolve) => (finished = resolve))
for (const [server, name] of [
  [serverA, 'a'],
  [serverB, 'b'],
] as const) {
  server.on('request', (r: RequestRecord) => {
    records.push({ ...r, server: name })
    if (r.path === '/r/empty/done') setTimeout(finished, 500)
  })
}

const dir = mkdtempSync(join(tmpdir(), `hotconn-capture-${browser}-`))
const url = `${origin(A)}/r/document/top`
let args: string[]
let version: string
if (browser === 'chromium') {
  const spki = createHash('sha256')
    .update(new X509Certificate(leaf.certPem).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64')
  version = execFileSync('chromium', ['--version']).toString().trim()
  args = [
    'chromium',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--password-store=basic',
    `--user-data-dir=${dir}`,
    '--host-resolver-rules=MAP *.test 127.0.0.1, MAP * ~NOTFOUND',
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
    'browser.startup.homepage_override.mstone': 'ignore',
    'startup.homepage_welcome_url': '',
    'browser.aboutwelcome.enabled': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'datareporting.healthreport.uploadEnabled': false,
    'toolkit.telemetry.enabled': false,
    'toolkit.telemetry.unified': false,
    'app.update.enabled': false,
    'app.normandy.enabled': false,
    'extensions.update.enabled': false,
    'browser.safebrowsing.malware.enabled': false,
    'browser.safebrowsing.phishing.enabled': false,
    'browser.safebrowsing.downloads.enabled': false,
    'browser.newtabpage.enabled': false,
    'browser.topsites.contile.enabled': false,
    'services.settings.server': 'https://settings.invalid/v1',
  }
  writeFileSync(
    join(dir, 'user.js'),
    Object.entries(prefs)
      .map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`)
      .join('\n') + '\n',
  )
  args = ['firefox-esr', '--no-remote', '--profile', dir, url]
}

const child = spawn('xvfb-run', ['-a', '-s', '-screen 0 1280x800x24', ...args], {
  detached: true,
  stdio: ['ignore', 'ignore', 'pipe'],
  env: { ...process.env, LANG: 'en_US.UTF-8', LANGUAGE: 'en_US:en', TZ: 'UTC' },
})
let stderr = ''
child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
const timeout = setTimeout(finished, 60_000)
await done
clearTimeout(timeout)
if (child.pid !== undefined) {
  try {
    process.kill(-child.pid, 'SIGTERM')
  } catch {}
}
await new Promise((r) => setTimeout(r, 1000))
await serverA.close()
await serverB.close()
rmSync(dir, { recursive: true, force: true })

const site = (authority: string): string =>
  authority.startsWith(A) ? 'www.hotconn-a.test' : authority.startsWith(S) ? 'static.hotconn-a.test' : authority
const out = {
  browser: version,
  alpn,
  capturedAt: new Date().toISOString().slice(0, 10),
  origins: { page: origin(A), sameSite: origin(S), crossSite: origin(B) },
  requests: records.map((r) => ({ ...r, site: site(r.authority) })),
}
writeFileSync(outArg, JSON.stringify(out, null, 2) + '\n')
process.stdout.write(
  `${version} ${alpn}: ${records.length} requests${records.some((r) => r.path === '/r/empty/done') ? '' : ' (did not finish: ' + stderr.slice(-500) + ')'}\n`,
)
process.exit(0)
