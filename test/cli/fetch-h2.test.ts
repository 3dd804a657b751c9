/**
 * `hotconn fetch` over HTTP/2 shows the same per-response facts as over HTTP/1.1: the IP, ALPN,
 * TLS version, cipher suite, group and reuse of the connection that carried each response.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_TILE_BYTES, startDemoOrigin, type DemoOrigin } from '../../src/demo/index.js'
import { loopbackIps } from '../pool/helpers/fixtures.js'
import { runCli } from './helpers.js'

describe('hotconn fetch over HTTP/2', () => {
  let origin: DemoOrigin
  let dir: string
  let caFile: string

  beforeAll(async () => {
    origin = await startDemoOrigin({ ips: loopbackIps(2), http2: true, dns: true })
    dir = await mkdtemp(join(tmpdir(), 'hotconn-cli-h2-'))
    caFile = join(dir, 'ca.pem')
    await writeFile(caFile, origin.caPem)
  })
  afterAll(async () => {
    await origin.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('prints IP, ALPN h2, TLS parameters and reuse for every response', async () => {
    const url = origin.url('/tiles/3/1/2.png')
    const dnsServer = `127.0.0.1:${origin.dns!.port}`
    const out = await runCli(['fetch', url, '-n', '12', '-c', '3', '--ca', caFile, '--dns-server', dnsServer, '--json'])
    expect(out.stderr).toBe('')
    expect(out.code).toBe(0)
    const lines = out.lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    lines.pop() // stats
    expect(lines).toHaveLength(12)
    for (const l of lines) {
      expect(l).toMatchObject({ url, status: 200, protocol: 'h2', tlsVersion: 'TLSv1.3', bytes: DEFAULT_TILE_BYTES })
      expect(origin.ips).toContain(l['ip'])
      expect(l['cipher']).toMatch(/^TLS_AES_|^TLS_CHACHA20_/)
      expect(typeof l['group']).toBe('string')
      expect(typeof l['reused']).toBe('boolean')
    }
    expect(lines.some((l) => l['reused'] === true)).toBe(true)
    const human = await runCli(['fetch', origin.url('/'), '--ca', caFile, '--dns-server', dnsServer])
    expect(human.code).toBe(0)
    expect(human.lines[0]).toMatch(
      /^200 {2}https:\/\/tiles\.test:\d+\/ {2}127\.\d+\.\d+\.\d+ {2}h2 {2}TLSv1\.3 TLS_\S+ \S+ {2}\d+ bytes/,
    )
  })
})
