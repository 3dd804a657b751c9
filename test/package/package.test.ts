/**
 * hotconn as users get it: `npm pack`, installed into an empty project (test/package/consumer.ts),
 * then, on Node 20 (this one), 22 and 24 (project-local): `require` and `import` of every subpath
 * export, the CLI, a strict TypeScript sample type-checked with module node16, nodenext and
 * bundler and run, the README's Library example and `hotconn/crawlee`'s client (in a project
 * without Crawlee, its optional peer) run against a private HTTP/1.1 and HTTP/2 origin. Every script must exit 0 on its own (the README flow within 10 s). Runs in `.ci/run`
 * (`npm run test:package`, about 2 minutes: the pack's build, one install, three tsc runs).
 */
import { execFile } from 'node:child_process'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projectNode, PROJECT_ROOT } from '../helpers/project-node.js'
import { packAndInstall, type Consumer } from './consumer.js'
import { ORIGIN_IPS, startPrivateOrigin, type PrivateOrigin } from './origin.js'
import { readmeLibraryExample, withPort } from './readme.js'

interface Ran {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  ms: number
}

/** Runs `node args…` in `cwd`; a run longer than `timeoutMs` is killed (signal set). */
function runNode(node: string, args: string[], cwd: string, timeoutMs = 10_000): Promise<Ran> {
  const start = Date.now()
  return new Promise((resolve) => {
    execFile(node, args, { cwd, timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null
      resolve({
        code: e === null ? 0 : typeof e.code === 'number' ? e.code : null,
        signal: e?.signal ?? null,
        stdout,
        stderr,
        ms: Date.now() - start,
      })
    })
  })
}

/** The samples do more than the README flow (four requests, two identities): a looser bound on a busy machine. */
const SCRIPT_MS = 20_000

const describeRun = (r: Ran): string => `exit ${r.code} ${r.signal ?? ''} after ${r.ms} ms\n${r.stdout}\n${r.stderr}`

const NODES = [
  { name: 'Node 20', bin: process.execPath, why: '' },
  { name: 'Node 22', ...projectNode(22, [22, 12]) },
  { name: 'Node 24', ...projectNode(24, [24, 0]) },
]
for (const n of NODES) if (n.bin === undefined) console.warn(`skipping the ${n.name} runs: ${n.why}`)

const TS_MODES = [
  { module: 'node16', moduleResolution: 'node16' },
  { module: 'nodenext', moduleResolution: 'nodenext' },
  { module: 'esnext', moduleResolution: 'bundler' },
] as const

let consumer: Consumer
const origins = new Map<'h1' | 'h2', PrivateOrigin>()

beforeAll(async () => {
  consumer = await packAndInstall()
  for (const protocol of ['h1', 'h2'] as const) {
    const origin = await startPrivateOrigin(protocol)
    origins.set(protocol, origin)
    await writeFile(join(consumer.dir, `ca-${protocol}.pem`), origin.caPem)
    await writeFile(join(consumer.dir, `readme-${protocol}.ts`), withPort(readmeLibraryExample(), origin.port))
  }
  // The README reads ca.pem from the working directory: each run gets its own folder.
  for (const protocol of ['h1', 'h2'] as const) {
    const dir = join(consumer.dir, `run-${protocol}`)
    await mkdir(dir)
    await writeFile(join(dir, 'ca.pem'), origins.get(protocol)!.caPem)
  }
  await writeFile(join(consumer.dir, 'crawlee-client.mjs'), CRAWLEE_CLIENT)
  for (const file of ['sample.ts', 'sample-cjs.cts'])
    await copyFile(join(PROJECT_ROOT, 'test/package/app', file), join(consumer.dir, file))
}, 600_000)

afterAll(async () => {
  await Promise.all([...origins.values()].map((o) => o.close()))
  await consumer?.remove()
})

