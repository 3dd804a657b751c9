/**
 * The interop matrix: for each shipped profile and each (version, cipher suite, group) it offers,
 * `openssl s_server` is forced to that single choice and hotconn does a handshake plus a GET; then
 * certificate kinds (RSA, ECDSA P-256/P-384, RSA-PSS-signed, a chain with an intermediate), nginx
 * with TLS 1.2 only and TLS 1.3 only, and resumption against both. X25519MLKEM768 needs OpenSSL 3.5,
 * so those rows use Node 24's https server (project-local node@24). Writes reports/interop.md when
 * run with `npm run test:interop -- --report`, else a temporary file (its path is printed).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'
import { chrome, firefox } from '../../src/fingerprint/profiles/index.js'
import type { ClientHelloSpec } from '../../src/fingerprint/spec.js'
import {
  SessionTicketStore,
  TLS12_CIPHER_SUITES,
  TLS13_CIPHER_SUITES,
  connect,
  type TlsConnectionInfo,
} from '../../src/tls/index.js'
import { createCA, createIntermediate, issueLeaf, type TestLeaf } from '../../src/testing/pki.js'
import { httpGet } from '../helpers/servers.js'
import { PROJECT_ROOT, node24, node24Missing } from '../helpers/node24.js'
import { freePort, startProcess, tempDir, waitForPort, which, type Proc } from './helpers.js'
import { interopReportPath } from './report-target.js'

const OPENSSL = which('openssl')
const NGINX = which('nginx')
if (!OPENSSL) console.warn('skipping the s_server interop matrix: openssl is not installed (apt-get install openssl)')
if (!NGINX)
  console.warn('skipping the nginx rows of the interop matrix: nginx is not installed (apt-get install nginx)')

/** OpenSSL names of the TLS 1.2 suites the profiles offer. */
const OPENSSL_CIPHER: Record<number, string> = {
  0xc02b: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  0xc02f: 'ECDHE-RSA-AES128-GCM-SHA256',
  0xc02c: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  0xc030: 'ECDHE-RSA-AES256-GCM-SHA384',
  0xcca9: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  0xcca8: 'ECDHE-RSA-CHACHA20-POLY1305',
  0xc013: 'ECDHE-RSA-AES128-SHA',
  0xc014: 'ECDHE-RSA-AES256-SHA',
  0xc00a: 'ECDHE-ECDSA-AES256-SHA',
  0x009c: 'AES128-GCM-SHA256',
  0x009d: 'AES256-GCM-SHA384',
  0x002f: 'AES128-SHA',
  0x0035: 'AES256-SHA',
}

/** OpenSSL group names and hotconn's names for the groups the profiles offer. */
const GROUPS: Record<number, { openssl: string; name: string; tls12: boolean }> = {
  0x001d: { openssl: 'X25519', name: 'x25519', tls12: true },
  0x0017: { openssl: 'P-256', name: 'secp256r1', tls12: true },
  0x0018: { openssl: 'P-384', name: 'secp384r1', tls12: true },
  0x0019: { openssl: 'P-521', name: 'secp521r1', tls12: true },
  0x0100: { openssl: 'ffdhe2048', name: 'ffdhe2048', tls12: false },
  0x0101: { openssl: 'ffdhe3072', name: 'ffdhe3072', tls12: false },
  0x11ec: { openssl: 'X25519MLKEM768', name: 'X25519MLKEM768', tls12: false },
}

interface Row {
  profile: string
  server: string
  version: string
  suite: string
  group: string
  cert: string
  result: 'pass' | 'FAIL'
  negotiated: string
}
const rows: Row[] = []

function offered(spec: ClientHelloSpec): { suites: number[]; groups: number[] } {
  const suites = spec.cipherSuites.filter((c): c is number => typeof c === 'number')
  const groups = spec.extensions
    .flatMap((e) => (e.kind === 'supported_groups' ? e.groups : []))
    .filter((g): g is number => typeof g === 'number')
  return { suites, groups }
}

// Certificates: one CA; leaves of each kind for tiles.test.
const ca = createCA({ name: 'hotconn interop CA', keyType: 'ecdsa-p256' })
const pssCa = createCA({ name: 'hotconn interop RSA-PSS CA', keyType: 'rsa-pss' })
const intermediate = createIntermediate(ca, { name: 'hotconn interop intermediate' })
const CERTS: Record<string, { leaf: TestLeaf; caPem: string }> = {
  'ecdsa-p256': { leaf: issueLeaf(ca, { hosts: ['tiles.test'], keyType: 'ecdsa-p256' }), caPem: ca.certPem },
  'ecdsa-p384': { leaf: issueLeaf(ca, { hosts: ['tiles.test'], keyType: 'ecdsa-p384' }), caPem: ca.certPem },
  rsa: { leaf: issueLeaf(ca, { hosts: ['tiles.test'], keyType: 'rsa' }), caPem: ca.certPem },
  'rsa (RSA-PSS-signed chain)': {
    leaf: issueLeaf(pssCa, { hosts: ['tiles.test'], keyType: 'rsa' }),
    caPem: pssCa.certPem,
  },
  'ecdsa-p256 via intermediate': {
    leaf: issueLeaf(intermediate, { hosts: ['tiles.test'], keyType: 'ecdsa-p256' }),
    caPem: ca.certPem,
  },
}

