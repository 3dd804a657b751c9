/**
 * The demo origin's crawl site: `/pages/1` … `/pages/20`, HTML pages linked to each other (page n
 * links to n+1, n+2 and back to 1, so a crawl from page 1 reaches all 20), behind a session cookie
 * as many real sites are: a request without a session this origin issued gets a 302 to the same
 * URL with `Set-Cookie: demo_session=<16 hex>`; with it, the page (which shows the session it
 * saw). A client that drops cookies loops on the 302.
 */
import { randomBytes } from 'node:crypto'
import type { OutgoingHttpHeaders } from 'node:http'

export const PAGE_COUNT = 20
export const SESSION_COOKIE = 'demo_session'
/** Sessions kept per origin before the oldest are forgotten (bounded memory). */
const SESSIONS_MAX = 10_000

export interface PageAnswer {
  status: number
  headers: OutgoingHttpHeaders
  body: Buffer
}

/** The session cookie's value in a `cookie` request field, if any. */
function sessionOf(cookie: string | undefined): string | undefined {
  for (const part of (cookie ?? '').split(';')) {
    const [name, value] = part.trim().split('=', 2)
    if (name === SESSION_COOKIE && value !== undefined) return value
  }
  return undefined
}

function html(n: number, session: string, hostname: string): string {
  const links = [n + 1, n + 2, 1].filter((k) => k <= PAGE_COUNT && k !== n)
  return [
    '<!doctype html>',
    `<html><head><meta charset="utf-8"><title>${hostname} page ${n}</title></head><body>`,
    `<h1>Page ${n} of ${PAGE_COUNT}</h1>`,
    `<p id="session">${session}</p>`,
    '<ul>',
    ...links.map((k) => `<li><a href="/pages/${k}">page ${k}</a></li>`),
    '</ul></body></html>',
    '',
  ].join('\n')
}

/** The answer to GET /pages/`n` with the request's `cookie` field; `sessions` are the ones issued. */
export function pageAnswer(n: number, cookie: string | undefined, sessions: Set<string>, hostname: string): PageAnswer {
  const session = sessionOf(cookie)
  if (session !== undefined && sessions.has(session)) {
    return {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
      body: Buffer.from(html(n, session, hostname)),
    }
  }
  const issued = randomBytes(8).toString('hex')
  if (sessions.size >= SESSIONS_MAX) sessions.clear()
  sessions.add(issued)
  return {
    status: 302,
    headers: {
      location: `/pages/${n}`,
      'set-cookie': `${SESSION_COOKIE}=${issued}; Path=/pages; Secure; HttpOnly; SameSite=Lax`,
      'content-type': 'text/plain; charset=utf-8',
    },
    body: Buffer.from('a session cookie is required: follow the redirect with it\n'),
  }
}
