import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Counter, Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HotConnPool } from '../../src/pool/index.js'
import {
  bboxSource,
  fetchTiles,
  HotConnMetrics,
  parseBBox,
  parseListenAddress,
  serveMetrics,
} from '../../src/tiles/index.js'
import { startTileOrigin, type TileOrigin } from './helpers.js'

/** Parses the text exposition format into { name{labels}: value } plus each family's TYPE. */
function parse(text: string): { types: Map<string, string>; samples: Map<string, number> } {
  const types = new Map<string, string>()
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type !== null) types.set(type[1]!, type[2]!)
    else if (line !== '' && !line.startsWith('#')) {
      const i = line.lastIndexOf(' ')
      samples.set(line.slice(0, i), Number(line.slice(i + 1)))
    }
  }
  return { types, samples }
}

function sum(samples: Map<string, number>, prefix: string, ...has: string[]): number {
  let n = 0
  for (const [k, v] of samples) if (k.startsWith(prefix) && has.every((h) => k.includes(h))) n += v
  return n
}

describe('Prometheus metrics', () => {
  let t: TileOrigin
  let dir: string
  beforeAll(async () => {
    t = await startTileOrigin({ forbiddenIps: ['127.0.0.5'] })
    dir = await mkdtemp(join(tmpdir(), 'hotconn-metrics-'))
  })
  afterAll(async () => {
    await t.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('serves the pool and the job metrics on /metrics, named by the Prometheus conventions', async () => {
    const registry = new Registry()
    const own = new Counter({ name: 'app_things_total', help: 'the application own metric', registers: [registry] })
    own.inc(2)
    const metrics = new HotConnMetrics({ registry })
    const pool = new HotConnPool(t.pool())
    metrics.observePool(pool)
    const server = await serveMetrics(registry, '127.0.0.1:0')
    try {
      const tiles = bboxSource(parseBBox('-180,-85,180,85'), 0, 3)
      const r = await fetchTiles({ template: t.template, tiles, out: join(dir, 'm'), pool, observers: [metrics.tiles] })
      expect(r.ok).toBe(true)
      const res = await fetch(server.url)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
      const { types, samples } = parse(await res.text())

      expect(samples.get('app_things_total')).toBe(2)
      expect(samples.get('hotconn_tiles_total{result="stored"}')).toBe(85)
      expect(samples.get('hotconn_tiles_planned')).toBe(85)
      expect(samples.get('hotconn_tiles_stored_bytes_total')).toBe(r.bytes)
      const host = r.hosts[0]!.host
      expect(samples.get(`hotconn_tiles_responses_total{host="${host}",status="200"}`)).toBe(85)
      expect(sum(samples, 'hotconn_tiles_retries_total')).toBe(r.retries)
      expect(samples.get('hotconn_tiles_rate')).toBeGreaterThan(0)
      expect(sum(samples, 'hotconn_pool_requests_total', `host="${host}"`, 'status="200"')).toBe(85)
      expect(sum(samples, 'hotconn_pool_requests_total', 'ip="127.0.0.5"', 'status="403"')).toBe(r.statuses['403'])
      expect(sum(samples, 'hotconn_pool_requests_total', 'reused="true"')).toBeGreaterThan(0)
      expect(samples.get(`hotconn_pool_request_duration_seconds_count{host="${host}"}`)).toBe(r.responses)
      expect(sum(samples, 'hotconn_pool_handshakes_total', 'result="ok"')).toBe(r.hosts[0]!.handshakes)
      expect(
        samples.get(`hotconn_pool_blacklist_events_total{host="${host}",ip="127.0.0.5",action="blacklisted"}`),
      ).toBe(1)
      expect(samples.get(`hotconn_pool_ip_state{host="${host}",ip="127.0.0.5",state="blacklisted"}`)).toBe(1)
      expect(samples.get(`hotconn_pool_ip_state{host="${host}",ip="127.0.0.2",state="active"}`)).toBe(1)
      expect(sum(samples, 'hotconn_pool_connections{', 'state="idle"')).toBe(r.hosts[0]!.idle)
      expect(sum(samples, 'hotconn_pool_dns_refreshes_total', 'result="ok"')).toBeGreaterThanOrEqual(1)
      expect(samples.has(`hotconn_pool_pending_requests{host="${host}"}`)).toBe(true)

      // Conventions: hotconn_ prefix, counters end in _total, durations in _seconds, sizes in _bytes.
      const ours = [...types].filter(([name]) => name.startsWith('hotconn_'))
      expect(ours.length).toBeGreaterThanOrEqual(18)
      for (const [name, type] of ours) {
        expect(name).toMatch(/^hotconn_[a-z0-9_]+$/)
        if (type === 'counter') expect(name).toMatch(/_total$/)
        if (type === 'histogram') expect(name).toMatch(/_seconds$/)
        if (name.includes('bytes')) expect(name).toMatch(/_bytes(_total)?$/)
      }
      expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404)
    } finally {
      await pool.close()
      metrics.close()
      await server.close()
    }
  })

  it('parses listen addresses', () => {
    expect(parseListenAddress('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 })
    expect(parseListenAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 })
    expect(parseListenAddress(':9464')).toEqual({ host: '127.0.0.1', port: 9464 })
    expect(() => parseListenAddress('9464')).toThrow(/--metrics must be ip:port/)
    expect(() => parseListenAddress('example.com:1')).toThrow(/--metrics/)
  })
})
