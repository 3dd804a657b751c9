/**
 * The ClientHello parser (what the capture server runs on every client's bytes) against mutated
 * real captures: it either parses or throws DecodeError (ERR_TLS_DECODE), never anything else.
 */
import { describe, expect, it } from 'vitest'
import { fingerprintClientHello } from '../../src/fingerprint/ja.js'
import { parseClientHello } from '../../src/fingerprint/parse.js'
import { DecodeError } from '../../src/util/bytes.js'
import { listCaptures } from './captures.js'
import { prng } from '../helpers/prng.js'

describe('parseClientHello on mutated captures', () => {
  it('parses or throws DecodeError for 3,000 mutations of the reference captures', () => {
    const captures = [...listCaptures('chromium-156'), ...listCaptures('firefox-esr-153')]
    expect(captures.length).toBeGreaterThan(0)
    const rnd = prng(0xc1)
    let rejected = 0
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.from(captures[i % captures.length]!.bin)
      for (let f = 0; f < 1 + Math.floor(rnd() * 4); f++)
        bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256)
      const input = rnd() < 0.2 ? bytes.subarray(0, Math.floor(rnd() * bytes.length)) : bytes
      try {
        fingerprintClientHello(parseClientHello(input))
      } catch (err) {
        if (!(err instanceof DecodeError))
          throw new Error(`mutation #${i}: ${(err as Error).name}: ${(err as Error).message}`)
        rejected++
      }
    }
    expect(rejected).toBeGreaterThan(300)
  })
})
