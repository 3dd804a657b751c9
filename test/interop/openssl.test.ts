/**
 * hotconn's TLS 1.3 client against Debian's `openssl s_server -www`, forced to one cipher suite
 * and one group at a time, for both profiles; plus a server-initiated KeyUpdate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from '../../src/tls/index.js'
import { httpGet, testPki } from '../helpers/servers.js'
import { freePort, startProcess, tempDir, waitForPort, which, type Proc } from './helpers.js'

const OPENSSL = which('openssl')
if (!OPENSSL)
  console.warn('skipping openssl s_server interop: the openssl binary is not installed (apt-get install openssl)')

const SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']
const GROUPS = [
  ['X25519', 'x25519'],
  ['P-256', 'secp256r1'],
  ['P-384', 'secp384r1'],
] as const

describe.skipIf(!OPENSSL)('openssl s_server -www', () => {
  const pki = testPki('ecdsa-p256', ['tiles.test'])
  const tmp = tempDir('hotconn-openssl-')
  const cert = tmp.write('cert.pem', pki.leaf.chainPem)
  const key = tmp.write('key.pem', pki.leaf.keyPem)
  afterAll(() => tmp.remove())

  async function sServer(extra: string[], stdin = false): Promise<{ proc: Proc; port: number }> {
    const port = await freePort()
    const proc = startProcess(
      OPENSSL!,
      [
        's_server',
        '-accept',
        `127.0.0.1:${port}`,
        '-cert',
        cert,
        '-key',
        key,
        '-tls1_3',
        '-www',
        '-naccept',
        '100',
        ...extra,
      ],
      { stdin },
    )
    await waitForPort(port)
    return { proc, port }
  }

  for (const profile of ['chrome', 'firefox'] as const) {
    for (const suite of SUITES) {
      for (const [group, groupName] of GROUPS) {
        describe(`${profile} ${suite} ${group}`, () => {
          let srv: { proc: Proc; port: number }
          beforeAll(async () => {
            srv = await sServer(['-ciphersuites', suite, '-groups', group])
          })
          afterAll(() => srv.proc.stop())
          it('handshakes and GETs the status page', async () => {
            const socket = await connect({
              host: 'tiles.test',
              ip: '127.0.0.1',
              port: srv.port,
              profile,
              ca: pki.ca.certPem,
              alpn: ['http/1.1'],
              timeout: 5_000,
            })
            expect(socket.info).toMatchObject({ version: 'TLSv1.3', cipherSuite: suite, group: groupName })
            const res = await httpGet(socket, 'tiles.test')
            expect(res.status).toBe(200)
            expect(res.body.toString()).toContain(suite)
          })
        })
      }
    }
  }

  it('follows a server-initiated KeyUpdate(update_requested) and answers with its own', async () => {
    const port = await freePort()
    const proc = startProcess(
      OPENSSL!,
      [
        's_server',
        '-accept',
        `127.0.0.1:${port}`,
        '-cert',
        cert,
        '-key',
        key,
        '-tls1_3',
        '-naccept',
        '2',
        '-ign_eof',
        '-msg',
      ],
      { stdin: true },
    )
    try {
      await waitForPort(port)
      const socket = await connect({
        host: 'tiles.test',
        ip: '127.0.0.1',
        port,
        profile: 'chrome',
        ca: pki.ca.certPem,
        alpn: ['http/1.1'],
      })
      let received = ''
      socket.on('data', (c: Buffer) => (received += c.toString()))
      const until = async (cond: () => boolean, what: string) => {
        const deadline = Date.now() + 5_000
        while (!cond()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; server said: ${proc.output()}`)
          await new Promise((r) => setTimeout(r, 20))
        }
      }
      socket.write('ping\n')
      await until(() => proc.output().includes('ping'), 'ping at the server')
      proc.child.stdin!.write('K\n')
      await until(() => (proc.output().match(/KeyUpdate/g) ?? []).length >= 1, 'the server to send KeyUpdate')
      proc.child.stdin!.write('hello-after-update\n')
      await until(() => received.includes('hello-after-update'), "data under the server's new keys")
      // Our answer: KeyUpdate(update_not_requested) seen by the server, then data under our new keys.
      await until(() => (proc.output().match(/KeyUpdate/g) ?? []).length >= 2, 'our KeyUpdate at the server')
      socket.write('pong\n')
      await until(() => proc.output().includes('pong'), 'data under our new keys at the server')
      socket.destroy()
    } finally {
      await proc.stop()
    }
  })
})
