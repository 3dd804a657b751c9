/**
 * Close-delimited HTTP/1.1 bodies of 1 MiB and 10 MiB, 20 at once each, read slowly through
 * undici's request, fetch and stream over the pool (issue 16, item 6): undici's parser pauses under
 * body back-pressure and the end of the connection must wait for it. Every byte is checked. Here
 * rather than in `npm test` for the 220 MiB it moves; 16 KiB and 64 KiB run in test/http/end-of-stream.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HotConnPool } from '../../src/pool/index.js'
import { readCloseDelimited, startFaultyOrigin, type FaultyOrigin } from '../helpers/faulty-h2-origin.js'
import { loopbackIps } from '../pool/helpers/fixtures.js'

let origin: FaultyOrigin
let pool: HotConnPool
beforeAll(async () => {
  origin = await startFaultyOrigin(loopbackIps(1)[0] as string)
  pool = new HotConnPool({
    ca: origin.caPem,
    http2: { enabled: false },
    // Each response ends its connection: handshakes queue behind 40 MiB in flight on a busy machine.
    pool: {
      warmConnsPerIp: 0,
      maxConnsPerHost: 4,
      maxConnections: 4,
      maxIdleConns: 4,
      connectTimeoutMs: 60_000,
      pendingTimeoutMs: 600_000,
    },
    resolver: {
      resolve: async () => ({ addresses: [{ address: origin.ip, family: 4, ttlMs: 60_000 }], minTtlMs: 60_000 }),
    },
  })
})
afterAll(async () => {
  await pool?.close()
  await origin?.close()
})

describe('close-delimited bodies with a slow reader', () => {
  it.each([1024 * 1024, 10 * 1024 * 1024])(
    '%i bytes, 20 times: every byte right',
    { timeout: 600_000 },
    async (size) => {
      expect(await readCloseDelimited(pool, origin, size, 20)).toEqual([])
    },
  )
})
