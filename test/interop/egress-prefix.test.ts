/**
 * egress.local_prefix for real: in a private network namespace (unshare --net, root) whose
 * loopback routes fd00:1::/64 locally (ip -6 route add local … dev lo, net.ipv6.ip_nonlocal_bind = 1,
 * as config.toml says), the pool's connections leave from addresses drawn from the prefix, one
 * egress each, in rotation; the origin sees them.
 */
import { spawn } from 'node:child_process'
import { isIP } from 'node:net'
import { describe, expect, it } from 'vitest'
import { UNSHARE } from './proxies.js'
import { which } from './helpers.js'

const IP = which('ip')
const SYSCTL = which('sysctl')
const skip =
  process.getuid?.() !== 0
    ? 'a private network namespace needs root'
    : UNSHARE === undefined || IP === undefined || SYSCTL === undefined
      ? 'unshare, ip and sysctl are needed (util-linux, iproute2, procps)'
      : undefined
if (skip !== undefined) console.warn(`skipping the local prefix test: ${skip}`)

function inNamespace(prefix: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const setup = [
    `${IP} link set lo up`,
    `${IP} -6 route add local ${prefix} dev lo`,
    `${SYSCTL} -qw net.ipv6.ip_nonlocal_bind=1`,
    `exec ${JSON.stringify(process.execPath)} --import tsx test/interop/egress-prefix-child.ts ${prefix}`,
  ].join(' && ')
  return new Promise((resolve, reject) => {
    const child = spawn(UNSHARE!, ['--net', 'sh', '-c', setup], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe.skipIf(skip !== undefined)('local_prefix', () => {
  it('draws four source addresses from fd00:1::/64; the origin sees each, in rotation', async () => {
    const r = await inNamespace('fd00:1::/64')
    expect(r.stderr.replace(/.*ExperimentalWarning.*\n|.*--trace-warnings.*\n/g, '')).toBe('')
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      statuses: number[]
      peers: string[]
      hosts: { egress: string; requests: number }[]
    }
    expect(out.statuses).toEqual(Array(8).fill(200))
    // Round-robin over four egresses: four connections, one from each drawn address.
    expect(out.peers).toHaveLength(4)
    expect(new Set(out.peers).size).toBe(4)
    for (const p of out.peers) {
      expect(isIP(p)).toBe(6)
      expect(p).toMatch(/^fd00:1:(0:0:|:)/)
    }
    expect(out.hosts.map((h) => h.egress)).toEqual(out.peers.map((p) => `direct from ${p}`))
    expect(out.hosts.every((h) => h.requests === 2)).toBe(true)
  })
})
