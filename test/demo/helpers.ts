/** Small HTTPS client helpers for the demo tests: requests pinned to one IP with SNI = host. */

import { request, type Agent } from 'node:https'
import type { IncomingHttpHeaders } from 'node:http'

export interface SimpleResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

export interface PinnedRequest {
  ip: string
  port: number
  servername: string
  ca: string
  path?: string
  method?: string
  agent?: Agent
  /** Extra request fields (`cookie`, …). */
  headers?: Record<string, string>
}

/** One request to `ip` with SNI and Host = servername; rejects after 5 s. */
export function pinnedRequest(opts: PinnedRequest): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: opts.ip,
        port: opts.port,
        servername: opts.servername,
        headers: { host: `${opts.servername}:${opts.port}`, ...opts.headers },
        ca: opts.ca,
        path: opts.path ?? '/',
        method: opts.method ?? 'GET',
        agent: opts.agent ?? false,
        timeout: 5000,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error('request timed out after 5 s')))
    req.on('error', reject)
    req.end()
  })
}

/** Polls `condition` every 10 ms until it holds; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
