import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HotConnPool } from '../../src/pool/index.js'
import { startTestOrigin, type TestOrigin } from './helpers/fixtures.js'

describe('HotConnPool smoke', () => {
  let t: TestOrigin
  beforeAll(async () => {
    t = await startTestOrigin()
  })
  afterAll(async () => {
    await t.close()
  })

  it('warms up and serves requests through undici.request', async () => {
    const pool = new HotConnPool({ pool: { warmConnsPerIp: 2 }, resolver: t.resolver, ca: t.origin.caPem })
    const w = await pool.warmup(t.origin.url())
    expect(w.ips.map((i) => i.opened)).toEqual([2, 2, 2])
    for (let i = 0; i < 10; i++) {
      const res = await request(t.origin.url('/tiles/1/0/0.png'), { dispatcher: pool })
      expect(res.statusCode).toBe(200)
      await res.body.arrayBuffer()
    }
    const s = pool.stats()
    console.log(JSON.stringify(s, null, 1).slice(0, 1500))
    await pool.close()
  })
})
