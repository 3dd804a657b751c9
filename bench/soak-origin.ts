/**
 * The soak's faulty origin in a process of its own (`bench/soak.ts --origin-process`), so that a
 * crash can be told apart: the client's or the origin's. Prints one JSON line (hostname, CA, ports,
 * IP) on stdout and serves until its stdin closes.
 */
import { startFaultyOrigin } from '../test/helpers/faulty-h2-origin.js'

const origin = await startFaultyOrigin('127.0.0.1')
process.stdout.write(
  `${JSON.stringify({ hostname: origin.hostname, caPem: origin.caPem, h2Port: origin.h2Port, h1Port: origin.h1Port, ip: origin.ip })}\n`,
)
process.stdin.resume()
process.stdin.on('end', () => void origin.close().then(() => process.exit(0)))
