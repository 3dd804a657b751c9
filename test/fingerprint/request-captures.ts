/** Loads the request-head captures of `test/fixtures/captures/*-requests/` (see the README there). */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { FINGERPRINTS_DIR } from './captures.js'

export interface CapturedRequest {
  readonly connection: number
  readonly sequence: number
  readonly alpn: 'h2' | 'http/1.1'
  readonly hello?: { ja4: string; length: number; alpn: string[] }
  readonly akamai?: string
  readonly streamId?: number
  readonly priority?: { exclusive: boolean; dependsOn: number; weight: number }
  readonly hpack?: string
  readonly method: string
  readonly path: string
  readonly authority: string
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly server: 'a' | 'b'
}

export interface RequestCaptureFile {
  readonly browser: string
  readonly alpn: 'h2' | 'http/1.1'
  readonly origins: { page: string; sameSite: string; crossSite: string }
  readonly requests: readonly CapturedRequest[]
}

export type CaptureBrowser = 'chromium' | 'firefox'

const DIRS: Record<CaptureBrowser, string> = {
  chromium: 'chromium-156-requests',
  firefox: 'firefox-esr-153-requests',
}

export function loadRequestCaptures(browser: CaptureBrowser, alpn: 'h2' | 'http/1.1'): RequestCaptureFile {
  const file = join(FINGERPRINTS_DIR, DIRS[browser], alpn === 'h2' ? 'h2.json' : 'http1.1.json')
  return JSON.parse(readFileSync(file, 'utf8')) as RequestCaptureFile
}

/** A field's value (first, case-insensitive), or undefined. */
export function field(r: CapturedRequest, name: string): string | undefined {
  return r.headers.find(([n]) => n.toLowerCase() === name)?.[1]
}

/** The page each captured request came from: `/r/<dest>/<page>[-s|-x]`; the page's origin. */
export function initiatorOf(file: RequestCaptureFile, r: CapturedRequest): string | undefined {
  const m = /^\/r\/(\w+)\/([a-z]+)/.exec(r.path)
  if (r.path === '/favicon.ico') return undefined
  if (m === null) return undefined
  const [, dest, page] = m
  if (dest === 'document') {
    // top: typed; next: from top (page origin); land: from next (page origin); back: from land (cross-site origin).
    return page === 'top' ? undefined : page === 'back' ? file.origins.crossSite : file.origins.page
  }
  if (page === 'land' || page === 'back' || page === 'done') return file.origins.page
  return file.origins.page
}
