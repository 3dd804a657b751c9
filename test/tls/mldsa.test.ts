/**
 * ML-DSA CertificateVerify (0x0904–0x0906, offered by Chromium 156): a Node 24 (OpenSSL 3.5)
 * server with an ML-DSA-65 leaf key. A client on a Node that can verify ML-DSA (>= 24.7) completes;
 * on an older Node the handshake ends in a clear ERR_TLS_UNSUPPORTED; a profile that does not offer
 * ML-DSA (firefox) leaves the server without a usable signature scheme.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mldsaSupported } from '../../src/tls/cert/signature.js'
import { connect } from '../../src/tls/index.js'
import { PROJECT_ROOT, node24, node24Missing } from '../helpers/node24.js'

const NODE24 = node24()
if (!NODE24) console.warn(`skipping ML-DSA interop: ${node24Missing()}`)

describe.skipIf(!NODE24)('ML-DSA-65 server certificate (Node 24 / OpenSSL 3.5)', () => {
  let server: ChildProcess
  let port = 0
  let caPem = ''

  beforeAll(async () => {
    server = spawn(NODE24!, ['--import', 'tsx', resolve(PROJECT_ROOT, 'test/fixtures/mldsa-server.ts')], {
      cwd: PROJECT_ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    const line = await new Promise<string>((res, rej) => {
      createInterface({ input: server.stdout! }).once('line', res)
      server.once('exit', () => rej(new Error('ML-DSA server exited')))
    })
    ;({ port, caPem } = JSON.parse(line) as { port: number; caPem: string })
  }, 60_000)

  afterAll(() => {
    server?.stdin?.end()
    server?.kill()
  })

  it('chrome on Node 24: verifies the mldsa65 CertificateVerify and completes', () => {
    const out = execFileSync(
      NODE24!,
      [
        '--import',
        'tsx',
        resolve(PROJECT_ROOT, 'test/fixtures/connect-client.ts'),
        JSON.stringify({ host: 'tiles.test', ip: '127.0.0.1', port, profile: 'chrome', ca: caPem }),
      ],
      { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 30_000 },
    )
    expect(JSON.parse(out)).toMatchObject({
      ok: true,
      status: 200,
      info: { signatureScheme: 'mldsa65', verified: true },
    })
  })

  it.skipIf(mldsaSupported())(
    `chrome on this Node (${process.version}): ERR_TLS_UNSUPPORTED naming the Node version it needs`,
    async () => {
      const err = await connect({
        host: 'tiles.test',
        ip: '127.0.0.1',
        port,
        profile: 'chrome',
        ca: caPem,
        alpn: ['http/1.1'],
        timeout: 5_000,
      }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toMatchObject({ code: 'ERR_TLS_UNSUPPORTED' })
      expect((err as Error).message).toMatch(/24\.7/)
    },
  )

  it('firefox (no ML-DSA offered): the server finds no common signature scheme', async () => {
    await expect(
      connect({
        host: 'tiles.test',
        ip: '127.0.0.1',
        port,
        profile: 'firefox',
        ca: caPem,
        alpn: ['http/1.1'],
        timeout: 5_000,
      }),
    ).rejects.toMatchObject({ code: 'ERR_TLS_ALERT' })
  })
})
