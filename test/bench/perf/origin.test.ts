import * as https from 'node:https'
import * as tls from 'node:tls'
import { describe, expect, it } from 'vitest'
import { parseBenchArgs } from '../../../bench/run.js'
import { startBenchServer } from '../../../bench/lib/https-server.js'
import { createCA, issueLeaf } from '../../../src/testing/pki.js'

function opensslHas(group: string): boolean {
  try {
    tls.createSecureContext({ ecdhCurve: group })
    return true
  } catch {
    return false
  }
}

describe('bench fallback origin', () => {
  it('parses --origin and refuses unknown kinds', () => {
    expect(parseBenchArgs([]).origin).toBe('auto')
    expect(parseBenchArgs(['--origin', 'node']).origin).toBe('node')
    expect(() => parseBenchArgs(['--origin', 'apache'])).toThrow(/unknown origin "apache"/)
  })

  it('sets only the groups the running OpenSSL has, in a child process, and serves', async () => {
    const ca = createCA({ keyType: 'ecdsa-p256', name: 'bench origin test CA' })
    const leaf = issueLeaf(ca, { hosts: ['127.0.0.1'], keyType: 'ecdsa-p256' })
    const server = await startBenchServer({
      keyPem: leaf.keyPem,
      certPem: leaf.chainPem,
      ecdhCurve: 'X25519MLKEM768:x25519',
      ciphers: 'TLS_AES_128_GCM_SHA256',
      noTickets: true,
      node: process.execPath,
    })
    try {
      expect(server.groups).toBe(opensslHas('X25519MLKEM768') ? 'X25519MLKEM768:x25519' : 'x25519')
      const bytes = await new Promise<number>((resolve, reject) => {
        const req = https.get(
          { host: '127.0.0.1', port: server.port, path: '/size/16', ca: ca.certPem, agent: false },
          (res) => {
            let n = 0
            res.on('data', (c: Buffer) => (n += c.length))
            res.on('end', () => resolve(n))
            res.on('error', reject)
          },
        )
        req.on('error', reject)
      })
      expect(bytes).toBe(16)
    } finally {
      await server.close()
    }
  })

  it('fails with a clear error, not an unhandled one, when no group is known', async () => {
    const ca = createCA({ keyType: 'ecdsa-p256', name: 'bench origin test CA' })
    const leaf = issueLeaf(ca, { hosts: ['127.0.0.1'], keyType: 'ecdsa-p256' })
    await expect(
      startBenchServer({
        keyPem: leaf.keyPem,
        certPem: leaf.chainPem,
        ecdhCurve: 'NoSuchGroup',
        ciphers: 'TLS_AES_128_GCM_SHA256',
      }),
    ).rejects.toThrow(/none of the groups NoSuchGroup is known/)
  })
})
