/**
 * `hotconn fetch <url...>`: GET each URL (N times each, C at once) through a HotConnPool and
 * print one line per response, then the pool's per-IP stats.
 *
 *   hotconn fetch https://tiles.test/tiles/1/0/0.png -n 20 -c 4 --json
 *
 * With --json each response is `{url, status, ip, protocol, tlsVersion, cipher, group, bytes,
 * ms, reused}`, each failure `{url, error, message, ...}` and the last line `{"stats": …}`
 * (HotConnPool.stats()). Exit code 1 when a request failed (no response), 2 for a usage error.
 */
import PQueue from 'p-queue'
import { fetch } from 'undici'
import { InvalidArgumentError } from '../errors.js'
import { HotConnPool } from '../pool/index.js'
import type { CliIO, Command } from './main.js'
import {
  errorCode,
  errorMessage,
  parseHttpsUrl,
  POOL_FLAG_HELP,
  POOL_FLAG_OPTIONS,
  poolOptionsFromFlags,
  positiveInt,
  type PoolFlags,
} from './pool-flags.js'
import { RequestTracker, type RequestConnectionInfo } from './request-info.js'
import { formatMs, formatPoolTable } from './table.js'
import { parseFlags } from './args.js'

const HELP = `Usage: hotconn fetch <url...> [options]
  GET each https URL through a pool of hot connections; one line per response, then the
  per-IP stats. Exit code 1 when a request failed, 2 for a usage error.

Options:
${POOL_FLAG_HELP}  -n, --count <n>           fetch each URL n times (default 1)
  -c, --concurrency <n>     requests at once (default 4)
  --json                    one JSON object per line, the last one {"stats": ...}
  -h, --help                this help
`

export const fetchCommand: Command = {
  summary: 'GET URLs through a pool; print status, IP, TLS parameters and reuse per response',
  run,
}

/** One response line of `hotconn fetch --json`. */
export interface FetchRecord extends RequestConnectionInfo {
  url: string
  status: number
  /** Body bytes received. */
  bytes: number
  /** ms from the request to the end of the body. */
  ms: number
}

/** One failure line of `hotconn fetch --json`. */
export interface FetchFailure extends RequestConnectionInfo {
  url: string
  /** Stable error code, e.g. ERR_CONNECT, ERR_DNS, UND_ERR_SOCKET. */
  error: string
  message: string
  ms: number
}

function parse(argv: string[]): {
  urls: URL[]
  count: number
  concurrency: number
  json: boolean
  help: boolean
  flags: PoolFlags
} {
  const parsed = parseFlags(
    argv,
    {
      ...POOL_FLAG_OPTIONS,
      count: { type: 'string', short: 'n' },
      concurrency: { type: 'string', short: 'c' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    HELP,
  )
  const { values, positionals } = parsed
  if (values.help) return { urls: [], count: 1, concurrency: 1, json: false, help: true, flags: values }
  if (positionals.length === 0) throw new InvalidArgumentError(`give at least one URL\n\n${HELP}`)
  return {
    urls: positionals.map((p) => parseHttpsUrl(p)),
    count: positiveInt('--count', values.count, 1),
    concurrency: positiveInt('--concurrency', values.concurrency, 4, 1000),
    json: values.json,
    help: false,
    flags: values,
  }
}

function humanLine(r: FetchRecord): string {
  const tls = [r.tlsVersion, r.cipher, r.group].filter((v) => v !== null).join(' ')
  return `${r.status}  ${r.url}  ${r.ip ?? '?'}  ${r.protocol ?? '?'}  ${tls || '?'}  ${r.bytes} bytes  ${formatMs(r.ms)} ms  ${r.reused === true ? 'reused' : r.reused === false ? 'new' : '?'}\n`
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const args = parse(argv)
  if (args.help) {
    io.stdout.write(HELP)
    return 0
  }
  const setup = await poolOptionsFromFlags(args.flags)
  const pool = new HotConnPool(setup)
  const tracker = new RequestTracker()
  const queue = new PQueue({ concurrency: args.concurrency })
  let failed = 0
  try {
    for (const url of args.urls) {
      for (let i = 0; i < args.count; i++) {
        void queue.add(async () => {
          const started = performance.now()
          const { result, connection } = await tracker.track(async () => {
            const res = await fetch(url, { dispatcher: pool, redirect: 'manual' })
            const body = await res.arrayBuffer()
            return { status: res.status, bytes: body.byteLength }
          })
          const ms = Math.round((performance.now() - started) * 100) / 100
          if (result.status === 'fulfilled') {
            const record: FetchRecord = {
              url: url.href,
              status: result.value.status,
              ...connection,
              bytes: result.value.bytes,
              ms,
            }
            io.stdout.write(args.json ? JSON.stringify(record) + '\n' : humanLine(record))
          } else {
            failed++
            const failure: FetchFailure = {
              url: url.href,
              error: errorCode(result.reason),
              message: errorMessage(result.reason),
              ...connection,
              ms,
            }
            if (args.json) io.stdout.write(JSON.stringify(failure) + '\n')
            io.stderr.write(`${failure.error}  ${failure.url}  ${failure.message}\n`)
          }
        })
      }
    }
    await queue.onIdle()
    const stats = pool.stats()
    io.stdout.write(args.json ? JSON.stringify({ stats }) + '\n' : `\n${formatPoolTable(stats)}`)
  } finally {
    tracker.dispose()
    await pool.close()
  }
  if (failed > 0 && !args.json) io.stderr.write(`${failed} request(s) failed\n`)
  return failed > 0 ? 1 : 0
}
