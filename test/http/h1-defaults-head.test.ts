/**
 * A request without fields of its own goes to undici without fields and gets the template's
 * defaults written into its head (DefaultsHead). The head must be the one undici + the rewrite
 * make when undici is handed the merged defaults: for every identity, destination and method, on
 * heads as undici writes them (no other field, a content-length, a chunked body).
 */
import { describe, expect, it } from 'vitest'
import { DESTINATIONS } from '../../src/fingerprint/http.js'
import { planRequestHeaders } from '../../src/fingerprint/identity/request-plan.js'
import { IDENTITY_NAMES, getIdentity } from '../../src/fingerprint/identity/table.js'
import { defaultsHead, headLayout, rewriteRequestHead, writeDefaultsHead } from '../../src/http/h1-head.js'
import { mergedFlatHeaders } from '../../src/http/headers.js'

/** undici's writeH1: request line, host, connection, the fields as given, then its own tail. */
function undiciHead(method: string, fields: readonly string[], tail: string): string {
  let head = `${method} /a/b?c=1 HTTP/1.1\r\nhost: tiles.test:8443\r\nconnection: keep-alive\r\n`
  for (let i = 0; i < fields.length; i += 2) head += `${fields[i]}: ${fields[i + 1]}\r\n`
  return head + tail
}

const TAILS = ['\r\n', 'content-length: 12\r\n\r\n', 'transfer-encoding: chunked\r\n\r\n']

describe('DefaultsHead', () => {
  for (const name of IDENTITY_NAMES) {
    it(`${name}: the head equals undici's with the merged defaults, rewritten`, () => {
      const identity = getIdentity(name)
      let checked = 0
      for (const destination of DESTINATIONS) {
        for (const method of ['GET', 'POST']) {
          for (const referer of [undefined, 'https://maps.example/']) {
            const plan = planRequestHeaders(identity, {
              url: 'https://tiles.test:8443/',
              method,
              destination,
              ...(referer !== undefined ? { referer } : {}),
            })
            const layout = headLayout(plan.h1)
            if (layout === undefined) continue
            const head = defaultsHead(plan.h1, layout)
            expect(head, `${destination} ${method}`).toBeDefined()
            for (const tail of TAILS) {
              const want = rewriteRequestHead(undiciHead(method, mergedFlatHeaders([], plan.h1), tail), layout)
              expect(writeDefaultsHead(undiciHead(method, [], tail), head!)).toBe(want)
              checked++
            }
          }
        }
      }
      expect(checked).toBeGreaterThan(0)
    })
  }

  it('refuses a template whose defaults undici reads itself or would reject', () => {
    const base = [
      ['Host', null],
      ['Connection', null],
      ['Accept', '*/*'],
    ] as const
    const layout = headLayout([...base])!
    expect(defaultsHead([...base, ['Content-Type', 'text/plain']], layout)).toBeUndefined()
    expect(defaultsHead([...base, ['X-Bad', 'a\r\nInjected: 1']], layout)).toBeUndefined()
    expect(defaultsHead([...base, ['Bad Name', 'x']], layout)).toBeUndefined()
    expect(defaultsHead([...base], layout)).toBeDefined()
  })
})