const tmp = tempDir('hotconn-matrix-')
const certFiles = new Map<string, { cert: string; key: string; chain: string; full: string }>()
/** PEM files for s_server (`-cert` takes the leaf only; intermediates go in `-cert_chain`) and nginx (leaf + chain). */
function files(kind: string): { cert: string; key: string; chain: string; full: string } {
  let f = certFiles.get(kind)
  if (!f) {
    const safe = kind.replace(/[^a-z0-9]+/gi, '_')
    const leaf = CERTS[kind]!.leaf
    const chainPem = leaf.chainPem.slice(leaf.chainPem.indexOf(leaf.certPem.trim()) + leaf.certPem.trim().length).trim()
    f = {
      cert: tmp.write(`${safe}.crt`, leaf.certPem),
      key: tmp.write(`${safe}.key`, leaf.keyPem),
      chain: tmp.write(`${safe}.chain.crt`, chainPem ? `${chainPem}\n` : ''),
      full: tmp.write(`${safe}.full.crt`, leaf.chainPem),
    }
    certFiles.set(kind, f)
  }
  return f
}

function describeInfo(info: TlsConnectionInfo | undefined): string {
  if (!info) return '-'
  return `${info.version} ${info.cipherSuite} ${info.group}${info.signatureScheme !== 'none' && info.signatureScheme ? ` ${info.signatureScheme}` : ''}${info.helloRetry ? ' HRR' : ''}${info.resumed ? ' resumed' : ''}`
}

async function handshakeAndGet(
  row: Omit<Row, 'result' | 'negotiated'>,
  port: number,
  profile: ClientHelloSpec,
  caPem: string,
  expect13?: { suite: string; group: string },
  store?: SessionTicketStore,
): Promise<TlsConnectionInfo | undefined> {
  let info: TlsConnectionInfo | undefined
  try {
    const socket = await connect({
      host: 'tiles.test',
      ip: '127.0.0.1',
      port,
      profile,
      ca: caPem,
      alpn: ['http/1.1'],
      timeout: 5_000,
      ...(store ? { sessionStore: store } : {}),
    })
    info = socket.info
    const res = await httpGet(socket, 'tiles.test')
    const ok =
      res.status === 200 && (!expect13 || (info?.cipherSuite === expect13.suite && info?.group === expect13.group))
    rows.push({ ...row, result: ok ? 'pass' : 'FAIL', negotiated: describeInfo(info) })
  } catch (err) {
    rows.push({
      ...row,
      result: 'FAIL',
      negotiated: `${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message.slice(0, 80)}`,
    })
  }
  return info
}

async function sServer(
  args: string[],
  cert: { cert: string; key: string; chain: string },
): Promise<{ port: number; proc: Proc }> {
  const port = await freePort()
  const chain = readFileSync(cert.chain, 'utf8').trim() ? ['-cert_chain', cert.chain] : []
  const proc = startProcess(OPENSSL!, [
    's_server',
    '-accept',
    `127.0.0.1:${port}`,
    '-cert',
    cert.cert,
    '-key',
    cert.key,
    ...chain,
    '-www',
    '-naccept',
    '20',
    ...args,
  ])
  await waitForPort(port)
  return { port, proc }
}

afterAll(() => {
  tmp.remove()
  if (rows.length === 0) return
  const pass = rows.filter((r) => r.result === 'pass').length
  const lines = [
    '# Interop matrix',
    '',
    `Generated by \`npm run test:interop\` (test/interop/matrix.test.ts) on ${new Date().toISOString()}, Node ${process.version}.`,
    `Peers: Debian's \`openssl s_server\` (${OPENSSL ? 'OpenSSL 3.0' : 'absent'}), nginx${NGINX ? '' : ' (absent)'}, and Node 24's https server (OpenSSL 3.5) for X25519MLKEM768.`,
    `Each row forces the server to one choice and does a handshake plus a GET. **${pass} of ${rows.length} pass.**`,
    '',
    '| profile | server | version | cipher suite | group | certificate | result | negotiated |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.profile} | ${r.server} | ${r.version} | ${r.suite} | ${r.group} | ${r.cert} | ${r.result} | ${r.negotiated} |`,
    ),
    '',
  ]
  const target = interopReportPath(PROJECT_ROOT)
  writeFileSync(target, lines.join('\n'))
  console.log(`interop matrix: ${pass} of ${rows.length} pass; table in ${target}`)
})

