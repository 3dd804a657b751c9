/** The machine and runtime a benchmark ran on, for reports. */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'

export interface MachineInfo {
  readonly cpuModel: string
  /** Logical CPUs available to this process (os.availableParallelism). */
  readonly cores: number
  readonly memoryGiB: number
  readonly platform: string
  readonly arch: string
  readonly kernel: string
  /** 1-minute load average when the info was taken (other work on the machine widens the spreads). */
  readonly loadAverage1m: number
  readonly node: string
  readonly openssl: string
  readonly v8: string
  /** Installed versions of the npm packages asked for, `undefined` when not installed. */
  readonly packages: Readonly<Record<string, string | undefined>>
}

const require = createRequire(import.meta.url)

function packageVersion(name: string): string | undefined {
  try {
    // Resolve the entry point, then walk up to the package's own package.json (exports may hide it).
    let dir = require.resolve(name)
    for (let i = 0; i < 6; i++) {
      dir = dir.slice(0, dir.lastIndexOf('/'))
      try {
        const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { name?: string; version?: string }
        if (pkg.name === name) return pkg.version
      } catch {
        // not this directory
      }
    }
  } catch {
    // not installed
  }
  return undefined
}

export function machineInfo(packages: readonly string[] = ['undici']): MachineInfo {
  const cpus = os.cpus()
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: os.platform(),
    arch: os.arch(),
    kernel: os.release(),
    loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100,
    node: process.version,
    openssl: process.versions.openssl ?? 'none',
    v8: process.versions.v8,
    packages: Object.fromEntries(packages.map((p) => [p, packageVersion(p)])),
  }
}
