/**
 * `npm start`: fetch 2,000 tiles from the embedded demo origin (four loopback IPs, one of which
 * answers 403) through a warmed HotConnPool, print the per-IP table and write
 * reports/tile-fetch.md. Exit code 0 when every tile arrived and the 403 IP ended blacklisted,
 * 1 otherwise, 2 for a usage error.
 *
 *   npm start
 *   npm start -- [-n 2000] [-c 32] [--profile chrome] [--report reports/tile-fetch.md] [--dns-port 0]
 *   npm start -- https://example.com/some/tile.png -n 100   # a real host: system DNS and roots
 */
import { positiveInt } from '../src/cli/pool-flags.js'
import { runTileFetch, type TileFetchOptions } from '../src/cli/tile-job.js'
import { exitCodeFor, runAsScript } from '../src/cli/script.js'
import { InvalidArgumentError } from '../src/errors.js'
import { parseFlags } from '../src/cli/args.js'

const HELP = `Usage: npm start -- [url] [options]
  Without a URL: fetch tiles from the embedded demo origin (https://tiles.test on 127.0.0.2-5,
  DNS on 127.0.0.1; 127.0.0.5 answers 403). With a URL: fetch N copies of it from the real host.

Options:
  -n, --count <n>        tiles, or copies of the URL (default 2000, or 100 with a URL)
  -c, --concurrency <n>  requests at once (default 32)
  --attempts <n>         attempts per tile on 403/429 or an error (default 5)
  --profile <name>       TLS fingerprint profile (default chrome)
  --report <file>        Markdown report (default reports/tile-fetch.md); --no-report for none
  --dns-port <port>      port of the demo DNS server (default 0: ephemeral)
  -h, --help             this help
`

/** Parses the script's arguments into runTileFetch options. @throws InvalidArgumentError */
export function parseTileFetchArgs(argv: string[]): TileFetchOptions | 'help' {
  const parsed = parseFlags(
    argv,
    {
      count: { type: 'string', short: 'n' },
      concurrency: { type: 'string', short: 'c' },
      attempts: { type: 'string' },
      profile: { type: 'string' },
      report: { type: 'string' },
      'no-report': { type: 'boolean', default: false },
      'dns-port': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    HELP,
  )
  const { values, positionals } = parsed
  if (values.help) return 'help'
  if (positionals.length > 1)
    throw new InvalidArgumentError(`give at most one URL, got ${positionals.length}\n\n${HELP}`)
  if (values.report !== undefined && values['no-report'])
    throw new InvalidArgumentError('give --report or --no-report, not both')
  const options: TileFetchOptions = {}
  if (positionals[0] !== undefined) options.url = positionals[0]
  if (values.count !== undefined) options.count = positiveInt('--count', values.count, 1)
  if (values.concurrency !== undefined) options.concurrency = positiveInt('--concurrency', values.concurrency, 32, 1000)
  if (values.attempts !== undefined) options.maxAttempts = positiveInt('--attempts', values.attempts, 5, 100)
  if (values.profile !== undefined) options.profile = values.profile
  if (values.report !== undefined) options.reportPath = values.report
  if (values['no-report']) options.reportPath = null
  if (values['dns-port'] !== undefined) {
    const port = Number(values['dns-port'])
    if (!/^\d+$/.test(values['dns-port']) || port > 65535)
      throw new InvalidArgumentError(
        `--dns-port must be a port number (0-65535), got ${JSON.stringify(values['dns-port'])}`,
      )
    options.dnsPort = port
  }
  return options
}

async function main(argv: string[]): Promise<number> {
  try {
    const options = parseTileFetchArgs(argv)
    if (options === 'help') {
      process.stdout.write(HELP)
      return 0
    }
    const result = await runTileFetch(options)
    return result.ok ? 0 : 1
  } catch (err) {
    return exitCodeFor(err, process.stderr, 'tile-fetch')
  }
}

runAsScript(import.meta.url, main)