describe.skipIf(!OPENSSL)('interop matrix: openssl s_server', () => {
  for (const spec of [chrome, firefox]) {
    const { suites, groups } = offered(spec)

    it(`${spec.name}: TLS 1.3, every suite x group`, async () => {
      for (const suiteId of suites.filter((s) => TLS13_CIPHER_SUITES.has(s))) {
        const suite = TLS13_CIPHER_SUITES.get(suiteId)!.name
        for (const groupId of groups) {
          const g = GROUPS[groupId]!
          if (groupId === 0x11ec) continue // below, against OpenSSL 3.5
          const srv = await sServer(['-tls1_3', '-ciphersuites', suite, '-groups', g.openssl], files('ecdsa-p256'))
          try {
            await handshakeAndGet(
              { profile: spec.name, server: 's_server', version: 'TLS 1.3', suite, group: g.name, cert: 'ecdsa-p256' },
              srv.port,
              spec,
              ca.certPem,
              { suite, group: g.name },
            )
          } finally {
            await srv.proc.stop()
          }
        }
      }
      expect(rows.filter((r) => r.profile === spec.name && r.version === 'TLS 1.3' && r.result !== 'pass')).toEqual([])
    }, 120_000)

    it(`${spec.name}: TLS 1.2, every suite x group`, async () => {
      for (const suiteId of suites.filter((s) => TLS12_CIPHER_SUITES.has(s))) {
        const suite12 = TLS12_CIPHER_SUITES.get(suiteId)!
        const cert = suite12.authentication === 'ecdsa' ? 'ecdsa-p256' : 'rsa'
        const curves = suite12.keyExchange === 'ecdhe' ? groups.filter((g) => GROUPS[g]?.tls12) : [0]
        for (const groupId of curves) {
          const g = GROUPS[groupId]
          const args = ['-tls1_2', '-cipher', OPENSSL_CIPHER[suiteId]!, ...(g ? ['-groups', g.openssl] : [])]
          const srv = await sServer(args, files(cert))
          try {
            await handshakeAndGet(
              {
                profile: spec.name,
                server: 's_server',
                version: 'TLS 1.2',
                suite: suite12.name,
                group: g?.name ?? '(RSA key transport)',
                cert,
              },
              srv.port,
              spec,
              ca.certPem,
              { suite: suite12.name, group: g?.name ?? 'none' },
            )
          } finally {
            await srv.proc.stop()
          }
        }
      }
      expect(
        rows.filter(
          (r) => r.profile === spec.name && r.version === 'TLS 1.2' && r.server === 's_server' && r.result !== 'pass',
        ),
      ).toEqual([])
    }, 120_000)

    it(`${spec.name}: certificate kinds (TLS 1.3 and 1.2)`, async () => {
      for (const kind of Object.keys(CERTS)) {
        for (const version of ['TLS 1.3', 'TLS 1.2'] as const) {
          const ecdsa = kind.startsWith('ecdsa')
          const args =
            version === 'TLS 1.3'
              ? ['-tls1_3']
              : ['-tls1_2', '-cipher', ecdsa ? 'ECDHE-ECDSA-AES128-GCM-SHA256' : 'ECDHE-RSA-AES128-GCM-SHA256']
          const srv = await sServer(args, files(kind))
          try {
            await handshakeAndGet(
              {
                profile: spec.name,
                server: 's_server',
                version,
                suite: '(server default)',
                group: '(server default)',
                cert: kind,
              },
              srv.port,
              spec,
              CERTS[kind]!.caPem,
            )
          } finally {
            await srv.proc.stop()
          }
        }
      }
      expect(
        rows.filter((r) => r.profile === spec.name && r.suite === '(server default)' && r.result !== 'pass'),
      ).toEqual([])
    }, 120_000)

    for (const [flag, version, how] of [
      ['-tls1_3', 'TLS 1.3', 'resumption (PSK)'],
      ['-tls1_2', 'TLS 1.2', 'resumption (RFC 5077 ticket)'],
    ] as const) {
      it(`${spec.name}: ${version} resumption against s_server`, async () => {
        const srv = await sServer([flag], files('ecdsa-p256'))
        try {
          const store = new SessionTicketStore()
          await handshakeAndGet(
            {
              profile: spec.name,
              server: 's_server',
              version,
              suite: '(server default)',
              group: '(server default)',
              cert: 'full handshake, ticket stored',
            },
            srv.port,
            spec,
            ca.certPem,
            undefined,
            store,
          )
          const info = await handshakeAndGet(
            {
              profile: spec.name,
              server: 's_server',
              version,
              suite: '(server default)',
              group: '(server default)',
              cert: how,
            },
            srv.port,
            spec,
            ca.certPem,
            undefined,
            store,
          )
          expect(info?.resumed).toBe(true)
        } finally {
          await srv.proc.stop()
        }
      })
    }
  }
})

