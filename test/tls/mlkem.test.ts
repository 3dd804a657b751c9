/**
 * X25519MLKEM768 (0x11ec) against a server that supports it: Node 24's https server (OpenSSL 3.5),
 * installed project-locally. The client runs under this Node (ML-KEM from @noble/post-quantum on
 * Node 20) and under Node 24 (native node:crypto ML-KEM); both must complete and agree.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { connect } from '../../src/tls/index.js'
import { generateKeyShares, mlKemBackend } from '../../src/tls/crypto/key-exchange.js'
import { httpGet, testPki } from '../helpers/servers.js'
import { PROJECT_ROOT, node24, node24Missing } from '../helpers/node24.js'

const NODE24 = node24()
if (!NODE24) console.warn(`skipping X25519MLKEM768 interop: ${node24Missing()}`)

describe('ML-KEM-768 backend (this Node)', () => {
  it('decapsulates what @noble/post-quantum encapsulates, inside the hybrid share', () => {
    const [share] = generateKeyShares([0x11ec])
    const ek = share!.publicKey.subarray(0, 1184)
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(ek)
    // Server share = ciphertext ‖ x25519 key; the x25519 half must be a valid key, so use a real one.
    const [peer] = generateKeyShares([0x001d])
    const secret = share!.deriveSecret(Buffer.concat([cipherText, peer!.publicKey]))
    expect(secret.length).toBe(64)
    expect(secret.subarray(0, 32).equals(Buffer.from(sharedSecret))).toBe(true)
    expect(['node:crypto', '@noble/post-quantum']).toContain(mlKemBackend)
  })

  it('rejects a server share of the wrong length with illegal_parameter', () => {
    const [share] = generateKeyShares([0x11ec])
    expect(() => share!.deriveSecret(Buffer.alloc(100))).toThrow(
      expect.objectContaining({ code: 'ERR_TLS_PROTOCOL', alert: 47 }),
    )
  })
})

describe.skipIf(!NODE24)('X25519MLKEM768 against Node 24 https (OpenSSL 3.5)', () => {
  const pki = testPki()
  let server: ChildProcess
  let port = 0

  beforeAll(async () => {
    server = spawn(
      NODE24!,
      [
        resolve(PROJECT_ROOT, 'test/fixtures/https-server.mjs'),
        JSON.stringify({ key: pki.leaf.keyPem, cert: pki.leaf.chainPem, ecdhCurve: 'X25519MLKEM768' }),
      ],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    )
    const line = await new Promise<string>((res, rej) => {
      createInterface({ input: server.stdout! }).once('line', res)
      server.once('exit', () => rej(new Error('server exited')))
    })
    port = Number(line)
  }, 60_000)

  afterAll(() => {
    server?.stdin?.end()
    server?.kill()
  })

  for (const profile of ['chrome', 'firefox'] as const) {
    it(`${profile}: completes with X25519MLKEM768 from this Node (${mlKemBackend})`, async () => {
      const socket = await connect({
        host: 'tiles.test',
        ip: '127.0.0.1',
        port,
        profile,
        ca: pki.ca.certPem,
        alpn: ['http/1.1'],
      })
      expect(socket.group).toBe('X25519MLKEM768')
      expect(socket.info?.helloRetry).toBe(false)
      const res = await httpGet(socket, 'tiles.test')
      expect(res.status).toBe(200)
    })
  }

  it('completes with native ML-KEM when the client itself runs on Node 24', () => {
    const out = execFileSync(
      NODE24!,
      [
        '--import',
        'tsx',
        resolve(PROJECT_ROOT, 'test/fixtures/connect-client.ts'),
        JSON.stringify({ host: 'tiles.test', ip: '127.0.0.1', port, profile: 'chrome', ca: pki.ca.certPem }),
      ],
      { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 30_000 },
    )
    const result = JSON.parse(out)
    expect(result).toMatchObject({ ok: true, status: 200, backend: 'node:crypto', info: { group: 'X25519MLKEM768' } })
  })
})