describe('the tarball', () => {
  it('holds dist/, bin/, config/config.toml, README.md and package.json, and nothing else', async () => {
    const outside = consumer.files.filter((f) => !f.startsWith('dist/'))
    expect(outside).toEqual(['README.md', 'bin/hotconn.js', 'config/config.toml', 'package.json'])
    // dist/ is exactly the build of src/: a .js and a .d.ts per module, no source map, nothing stale.
    const dist = consumer.files.filter((f) => f.startsWith('dist/'))
    expect(dist.filter((f) => !/\.(js|d\.ts)$/.test(f))).toEqual([])
    const modules = new Set(dist.map((f) => f.slice('dist/'.length).replace(/\.(js|d\.ts)$/, '')))
    for (const m of modules) {
      expect(existsSync(join(PROJECT_ROOT, 'src', `${m}.ts`)), `dist/${m} has no src/${m}.ts`).toBe(true)
      expect(dist).toEqual(expect.arrayContaining([`dist/${m}.js`, `dist/${m}.d.ts`]))
    }
    expect(modules.has('index') && modules.has('cli/main') && modules.has('crawlee/index')).toBe(true)
  })

  it('installs without a script of its own: npm warns about no hotconn script', () => {
    expect(consumer.installWarnings).not.toMatch(/hotconn@/)
  })

  it('declares no runtime dependency that its code does not load', async () => {
    const manifest = JSON.parse(await readFile(join(consumer.dir, 'node_modules/hotconn/package.json'), 'utf8'))
    expect(Object.keys(manifest.dependencies)).not.toContain('@peculiar/x509')
    expect(manifest.scripts.prepare).toBeUndefined()
  })

  it('has Crawlee as an optional peer only: the install brings none of it', async () => {
    const manifest = JSON.parse(await readFile(join(consumer.dir, 'node_modules/hotconn/package.json'), 'utf8'))
    expect(manifest.peerDependencies).toEqual({ '@crawlee/core': expect.stringMatching(/^\^3\./) })
    expect(manifest.peerDependenciesMeta).toEqual({ '@crawlee/core': { optional: true } })
    expect(Object.keys(manifest.dependencies).filter((d) => d.includes('crawlee'))).toEqual([])
    expect(existsSync(join(consumer.dir, 'node_modules/@crawlee'))).toBe(false)
    expect(manifest.exports['./crawlee']).toEqual({
      types: './dist/crawlee/index.d.ts',
      default: './dist/crawlee/index.js',
    })
  })
})

/** hotconn/crawlee as a crawler would call it, in a project without Crawlee (an optional peer). */
const CRAWLEE_CLIENT = `
import { readFileSync } from 'node:fs'
import { HotConnPool } from 'hotconn'
import { HotConnHttpClient } from 'hotconn/crawlee'
const [origin, caFile, ...ips] = process.argv.slice(2)
const resolver = {
  resolve: async () => ({ addresses: ips.map((address) => ({ address, family: 4, ttlMs: 60000 })), minTtlMs: 60000 }),
}
const pool = new HotConnPool({ ca: readFileSync(caFile), resolver })
const client = new HotConnHttpClient({ pool })
const res = await client.sendRequest({ url: origin + '/crawlee', timeout: { request: 10000 } })
console.log('crawlee ' + res.statusCode + ' ' + res.body)
await pool.close()
`

const EXPORTS_CHECK = `
const manifest = require('hotconn/package.json')
;(async () => {
  const out = {}
  for (const key of Object.keys(manifest.exports)) {
    if (key === './package.json') continue
    const spec = key === '.' ? 'hotconn' : 'hotconn/' + key.slice(2)
    const required = require(spec)
    const imported = await import(spec)
    const names = Object.keys(imported).filter((k) => k !== 'default' && k !== 'module.exports')
    out[spec] = {
      names: names.length,
      sameNames: names.every((k) => k in required),
      sameValues: names.every((k) => required[k] === imported[k]),
    }
  }
  console.log(JSON.stringify(out))
})().catch((err) => { console.error(err); process.exitCode = 1 })
`

describe.each(NODES)('$name', ({ bin, why }) => {
  const it_ = bin === undefined ? it.skip : it
  if (bin === undefined) it.skip(`skipped: ${why}`, () => {})

  it_('require() and import of every subpath export load one module (same classes), with no warning', async () => {
    await writeFile(join(consumer.dir, 'exports-check.cjs'), EXPORTS_CHECK)
    const r = await runNode(bin!, ['exports-check.cjs'], consumer.dir)
    expect(r.code, describeRun(r)).toBe(0)
    expect(r.stderr).toBe('')
    const result = JSON.parse(r.stdout) as Record<string, { names: number; sameNames: boolean; sameValues: boolean }>
    const manifest = JSON.parse(await readFile(join(consumer.dir, 'node_modules/hotconn/package.json'), 'utf8'))
    expect(Object.keys(result).length).toBe(Object.keys(manifest.exports).length - 1)
    for (const [spec, v] of Object.entries(result)) {
      expect(v.names, spec).toBeGreaterThan(0)
      expect(v, spec).toMatchObject({ sameNames: true, sameValues: true })
    }
    expect(result['hotconn']!.names).toBeGreaterThan(100)
  })

  it_('the CLI runs from the install (hotconn fingerprint --profile chrome --json)', async () => {
    const r = await runNode(
      bin!,
      ['node_modules/hotconn/bin/hotconn.js', 'fingerprint', '--profile', 'chrome', '--json'],
      consumer.dir,
    )
    expect(r.code, describeRun(r)).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ ja4: expect.stringMatching(/^t13d\d{4}h2_/) })
  })
})