const NODE24 = node24()
describe.skipIf(!NODE24)('interop matrix: X25519MLKEM768 against Node 24 https (OpenSSL 3.5)', () => {
  if (!NODE24) console.warn(`skipping X25519MLKEM768 rows: ${node24Missing()}`)
  for (const spec of [chrome, firefox]) {
    it(`${spec.name}: every TLS 1.3 suite with X25519MLKEM768`, async () => {
      for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
        const leaf = CERTS['ecdsa-p256']!.leaf
        const child: ChildProcess = spawn(
          NODE24!,
          [
            resolve(PROJECT_ROOT, 'test/fixtures/https-server.mjs'),
            JSON.stringify({ key: leaf.keyPem, cert: leaf.chainPem, ecdhCurve: 'X25519MLKEM768', ciphers: suite }),
          ],
          {
            stdio: ['pipe', 'pipe', 'inherit'],
          },
        )
        try {
          const line = await new Promise<string>((res, rej) => {
            createInterface({ input: child.stdout! }).once('line', res)
            child.once('exit', () => rej(new Error('server exited')))
          })
          await handshakeAndGet(
            {
              profile: spec.name,
              server: 'node 24 https',
              version: 'TLS 1.3',
              suite,
              group: 'X25519MLKEM768',
              cert: 'ecdsa-p256',
            },
            Number(line),
            spec,
            ca.certPem,
            { suite, group: 'X25519MLKEM768' },
          )
        } finally {
          child.stdin?.end()
          child.kill()
        }
      }
      expect(
        rows.filter((r) => r.profile === spec.name && r.group === 'X25519MLKEM768' && r.result !== 'pass'),
      ).toEqual([])
    }, 60_000)
  }
})

describe.skipIf(!NGINX)('interop matrix: nginx', () => {
  async function startNginx(protocols: string, dir: ReturnType<typeof tempDir>): Promise<{ port: number; proc: Proc }> {
    const port = await freePort()
    const f = files('ecdsa-p256')
    const conf = dir.write(
      'nginx.conf',
      `daemon off;
master_process off;
worker_processes 1;
pid ${dir.dir}/nginx.pid;
error_log ${dir.dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir.dir}/body;
  proxy_temp_path ${dir.dir}/proxy;
  fastcgi_temp_path ${dir.dir}/fastcgi;
  uwsgi_temp_path ${dir.dir}/uwsgi;
  scgi_temp_path ${dir.dir}/scgi;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${f.full};
    ssl_certificate_key ${f.key};
    ssl_protocols ${protocols};
    ssl_session_cache shared:hotconn:1m;
    location / { return 200 "ok $ssl_protocol $ssl_cipher reused=$ssl_session_reused\\n"; }
  }
}
`,
    )
    const proc = startProcess(NGINX!, ['-c', conf, '-p', dir.dir, '-e', `${dir.dir}/error.log`])
    await waitForPort(port)
    return { port, proc }
  }

  for (const spec of [chrome, firefox]) {
    for (const [protocols, version] of [
      ['TLSv1.2', 'TLS 1.2'],
      ['TLSv1.3', 'TLS 1.3'],
    ] as const) {
      it(`${spec.name}: nginx ${protocols} only, then resumption`, async () => {
        const dir = tempDir('hotconn-nginx-')
        const srv = await startNginx(protocols, dir)
        try {
          const store = new SessionTicketStore()
          const first = await handshakeAndGet(
            {
              profile: spec.name,
              server: 'nginx',
              version,
              suite: '(server default)',
              group: '(server default)',
              cert: 'ecdsa-p256',
            },
            srv.port,
            spec,
            ca.certPem,
            undefined,
            store,
          )
          expect(first?.version).toBe(protocols)
          const second = await handshakeAndGet(
            {
              profile: spec.name,
              server: 'nginx',
              version,
              suite: '(server default)',
              group: '(server default)',
              cert: 'resumption',
            },
            srv.port,
            spec,
            ca.certPem,
            undefined,
            store,
          )
          expect(second?.resumed).toBe(true)
          expect(
            rows.filter(
              (r) => r.server === 'nginx' && r.profile === spec.name && r.version === version && r.result !== 'pass',
            ),
          ).toEqual([])
        } finally {
          await srv.proc.stop()
          dir.remove()
        }
      })
    }
  }
})
