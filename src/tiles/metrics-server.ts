/** The Prometheus scrape endpoint: GET /metrics on host:port (e.g. `--metrics 127.0.0.1:9464`). */
import { createServer, type Server } from 'node:http'
import { isIP } from 'node:net'
import type { Registry } from 'prom-client'
import { InvalidArgumentError } from '../errors.js'

export interface MetricsServer {
  /** http://host:port/metrics */
  readonly url: string
  close(): Promise<void>
}

/** Parses "host:port" ("127.0.0.1:9464", "[::1]:9464", ":9464" for 127.0.0.1). @throws InvalidArgumentError */
export function parseListenAddress(text: string, flag = '--metrics'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim())
  const host = m?.[1] ?? (m?.[2] === '' ? '127.0.0.1' : m?.[2])
  const port = Number(m?.[3])
  if (m === null || host === undefined || port > 65535 || (isIP(host) === 0 && host !== 'localhost'))
    throw new InvalidArgumentError(`${flag} must be ip:port (e.g. 127.0.0.1:9464), got ${JSON.stringify(text)}`)
  return { host, port }
}

/** Serves `registry` at /metrics; port 0 picks a free port. @throws the listen error */
export async function serveMetrics(registry: Registry, address: string): Promise<MetricsServer> {
  const { host, port } = parseListenAddress(address)
  const server: Server = createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try GET /metrics\n')
      return
    }
    registry.metrics().then(
      (text) =>
        res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const bound = server.address() as { port: number }
  const shown = isIP(host) === 6 ? `[${host}]` : host
  return {
    url: `http://${shown}:${bound.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()),
  }
}
