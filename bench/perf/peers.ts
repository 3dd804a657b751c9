/**
 * Peer clients (impit, wreq-js, got-scraping) installed at bench time with
 * `npm install --no-save` into `.cache/peers` (never into the project's dependencies), loaded from
 * there by path. A peer that fails to install or to load is reported with the reason.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

export const PEER_PACKAGES = ['impit', 'wreq-js', 'got-scraping'] as const
export type PeerName = (typeof PEER_PACKAGES)[number]

export interface PeerModule {
  readonly name: PeerName
  readonly version: string
  readonly module: unknown
}

export interface PeerLoad {
  readonly loaded: PeerModule[]
  /** Peer name -> why it is not in this run. */
  readonly skipped: Partial<Record<PeerName, string>>
}

function installedVersion(prefix: string, name: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(prefix, 'node_modules', name, 'package.json'), 'utf8')) as {
      version?: string
    }
    return pkg.version
  } catch {
    return undefined
  }
}

function entryOf(prefix: string, name: string): string {
  const dir = join(prefix, 'node_modules', name)
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    main?: string
    exports?: Record<string, { import?: string | { default?: string }; default?: string } | string>
  }
  const dot = pkg.exports?.['.']
  let rel: string | undefined
  if (typeof dot === 'string') rel = dot
  else if (dot) rel = typeof dot.import === 'string' ? dot.import : (dot.import?.default ?? dot.default)
  return join(dir, rel ?? pkg.main ?? 'index.js')
}

function npmInstall(prefix: string, names: readonly string[], log: (m: string) => void): Promise<string | undefined> {
  mkdirSync(prefix, { recursive: true })
  const manifest = join(prefix, 'package.json')
  if (!existsSync(manifest))
    writeFileSync(manifest, `${JSON.stringify({ name: 'hotconn-bench-peers', private: true }, null, 2)}\n`)
  log(`installing ${names.join(', ')} into ${prefix} (npm install --no-save)…`)
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, ...names],
      { timeout: 180_000, maxBuffer: 8 << 20 },
      (err, _stdout, stderr) =>
        resolve(
          err
            ? `npm install failed: ${
                (stderr || err.message)
                  .split('\n')
                  .filter((l) => /ERR|error/i.test(l))
                  .slice(0, 3)
                  .join(' ') || err.message
              }`
            : undefined,
        ),
    )
  })
}

/**
 * Installs the missing peers (unless `install` is false) and imports each.
 * @param prefix install prefix, e.g. `<root>/.cache/peers`
 */
export async function loadPeers(
  prefix: string,
  wanted: readonly PeerName[],
  install: boolean,
  log: (m: string) => void,
): Promise<PeerLoad> {
  const skipped: Partial<Record<PeerName, string>> = {}
  const missing = wanted.filter((n) => installedVersion(prefix, n) === undefined)
  if (missing.length > 0) {
    if (install) {
      const failure = await npmInstall(prefix, missing, log)
      if (failure !== undefined)
        for (const n of missing) if (installedVersion(prefix, n) === undefined) skipped[n] = failure
    } else {
      for (const n of missing) skipped[n] = `not installed in ${prefix} and --no-install was given`
    }
  }
  const loaded: PeerModule[] = []
  for (const name of wanted) {
    if (skipped[name] !== undefined) continue
    const version = installedVersion(prefix, name)
    if (version === undefined) {
      skipped[name] = 'not installed after npm install'
      continue
    }
    try {
      const module: unknown = await import(pathToFileURL(entryOf(prefix, name)).href)
      loaded.push({ name, version, module })
    } catch (err) {
      skipped[name] = `import failed: ${(err as Error).message.split('\n')[0]}`
    }
  }
  return { loaded, skipped }
}
