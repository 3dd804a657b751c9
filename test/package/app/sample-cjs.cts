/**
 * A CommonJS TypeScript user (`.cts`, compiled to `require('hotconn')`): type-checked with module
 * nodenext (TypeScript models Node's require(esm) there; node16 does not) and run.
 *
 *   node sample-cjs.cjs <origin> <ca.pem> <ip>…
 */
import fs = require('node:fs')
import hotconn = require('hotconn')
import type { Resolver } from 'hotconn'

const { HotConnPool, PoolClosedError } = hotconn

const [origin = 'https://tiles.internal:8443', caFile = 'ca.pem', ...ips] = process.argv.slice(2)

const resolver: Resolver = {
  resolve: async () => ({
    addresses: ips.map((address) => ({ address, family: 4 as const, ttlMs: 60_000 })),
    minTtlMs: 60_000,
  }),
}

async function main(): Promise<void> {
  const pool = await HotConnPool.create({ ca: fs.readFileSync(caFile), resolver })
  const res = await fetch(`${origin}/cjs`, { dispatcher: pool })
  console.log(`cjs ${res.status} ${await res.text()}`)
  await pool.close()
  // Classes are the ESM module's own (one copy, no dual-package hazard).
  await pool.warmup(origin).catch((err: unknown) => console.log(`closed ${err instanceof PoolClosedError}`))
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
