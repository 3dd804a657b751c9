/**
 * `hotconn warm <origin>`: resolve every IP of the origin, open `warm_conns_per_ip` connections
 * to each, and print what was opened and the per-IP table.
 *
 *   hotconn warm https://tiles.test:8443 --conns 2 --json
 *
 * Exit code 1 when resolution failed or an IP could not be connected to, 2 for a usage error.
 */
import { InvalidArgumentError } from '../errors.js'
import { HotConnPool, type WarmupResult } from '../pool/index.js'
import type { CliIO, Command } from './main.js'
import {
  errorCode,
  errorMessage,
  parseHttpsUrl,
  POOL_FLAG_HELP,
  POOL_FLAG_OPTIONS,
  poolOptionsFromFlags,
  positiveInt,
} from './pool-flags.js'
import { formatPoolTable } from './table.js'
import { parseFlags } from './args.js'

const HELP = `Usage: hotconn warm <origin> [options]
  Resolve every IP of <origin> (https://host[:port]) and open hot connections to each; print
  the warm-up result and the per-IP table. Exit code 1 when an IP could not be warmed.

Options:
${POOL_FLAG_HELP}  --conns <n>               connections per IP (default: pool.warm_conns_per_ip, else 1)
  --json                    JSON: {"warmup": ...} then {"stats": ...}
  -h, --help                this help
`

export const warmCommand: Command = {
  summary: 'open hot connections to every IP of an origin and print the per-IP table',
  run,
}

function jsonWarmup(w: WarmupResult): unknown {
  return {
    host: w.host,
    ips: w.ips.map((i) => ({
      ip: i.ip,
      ...(i.egress === undefined ? {} : { egress: i.egress }),
      opened: i.opened,
      failed: i.failed,
      ...(i.skipped === undefined ? {} : { skipped: i.skipped }),
      ...(i.error === undefined ? {} : { error: errorCode(i.error), message: errorMessage(i.error) }),
    })),
  }
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseFlags(
    argv,
    {
      ...POOL_FLAG_OPTIONS,
      conns: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    HELP,
  )
  const { values, positionals } = parsed
  if (values.help) {
    io.stdout.write(HELP)
    return 0
  }
  if (positionals.length !== 1)
    throw new InvalidArgumentError(
      `give exactly one origin (https://host[:port]), got ${positionals.length}\n\n${HELP}`,
    )
  const origin = parseHttpsUrl(positionals[0]!, 'origin')
  const conns = values.conns === undefined ? undefined : positiveInt('--conns', values.conns, 1, 1000)
  const setup = await poolOptionsFromFlags(values, conns === undefined ? {} : { warmConnsPerIp: conns })
  const pool = new HotConnPool(setup)
  try {
    let warmup: WarmupResult
    try {
      warmup = await pool.warmup(origin.origin)
    } catch (err) {
      const code = errorCode(err)
      io.stdout.write(
        values.json ? JSON.stringify({ origin: origin.origin, error: code, message: errorMessage(err) }) + '\n' : '',
      )
      io.stderr.write(`${code}  ${origin.origin}  ${errorMessage(err)}\n`)
      return 1
    }
    const failures = warmup.ips.filter((i) => i.failed > 0 || (i.opened === 0 && i.skipped === undefined))
    if (values.json) {
      io.stdout.write(JSON.stringify({ warmup: jsonWarmup(warmup) }) + '\n')
      io.stdout.write(JSON.stringify({ stats: pool.stats() }) + '\n')
    } else {
      for (const i of warmup.ips) {
        const why = i.error === undefined ? '' : `  ${errorCode(i.error)}: ${errorMessage(i.error)}`
        const via = i.egress === undefined || i.egress === 'direct' ? '' : `  via ${i.egress}`
        io.stdout.write(
          `${i.ip}${via}  opened ${i.opened}, failed ${i.failed}${i.skipped === undefined ? '' : `, skipped (${i.skipped})`}${why}\n`,
        )
      }
      io.stdout.write(`\n${formatPoolTable(pool.stats())}`)
    }
    for (const f of failures) {
      io.stderr.write(
        `${f.error === undefined ? 'ERR_CONNECT' : errorCode(f.error)}  ${f.ip}  ${f.error === undefined ? 'no connection opened' : errorMessage(f.error)}\n`,
      )
    }
    return failures.length > 0 ? 1 : 0
  } finally {
    await pool.close()
  }
}
