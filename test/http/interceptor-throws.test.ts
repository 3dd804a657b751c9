/**
 * An interceptor whose handler throws (as a user-written interceptor may) ends its request through
 * the caller's error path, over HTTP/1.1 and HTTP/2: `request()` and `fetch()` reject with the
 * thrown error, nothing is uncaught, and the pool goes on serving and closes.
 */
import { fetch, request, type Dispatcher } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHttpOrigin, type HttpOrigin } from '../helpers/http-origin.js'

let origin: HttpOrigin
beforeAll(async () => {
  origin = await startHttpOrigin((_req, res) => {
    const body = Buffer.alloc(50_000, 0x61)
    res.writeHead(200, { 'content-length': String(body.length) })
    res.end(body)
  })
})
afterAll(async () => {
  await origin.close()
})

type Step = 'onRequestStart' | 'onResponseStart' | 'onResponseData' | 'onResponseEnd'

/** An interceptor that passes every callback on to the caller's handler but throws in `step`. */
function throwingIn(step: Step): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    const fail = (at: Step): void => {
      if (at === step) throw new Error(`interceptor failed in ${at}`)
    }
    return dispatch(opts, {
      onRequestStart(controller, context) {
        fail('onRequestStart')
        handler.onRequestStart?.(controller, context)
      },
      onResponseStart(controller, status, headers, message) {
        fail('onResponseStart')
        handler.onResponseStart?.(controller, status, headers, message)
      },
      onResponseData(controller, chunk) {
        fail('onResponseData')
        handler.onResponseData?.(controller, chunk)
      },
      onResponseEnd(controller, trailers) {
        fail('onResponseEnd')
        handler.onResponseEnd?.(controller, trailers)
      },
      onResponseError(controller, err) {
        handler.onResponseError?.(controller, err)
      },
    })
  }
}

const within = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`not settled in ${ms} ms`)), ms))])

describe.each([
  ['HTTP/1.1', false],
  ['HTTP/2', true],
])('%s', (_name, h2) => {
  it('an interceptor that throws in any callback rejects request() and fetch() with its error', async () => {
    const pool = origin.pool(h2)
    const uncaught: unknown[] = []
    const onUncaught = (err: unknown): void => void uncaught.push(err)
    process.on('uncaughtException', onUncaught)
    try {
      for (const step of ['onRequestStart', 'onResponseStart', 'onResponseData', 'onResponseEnd'] as Step[]) {
        const composed = pool.compose(throwingIn(step))
        const viaRequest = within(
          request(origin.url('/'), { dispatcher: composed }).then((r) => r.body.arrayBuffer()),
          5000,
        )
        await expect(viaRequest, step).rejects.toThrow(`interceptor failed in ${step}`)
        const viaFetch = within(
          fetch(origin.url('/'), { dispatcher: composed }).then((r) => r.arrayBuffer()),
          5000,
        )
        await expect(viaFetch, step).rejects.toThrow()
        // The pool goes on serving.
        const ok = await request(origin.url('/'), { dispatcher: pool })
        expect((await ok.body.arrayBuffer()).byteLength).toBe(50_000)
      }
    } finally {
      process.off('uncaughtException', onUncaught)
    }
    expect(uncaught).toEqual([])
    await within(pool.close(), 5000)
  })
})
