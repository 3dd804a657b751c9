/**
 * A response the server sent whole is delivered whole, however the connection ends after it
 * (issue 16, item 2): a response fully received while its reader holds it (back-pressure: undici
 * pauses the stream) is read byte for byte after the same connection ends, for fetch, request and
 * stream: gracefully (GOAWAY(NO_ERROR), close_notify, FIN) or by a TCP FIN or reset that cuts
 * another response in flight (that one fails with a code). node:http2 tears down every stream of
 * a session, read or not, once the socket under it ends; the channel must keep that end from it
 * while a stream still holds a complete response.
 */
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { fetch, request, stream } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HotConnPool } from '../../src/pool/index.js'
import { bodyFor, startFaultyOrigin, type FaultyOrigin } from '../helpers/faulty-h2-origin.js'
import { loopbackIps } from '../pool/helpers/fixtures.js'
import { oneIpPool } from './helpers/one-ip-pool.js'

type Api = 'fetch' | 'request' | 'stream'

/** Reads the whole body of `res` once `finish` is called (the reader holds until then). */
interface Held {
  finish(): Promise<Buffer>
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of body) chunks.push(Buffer.from(c))
  return Buffer.concat(chunks)
}

/** Starts a GET of `url` and resolves once its response head arrived, with the body not read yet. */
async function hold(api: Api, pool: HotConnPool, url: string): Promise<Held> {
  if (api === 'request') {
    const res = await request(url, { dispatcher: pool })
    return { finish: () => collect(res.body) }
  }
  if (api === 'fetch') {
    const res = await fetch(url, { dispatcher: pool })
    return { finish: () => collect(res.body!) }
  }
  const chunks: Buffer[] = []
  let open!: () => void
  const gate = new Promise<void>((resolve) => (open = resolve))
  let started!: () => void
  const head = new Promise<void>((resolve) => (started = resolve))
  const done = stream(url, { dispatcher: pool, method: 'GET' }, () => {
    started()
    return new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk)
        gate.then(() => cb(), cb)
      },
    })
  })
  done.catch(() => {})
  await Promise.race([head, done])
  return {
    finish: async () => {
      open()
      await done
      return Buffer.concat(chunks)
    },
  }
}

let origin: FaultyOrigin
const pools: HotConnPool[] = []
beforeAll(async () => {
  origin = await startFaultyOrigin(loopbackIps(1)[0] as string)
})
afterAll(async () => {
  for (const p of pools) await p.close()
  await origin.close()
})

function onePool(): HotConnPool {
  // One connection: the held response and the one that closes the session share it.
  const pool = oneIpPool(origin, {
    http2: true,
    pool: { warmConnsPerIp: 0, maxConnsPerHost: 1, maxConnections: 1, maxIdleConns: 1 },
  })
  pools.push(pool)
  return pool
}

/**
 * How the closing request ends the connection: `close-after` is answered, then the session closes
 * gracefully; `cut-fin` and `cut-reset` are cut mid-body by a FIN without close_notify or a reset.
 */
const CLOSERS: Array<[string, string[] | 'ok']> = [
  ['close-after', 'ok'],
  ['cut-fin', ['ERR_TLS_TRUNCATED']],
  ['cut-reset', ['ERR_TLS_TRUNCATED', 'UND_ERR_SOCKET']],
]
const cases = (['request', 'fetch', 'stream'] as Api[]).flatMap((api) =>
  CLOSERS.map(([closer, outcome]) => [api, closer, outcome] as const),
)

function codeOf(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string } }
  return e.code ?? e.cause?.code ?? `no code: ${String(err)}`
}

describe('HTTP/2: a complete response held by its reader when the connection ends', () => {
  it.each(cases)(
    '%s, then %s on the same connection: the held response is delivered whole',
    async (api, closer, outcome) => {
      const pool = onePool()
      const outcomes: string[] = []
      let n = 0
      for (const size of [20_000, 70_000]) {
        for (let round = 0; round < 2; round++) {
          const heldPath = `/ok/${size}/held-${api}-${n}`
          const closeSize = closer === 'close-after' ? 1000 : 200_000
          const closePath = `/${closer}/${closeSize}/closer-${api}-${n++}`
          const held = await hold(api, pool, origin.url(true, heldPath))
          // The server answers this one and closes the session gracefully, or cuts it mid-body.
          const closed = await request(origin.url(true, closePath), { dispatcher: pool })
            .then((res) => collect(res.body))
            .catch(codeOf)
          if (outcome === 'ok')
            expect(Buffer.isBuffer(closed) && closed.equals(bodyFor(closePath, closeSize))).toBe(true)
          else expect(outcome).toContain(closed)
          // Let GOAWAY, close_notify and the FIN arrive while the held body is still unread.
          await sleep(150)
          const body = await held.finish().catch((err: unknown) => `${codeOf(err)}: ${String(err)}`)
          outcomes.push(
            typeof body === 'string'
              ? `${heldPath}: ${body}`
              : body.equals(bodyFor(heldPath, size))
                ? 'ok'
                : `${heldPath}: wrong, ${body.length} bytes`,
          )
        }
      }
      expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok'])
      // The pool goes on serving on a new connection.
      const after = `/ok/5000/after-${api}`
      expect(
        (await collect((await request(origin.url(true, after), { dispatcher: pool })).body)).equals(
          bodyFor(after, 5000),
        ),
      ).toBe(true)
    },
  )
})
