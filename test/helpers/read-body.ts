/**
 * Reads a response body through one of undici's three APIs (fetch, request, stream), fast or
 * slowly (1 ms per chunk: the reader lags and back-pressure builds), for the end-of-stream tests
 * and the soak (bench/soak.ts).
 */
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { fetch, request, stream, type Dispatcher } from 'undici'

export type BodyApi = 'fetch' | 'request' | 'stream'

/** GET `url` through `dispatcher` with `api`; resolves with the whole body, rejects with the API's error. */
export async function readBody(api: BodyApi, dispatcher: Dispatcher, url: string, slow: boolean): Promise<Buffer> {
  const chunks: Buffer[] = []
  if (api === 'fetch') {
    const res = await fetch(url, { dispatcher })
    for await (const c of res.body!) {
      chunks.push(Buffer.from(c))
      if (slow) await sleep(1)
    }
  } else if (api === 'request') {
    const res = await request(url, { dispatcher })
    for await (const c of res.body) {
      chunks.push(c as Buffer)
      if (slow) await sleep(1)
    }
  } else {
    await stream(
      url,
      { dispatcher, method: 'GET' },
      () =>
        new Writable({
          highWaterMark: 1024,
          write(chunk: Buffer, _enc, cb) {
            chunks.push(chunk)
            if (slow) setTimeout(cb, 1)
            else cb()
          },
        }),
    )
  }
  return Buffer.concat(chunks)
}
