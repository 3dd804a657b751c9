/**
 * Trust stores as node:tls users expect them: NODE_EXTRA_CA_CERTS, `ca` (replaces the roots) and `extraCa`
 * (adds to them), the operating system's store (`useSystemCa`, Node >= 22.15 / 23.8), on this Node and on
 * the project-local Node 24; and certificate errors in the CLI's terms.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { rootCertificates } from 'node:tls'
import { afterAll, describe, expect, it } from 'vitest'
import { errorMessage } from '../../../src/cli/pool-flags.js'
import { createCA, createIntermediate, issueLeaf } from '../../../src/testing/pki.js'
import { TlsCertificateError } from '../../../src/tls/cert/errors.js'
import { systemCaSupported, trustStoreFor } from '../../../src/tls/cert/roots.js'
import { verifyServerCertificateChain } from '../../../src/tls/cert/verify.js'
import { connect } from '../../../src/tls/connect.js'
import { node24, node24Missing, PROJECT_ROOT } from '../../helpers/node24.js'
import { startHttps, testPki } from '../../helpers/servers.js'
import { expectReason } from './helpers.js'

const host = 'www.example.test'
const root = createCA({ name: 'Extra Root' })
const leaf = issueLeaf(createIntermediate(root), { hosts: [host] })
const dir = mkdtempSync(join(tmpdir(), 'hotconn-roots-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('ca replaces the default roots, extraCa adds to them', () => {
  const bundled = trustStoreFor({}).store.size

  it('the default set holds the bundled Mozilla roots', () => {
    expect(bundled).toBeGreaterThanOrEqual(rootCertificates.length)
    expectReason(() => verifyServerCertificateChain(leaf.chainDer, { host }), 'untrusted', /default roots/)
  })

  it('ca: only those anchors', () => {
    expect(trustStoreFor({ ca: root.certPem }).store.size).toBe(1)
    expect(verifyServerCertificateChain(leaf.chainDer, { host, ca: root.certPem }).path).toHaveLength(3)
  })

  it('extraCa: the default roots and those anchors', () => {
    const { store, source } = trustStoreFor({ extraCa: root.certPem })
    expect(store.size).toBe(bundled + 1)
    expect(source).toMatch(/default roots.*extraCa/)
    expect(verifyServerCertificateChain(leaf.chainDer, { host, extraCa: root.certPem }).path).toHaveLength(3)
  })

  it('ca and extraCa together: both sets', () => {
    const other = createCA({ name: 'Other Root' })
    expect(trustStoreFor({ ca: other.certPem, extraCa: [root.certDer] }).store.size).toBe(2)
    expect(
      verifyServerCertificateChain(leaf.chainDer, { host, ca: other.certPem, extraCa: [root.certDer] }).path,
    ).toHaveLength(3)
  })

  it('an undecodable extraCa is an InvalidArgumentError naming the option', () => {
    expect(() => trustStoreFor({ extraCa: 'not a certificate' })).toThrow(/extraCa: no certificate found/)
  })

  it('connect() takes extraCa: a handshake against a Node TLS server whose CA is added to the roots', async () => {
    const pki = testPki()
    const srv = await startHttps({}, pki)
    try {
      const socket = await connect({
        host: 'tiles.test',
        ip: '127.0.0.1',
        port: srv.port,
        extraCa: pki.ca.certPem,
        alpn: ['http/1.1'],
      })
      expect(socket.info).toMatchObject({ verified: true })
      socket.destroy()
      await expect(
        connect({ host: 'tiles.test', ip: '127.0.0.1', port: srv.port, alpn: ['http/1.1'] }),
      ).rejects.toMatchObject({ code: 'ERR_TLS_BAD_CERTIFICATE', reason: 'untrusted' })
    } finally {
      await srv.close()
    }
  })
})

describe('the operating system store (useSystemCa)', () => {
  it.skipIf(systemCaSupported())(`is a clear ERR_TLS_UNSUPPORTED on this Node (${process.version})`, () => {
    let err: unknown
    try {
      trustStoreFor({ useSystemCa: true })
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: 'ERR_TLS_UNSUPPORTED' })
    expect((err as Error).message).toContain('22.15')
    expect((err as Error).message).toContain(process.version)
  })

  it.skipIf(!systemCaSupported())('adds tls.getCACertificates("system") on this Node', () => {
    expect(trustStoreFor({ useSystemCa: true }).store.size).toBeGreaterThanOrEqual(trustStoreFor({}).store.size)
  })
})

/** Runs the probe on `node` with `env`; the chain of `leaf` is written to files first. */
function probe(node: string, env: Record<string, string | undefined>, args: string[] = []) {
  const files = leaf.chainDer.map((der, i) => {
    const f = join(dir, `chain-${i}.der`)
    writeFileSync(f, der)
    return f
  })
  const tsx = resolve(PROJECT_ROOT, 'node_modules/tsx/dist/loader.mjs')
  const script = resolve(PROJECT_ROOT, 'test/tls/cert/fixtures/trust-probe.ts')
  const out = execFileSync(node, [...args, '--import', tsx, script, files.join(','), host], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: undefined, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  })
  return JSON.parse(out.trim().split('\n').at(-1)!) as {
    node: string
    ok: boolean
    reason?: string
    defaultSize: number
    systemSize?: number
    systemError?: string
  }
}

