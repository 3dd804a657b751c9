/**
 * Fleet mode of `hotconn tiles` on Redis:
 *   hotconn tiles enqueue <template> (--bbox … --zoom … | --list FILE) --redis URL [--queue Q] [--batch N]
 *   hotconn tiles worker --redis URL --out DIR [--rate N/s] [-c N] [--queue Q] [--exit-when-idle MS] [pool flags]
 * Every worker shares one per-host budget, one view of each host's IPs and the counters.
 */
import { InvalidArgumentError } from '../errors.js'
import { HotConnPool } from '../pool/index.js'
import { enqueueTiles, runTileWorker, type TileWorkerOptions } from '../tiles/index.js'
import { parseFlags } from './args.js'
import type { CliIO } from './main.js'
import { POOL_FLAG_HELP, POOL_FLAG_OPTIONS, poolOptionsFromFlags, positiveInt } from './pool-flags.js'
import {
  checkFromFlags,
  formatFromFlags,
  headersFromFlags,
  rateFromFlags,
  TILE_FLAG_HELP,
  TILE_FLAG_OPTIONS,
  tileSourceFromFlags,
} from './tile-flags.js'

const FLEET_HELP = `  --redis <url>             Redis of the fleet (redis://host:port)
  --queue <name>            BullMQ queue, also the namespace of the shared state (default hotconn-tiles)
`

const ENQUEUE_HELP = `Usage: hotconn tiles enqueue <template> (--bbox w,s,e,n --zoom Z0-Z1 | --list FILE) --redis URL [options]
  Put the tiles on the fleet's queue for 'hotconn tiles worker' processes.

Options:
${FLEET_HELP}  --batch <n>               tiles per queue job (default 16)
  --subdomains <a,b,c>      values of {s}
  -h, --help                this help
`

const WORKER_HELP = `Usage: hotconn tiles worker --redis URL --out DIR [options]
  Fetch the queue's tiles into DIR with the fleet's shared budget and IP view. Run many.
  Prints its counters and the fleet's as one JSON line at the end; exits 1 if a tile failed or a
  queue job was not a tile job.

Options:
${FLEET_HELP}${TILE_FLAG_HELP}  --id <name>               this worker's name in shared records (default: its pid)
  --lock-ms <ms>            job lock: a dead worker's jobs move on this long after (default 30000)
  --exit-when-idle <ms>     exit once the queue has been empty this long (default: run until Ctrl-C)
${POOL_FLAG_HELP}  -h, --help                this help
`

function redisFlag(v: string | undefined): string {
  if (v === undefined) throw new InvalidArgumentError('--redis is required, e.g. --redis redis://127.0.0.1:6379')
  return v
}

export async function enqueueCommand(argv: string[], io: CliIO): Promise<number> {
  const opts = {
    ...TILE_FLAG_OPTIONS,
    redis: { type: 'string' },
    queue: { type: 'string' },
    batch: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  } as const
  const { values, positionals } = parseFlags(argv, opts, ENQUEUE_HELP)
  if (values.help) {
    io.stdout.write(ENQUEUE_HELP)
    return 0
  }
  if (positionals.length !== 1) throw new InvalidArgumentError(`give exactly one URL template\n\n${ENQUEUE_HELP}`)
  const r = await enqueueTiles({
    redis: redisFlag(values.redis),
    template: positionals[0]!,
    tiles: await tileSourceFromFlags(values),
    ...(values.queue === undefined ? {} : { queue: values.queue }),
    ...(values.subdomains === undefined ? {} : { subdomains: values.subdomains.split(',') }),
    batch: positiveInt('--batch', values.batch, 16, 10_000),
  })
  io.stdout.write(`${r.tiles} tiles enqueued in ${r.jobs} jobs\n`)
  return 0
}

export async function workerCommand(argv: string[], io: CliIO): Promise<number> {
  const opts = {
    ...POOL_FLAG_OPTIONS,
    ...TILE_FLAG_OPTIONS,
    redis: { type: 'string' },
    queue: { type: 'string' },
    id: { type: 'string' },
    'lock-ms': { type: 'string' },
    'exit-when-idle': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  } as const
  const { values, positionals } = parseFlags(argv, opts, WORKER_HELP)
  if (values.help) {
    io.stdout.write(WORKER_HELP)
    return 0
  }
  if (positionals.length > 0)
    throw new InvalidArgumentError(`a worker takes no template (the queue's jobs name theirs)\n\n${WORKER_HELP}`)
  if (values.out === undefined) throw new InvalidArgumentError('--out is required')
  const rate = rateFromFlags(values)
  const concurrency = positiveInt('--concurrency', values.concurrency, 32, 10_000)
  const o: TileWorkerOptions = {
    redis: redisFlag(values.redis),
    out: values.out,
    concurrency,
    pool: new HotConnPool(await poolOptionsFromFlags(values, { maxConnsPerHost: concurrency })),
    headers: headersFromFlags(values.header),
  }
  if (values.queue !== undefined) o.queue = values.queue
  if (values.id !== undefined) o.id = values.id
  if (rate !== undefined) o.rate = rate
  const format = formatFromFlags(values)
  if (format !== undefined) o.format = format
  const check = checkFromFlags(values)
  if (check !== undefined) o.check = check
  if (values['lock-ms'] !== undefined) o.lockMs = positiveInt('--lock-ms', values['lock-ms'], 30_000, 3_600_000)
  if (values['exit-when-idle'] !== undefined)
    o.idleExitMs = positiveInt('--exit-when-idle', values['exit-when-idle'], 5000, 86_400_000)
  if (values.attempts !== undefined) o.retry = { maxAttempts: positiveInt('--attempts', values.attempts, 5, 100) }
  const stop = new AbortController()
  const onSignal = (): void => stop.abort(new Error('stopped'))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    const r = await runTileWorker({ ...o, signal: stop.signal })
    await (o.pool as HotConnPool).close()
    io.stdout.write(`${JSON.stringify(r)}\n`)
    return r.failed === 0 && r.rejected === 0 ? 0 : 1
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
