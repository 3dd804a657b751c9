/** wireFields: a request's deadlines win over the pool's, the pool's over undici's. */
import { describe, expect, it } from 'vitest'
import { DEFAULT_BODY_TIMEOUT_MS, DEFAULT_HEADERS_TIMEOUT_MS, wireFields } from '../../src/http/wire-fields.js'

const opts = { origin: 'https://a.test', path: '/', method: 'GET' as const }

describe('wireFields', () => {
  it("takes the request's deadlines, else the pool's, else undici's 300 s", () => {
    expect(wireFields(opts, { servername: 'a.test' })).toEqual({
      headersTimeout: DEFAULT_HEADERS_TIMEOUT_MS,
      bodyTimeout: DEFAULT_BODY_TIMEOUT_MS,
      servername: 'a.test',
    })
    expect(DEFAULT_HEADERS_TIMEOUT_MS).toBe(300_000)
    const pool = { servername: 'a.test', headersTimeoutMs: 5_000, bodyTimeoutMs: 7_000 }
    expect(wireFields(opts, pool)).toMatchObject({ headersTimeout: 5_000, bodyTimeout: 7_000 })
    expect(wireFields({ ...opts, headersTimeout: 1, bodyTimeout: 0 }, pool)).toMatchObject({
      headersTimeout: 1,
      bodyTimeout: 0,
    })
  })
})