const nodes: [string, string | undefined][] = [
  [`this Node (${process.version})`, process.execPath],
  ['the project-local Node 24', node24()],
]

for (const [label, node] of nodes) {
  describe(`NODE_EXTRA_CA_CERTS and useSystemCa on ${label}`, () => {
    it.skipIf(!node)(`honours NODE_EXTRA_CA_CERTS like node:tls ${node ? '' : `(skipped: ${node24Missing()})`}`, () => {
      const pem = join(dir, 'extra.pem')
      writeFileSync(pem, root.certPem)
      const without = probe(node!, {})
      expect(without).toMatchObject({ ok: false, reason: 'untrusted' })
      const withExtra = probe(node!, { NODE_EXTRA_CA_CERTS: pem })
      expect(withExtra).toMatchObject({ ok: true })
      expect(withExtra.defaultSize).toBe(without.defaultSize + 1)
      // An unreadable file: node:tls warns and keeps the bundled roots.
      expect(probe(node!, { NODE_EXTRA_CA_CERTS: join(dir, 'missing.pem') })).toMatchObject({
        ok: false,
        reason: 'untrusted',
        defaultSize: without.defaultSize,
      })
    })

    it.skipIf(!node)('reads the OS store where the Node offers it, else says which Node it needs', () => {
      const r = probe(node!, {})
      const [major, minor] = r.node.slice(1).split('.').map(Number) as [number, number]
      const supported = major > 23 || (major === 23 && minor >= 8) || (major === 22 && minor >= 15)
      if (supported) {
        expect(r.systemError).toBeUndefined()
        expect(r.systemSize).toBeGreaterThanOrEqual(r.defaultSize)
      } else {
        expect(r.systemError).toMatch(/^ERR_TLS_UNSUPPORTED: .*22\.15/)
      }
    })
  })
}

describe('certificate errors in the CLI', () => {
  it('name --ca and --insecure instead of the library options, through fetch-style causes', () => {
    const err = expectReason(
      () => verifyServerCertificateChain(leaf.chainDer, { host, ca: createCA().certPem }),
      'untrusted',
    )
    expect(err.message).toContain('insecure: true')
    const wrapped = new TypeError('fetch failed', { cause: err })
    const cli = errorMessage(wrapped)
    expect(cli).toContain('--ca <pem file>')
    expect(cli).toContain('--insecure')
    expect(cli).not.toContain('insecure: true')
    expect(err).toBeInstanceOf(TlsCertificateError)
  })
})
