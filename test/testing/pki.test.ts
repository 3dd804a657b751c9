import * as tls from 'node:tls'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createCA, createIntermediate, issueLeaf, type TestKeyType } from '../../src/testing/pki.js'
import { verifyServerCertificateChain } from '../../src/tls/cert/verify.js'

/** Handshakes with node:tls (OpenSSL) on loopback; resolves to the DER chain the server sent, or rejects with OpenSSL's verdict. */
async function handshake(serverOptions: tls.TlsOptions, clientOptions: tls.ConnectionOptions): Promise<Buffer[]> {
  const server = tls.createServer(serverOptions, (s) => s.end())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  try {
    return await new Promise<Buffer[]>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ...clientOptions, timeout: 5000 })
      socket.once('secureConnect', () => {
        const chain: Buffer[] = []
        let c: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true)
        for (let i = 0; c && c.raw && i < 10; i++) {
          chain.push(c.raw)
          c = c.issuerCertificate === c ? undefined : c.issuerCertificate
        }
        socket.destroy()
        resolve(chain)
      })
      socket.once('timeout', () => socket.destroy(new Error('handshake timeout')))
      socket.once('error', reject)
    })
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
}

describe('test PKI certificates work with OpenSSL (node:tls) on loopback', () => {
  for (const keyType of ['rsa', 'ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-pss'] as TestKeyType[]) {
    it(`${keyType}: root -> intermediate -> leaf verifies in node:tls and in hotconn`, async () => {
      const root = createCA({ keyType: keyType === 'rsa-pss' ? 'rsa' : keyType })
      const int = createIntermediate(root, { keyType: 'ecdsa-p256' })
      const leaf = issueLeaf(int, { hosts: ['pki.test', '127.0.0.1'], keyType })
      const chain = await handshake(
        {
          cert: leaf.chainPem,
          key: leaf.keyPem,
          ...(keyType === 'ed25519' || keyType === 'rsa-pss' ? { minVersion: 'TLSv1.3' as const } : {}),
        },
        { ca: root.certPem, servername: 'pki.test' },
      )
      expect(chain[0]!.equals(leaf.certDer)).toBe(true)
      expect(verifyServerCertificateChain(chain, { host: 'pki.test', ca: root.certPem }).path).toHaveLength(3)
    })
  }

  it('OpenSSL agrees on broken certificates: expired leaf and clientAuth-only EKU are refused', async () => {
    const root = createCA()
    const expired = issueLeaf(root, {
      hosts: ['pki.test'],
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    })
    await expect(
      handshake({ cert: expired.chainPem, key: expired.keyPem }, { ca: root.certPem, servername: 'pki.test' }),
    ).rejects.toMatchObject({ code: 'CERT_HAS_EXPIRED' })
    const client = issueLeaf(root, { hosts: ['pki.test'], eku: 'clientAuth' })
    await expect(
      handshake({ cert: client.chainPem, key: client.keyPem }, { ca: root.certPem, servername: 'pki.test' }),
    ).rejects.toMatchObject({ code: 'INVALID_PURPOSE' })
    const notCa = createIntermediate(root, { isCA: false })
    const below = issueLeaf(notCa, { hosts: ['pki.test'] })
    await expect(
      handshake({ cert: below.chainPem, key: below.keyPem }, { ca: root.certPem, servername: 'pki.test' }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^(INVALID_CA|INVALID_PURPOSE)$/) })
  })

  it('is fast enough for per-test use: 20 EC leaves from one CA', () => {
    const root = createCA()
    const leaves = Array.from({ length: 20 }, (_, i) => issueLeaf(root, { hosts: [`h${i}.test`] }))
    expect(new Set(leaves.map((l) => l.x509.serialNumber)).size).toBe(20)
  })
})