describe('TypeScript', () => {
  const strict = {
    strict: true,
    target: 'ES2022',
    lib: ['ES2022'],
    types: ['node'],
    skipLibCheck: false,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
  }

  it.each(TS_MODES)('the sample and the README example type-check with module $module', async (mode) => {
    const emit = mode.module === 'nodenext'
    const files = ['sample.ts', 'readme-h1.ts', 'readme-h2.ts', ...(emit ? ['sample-cjs.cts'] : [])]
    const config = {
      compilerOptions: { ...strict, ...mode, ...(emit ? { outDir: 'out', rootDir: '.' } : { noEmit: true }) },
      files,
    }
    const name = `tsconfig.${mode.moduleResolution}.json`
    await writeFile(join(consumer.dir, name), JSON.stringify(config, null, 2))
    const tsc = join(consumer.dir, 'node_modules/typescript/bin/tsc')
    const r = await runNode(process.execPath, [tsc, '-p', name], consumer.dir, 120_000)
    expect(r.code, describeRun(r)).toBe(0)
  })
})

describe.each(NODES)('scripts on $name', ({ bin, why }) => {
  const it_ = bin === undefined ? it.skip : it
  if (bin === undefined) it.skip(`skipped: ${why}`, () => {})

  describe.each(['h1', 'h2'] as const)('over %s', (protocol) => {
    const expectedVersion = protocol === 'h2' ? '2.0' : '1.1'

    it_('the README Library example (create, warm-up, 3 fetches, close) exits 0 on its own within 10 s', async () => {
      const origin = origins.get(protocol)!
      const before = new Map(origin.seen)
      const r = await runNode(bin!, [`../out/readme-${protocol}.js`], join(consumer.dir, `run-${protocol}`))
      expect(r.code, describeRun(r)).toBe(0)
      expect(r.signal).toBeNull()
      expect(r.stdout).toMatch(/127\.0\.0\.2: 1 opened, 127\.0\.0\.3: 1 opened/)
      expect(r.stdout.match(/^\d\/\d\/\d 200 \d+ bytes$/gm)).toHaveLength(3)
      const served = [...origin.seen].reduce(
        (n, [k, v]) => n + (k.endsWith(expectedVersion) ? v - (before.get(k) ?? 0) : 0),
        0,
      )
      expect(served).toBe(3)
    })

    it_('the TypeScript sample (global fetch, undici fetch, compose, forIdentity) exits 0 on its own', async () => {
      const origin = origins.get(protocol)!
      const args = ['out/sample.js', origin.url, `ca-${protocol}.pem`, ...ORIGIN_IPS]
      const r = await runNode(bin!, args, consumer.dir, SCRIPT_MS)
      expect(r.code, describeRun(r)).toBe(0)
      for (const label of ['global-fetch', 'undici-fetch', 'composed'])
        expect(r.stdout).toMatch(new RegExp(`^${label} 200 ${expectedVersion.replace('.', '\\.')} .*Chrome/`, 'm'))
      expect(r.stdout).toMatch(new RegExp(`^request 200 ${expectedVersion.replace('.', '\\.')} .*Firefox/`, 'm'))
    })

    it_(
      'hotconn/crawlee without Crawlee installed: HotConnHttpClient.sendRequest, then exit 0 on its own',
      async () => {
        const origin = origins.get(protocol)!
        const args = ['crawlee-client.mjs', origin.url, `ca-${protocol}.pem`, ...ORIGIN_IPS]
        const r = await runNode(bin!, args, consumer.dir, SCRIPT_MS)
        expect(r.code, describeRun(r)).toBe(0)
        expect(r.stdout).toMatch(new RegExp(`^crawlee 200 ${expectedVersion.replace('.', '\\.')} .*Chrome/`, 'm'))
      },
    )

    it_('the CommonJS sample (require of hotconn) exits 0 on its own', async () => {
      const origin = origins.get(protocol)!
      const args = ['out/sample-cjs.cjs', origin.url, `ca-${protocol}.pem`, ...ORIGIN_IPS]
      const r = await runNode(bin!, args, consumer.dir, SCRIPT_MS)
      expect(r.code, describeRun(r)).toBe(0)
      expect(r.stdout).toMatch(new RegExp(`^cjs 200 ${expectedVersion.replace('.', '\\.')} `, 'm'))
      expect(r.stdout).toMatch(/^closed true$/m)
    })
  })
})
