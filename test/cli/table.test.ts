import { describe, expect, it } from 'vitest'
import { formatHostTable, formatMs, formatPoolTable, formatUntil } from '../../src/cli/table.js'
import type { HostStats, IpStats } from '../../src/pool/index.js'

const usage = {
  connections: 2,
  idle: 2,
  inUse: 0,
  connecting: 0,
  handshakes: 2,
  requests: 10,
  reuseRate: 0.8,
  p50Ms: 3.456,
  p99Ms: 120.4,
  failures: 0,
}
const ips: IpStats[] = [
  { ip: '127.0.0.2', family: 4, state: 'active', inDns: true, ...usage },
  {
    ip: '127.0.0.5',
    family: 4,
    state: 'blacklisted',
    inDns: true,
    ...usage,
    connections: 0,
    p50Ms: undefined,
    p99Ms: undefined,
    blacklisted: { reason: 'HTTP 403 (3 strikes)', until: new Date(Date.UTC(2030, 0, 2, 3, 19, 5)) },
  },
]
const host: HostStats = {
  host: 'tiles.test:8443',
  identity: 'chrome-156-windows',
  egress: 'direct',
  pending: 0,
  ...usage,
  ips,
  blacklisted: [{ ip: '127.0.0.5', reason: 'HTTP 403 (3 strikes)', until: ips[1]!.blacklisted!.until }],
}
const now = Date.UTC(2030, 0, 2, 3, 4, 5)

describe('per-IP table', () => {
  it('aligns text columns, numbers right', () => {
    const lines = formatHostTable(host, { now }).trimEnd().split('\n')
    expect(lines[0]).toMatch(
      /^ip +state +conns +handshakes +requests +reuse +p50 ms +p99 ms +failures +blacklisted until$/,
    )
    expect(lines[1]).toMatch(/^127\.0\.0\.2 +active +2 +2 +10 +80\.0% +3\.46 +120 +0 +-$/)
    expect(lines[2]).toContain('blacklisted')
    expect(lines[2]).toContain('2030-01-02T03:19:05Z (in 15m00s): HTTP 403 (3 strikes)')
    expect(lines[3]).toMatch(/^total +2 +2 +10 +80\.0% .* 1 IP\(s\)$/)
    // The "requests" column ends at the same offset on every row.
    const end = lines[0]!.indexOf('requests') + 'requests'.length
    for (const l of lines.slice(1)) expect(l.slice(0, end)).toMatch(/\d$/)
  })

  it('renders Markdown with escaped pipes', () => {
    const md = formatHostTable({ ...host, ips: [{ ...ips[0]!, ip: 'a|b' }] }, { markdown: true, now })
    expect(md.split('\n')[1]).toBe('|---|---|---:|---:|---:|---:|---:|---:|---:|---|')
    expect(md).toContain('| a\\|b | active | 2 |')
  })

  it('formats helpers and an empty pool', () => {
    expect(formatMs(undefined)).toBe('-')
    expect(formatMs(42.25)).toBe('42.3')
    expect(formatUntil(new Date(now + 7_000), now)).toBe('2030-01-02T03:04:12Z (in 7s)')
    expect(formatPoolTable({ connections: 0, idle: 0, inUse: 0, connecting: 0, pending: 0, hosts: {} })).toBe(
      'no host contacted\n',
    )
  })
})
