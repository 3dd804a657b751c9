/**
 * Load of one client in interleaved rounds with per-request latencies: each round runs a count of
 * GETs with `concurrency` workers sized so that every client's round lasts about the same time,
 * and the rounds of all clients alternate (A, B, C, then B, C, A …) through `interleave()`. A
 * client that throws is dropped from the comparison with its error.
 */
import { calibrateEach, interleave, type Contender } from '../lib/interleave.js'
import { pairedRatio, quantile, summarize, type PairedRatio, type Summary } from '../lib/stats.js'
import type { ClientRole, HttpClient } from './clients.js'
import { oneLine } from './errors.js'

export interface LoadSpec {
  readonly path: string
  readonly concurrency: number
  readonly rounds: number
  /** Wanted duration of one round of each client, ms. */
  readonly roundMs: number
  /** GETs per client before calibration (connections, JIT). */
  readonly warmup: number
  /** Lower and upper bounds of the per-round count. */
  readonly minCount: number
  readonly maxCount?: number
  /** Fixed per-round count (skips calibration). */
  readonly count?: number
}

export interface LoadEntry {
  readonly name: string
  readonly role: ClientRole
  readonly client: HttpClient
}

/** Latency distribution of the timed requests, ms. */
export interface LatencySummary {
  readonly n: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly min: number
  readonly max: number
  /** Median of the per-round p50s and their min – max. */
  readonly roundP50: { readonly median: number; readonly min: number; readonly max: number }
}

export interface LoadRow {
  readonly name: string
  readonly role: ClientRole
  /** Requests per second, one value per round. */
  readonly opsPerSec: number[]
  readonly summary: Summary
  readonly latency: LatencySummary
  /**
   * CPU time of this process (user + sys, process.cpuUsage) per request, µs, one value per round:
   * the client's own work (the origin is another process), including its native threads.
   */
  readonly cpuUsPerOp: number[]
  readonly cpu: Summary
  /** The baseline's CPU per request over this client's, paired per round (> 1 = less CPU); absent on the baseline. */
  readonly cpuRatio?: PairedRatio
  /** Every timed request's latency, ms (kept for charts; rounded to µs). */
  readonly latenciesMs: number[]
  /** Against the baseline row (throughput, paired per round); absent on the baseline. */
  readonly ratio?: PairedRatio
}

export interface LoadResult {
  readonly path: string
  readonly concurrency: number
  readonly rounds: number
  /** GETs per round, per client: each sized to a round of about `roundMs` (calibrateEach). */
  readonly countsPerRound: Readonly<Record<string, number>>
  readonly baseline: string
  readonly rows: LoadRow[]
  /** Client name -> why it was dropped. */
  readonly failed: Record<string, string>
}

/** `count` GETs of `path` with `concurrency` workers; pushes each latency (ms) into `out` if given. */
export async function runGets(
  client: HttpClient,
  path: string,
  count: number,
  concurrency: number,
  out?: number[],
): Promise<void> {
  if (client.runBatch) {
    // A client in another process runs the batch there and measures its latencies itself (no IPC in them).
    const r = await client.runBatch(path, count, concurrency)
    if (out) for (const ms of r.latencies) out.push(ms)
    return
  }
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++
      const t0 = performance.now()
      await client.get(path)
      out?.push(performance.now() - t0)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}

export function latencySummary(rounds: readonly (readonly number[])[]): LatencySummary {
  const all = rounds.flat().sort((a, b) => a - b)
  const p50s = rounds
    .filter((r) => r.length > 0)
    .map((r) =>
      quantile(
        [...r].sort((a, b) => a - b),
        0.5,
      ),
    )
  const s = summarize(p50s.length > 0 ? p50s : [0])
  return {
    n: all.length,
    p50: all.length ? quantile(all, 0.5) : 0,
    p90: all.length ? quantile(all, 0.9) : 0,
    p99: all.length ? quantile(all, 0.99) : 0,
    min: all[0] ?? 0,
    max: all[all.length - 1] ?? 0,
    roundP50: { median: s.median, min: s.min, max: s.max },
  }
}

/** Runs the clients in interleaved rounds; `baseline` names the row the ratios are against. */
export async function compareLoad(
  entries: readonly LoadEntry[],
  spec: LoadSpec,
  baseline: string,
  log: (m: string) => void,
): Promise<LoadResult> {
  const failed: Record<string, string> = {}
  const live = [...entries]
  const drop = (name: string, err: unknown): void => {
    failed[name] = oneLine(err)
    log(`  ${name} dropped: ${failed[name]}`)
  }
  // Warm-up (connections, JIT) outside the rounds; a client that fails here is dropped.
  for (const e of [...live]) {
    try {
      if (e.client.runBatch) await e.client.runBatch(spec.path, spec.warmup, spec.concurrency)
      else await runGets(e.client, spec.path, spec.warmup, spec.concurrency)
    } catch (err) {
      drop(e.name, err)
      live.splice(live.indexOf(e), 1)
    }
  }
  const rounds = new Map<string, number[][]>(live.map((e) => [e.name, []]))
  const cpu = new Map<string, number[]>(live.map((e) => [e.name, []]))
  let recording = false
  const broken = new Set<string>()
  const contenders: Contender[] = live.map((e) => ({
    name: e.name,
    async run(count) {
      if (broken.has(e.name)) return 1
      let lat: number[] = []
      const c0 = process.cpuUsage()
      let cpuUs: number
      try {
        if (e.client.runBatch) {
          const r = await e.client.runBatch(spec.path, count, spec.concurrency)
          lat = r.latencies
          cpuUs = r.cpuUs
        } else {
          await runGets(e.client, spec.path, count, spec.concurrency, lat)
          const used = process.cpuUsage(c0)
          cpuUs = used.user + used.system
        }
      } catch (err) {
        broken.add(e.name)
        drop(e.name, err)
        return 1
      }
      if (recording) {
        rounds.get(e.name)!.push(lat)
        cpu.get(e.name)!.push(cpuUs / count)
      }
      return undefined
    },
  }))
  const counts: Record<string, number> =
    spec.count !== undefined
      ? Object.fromEntries(live.map((e) => [e.name, spec.count!]))
      : await calibrateEach(contenders, {
          probe: Math.max(spec.minCount, spec.concurrency * 4),
          targetMs: spec.roundMs,
          min: spec.minCount,
          ...(spec.maxCount !== undefined ? { max: spec.maxCount } : {}),
        })
  recording = true
  const results = await interleave(contenders, { rounds: spec.rounds, count: counts, warmup: 0 })
  const kept = live.filter((e) => !broken.has(e.name))
  const base = results[baseline]
  const baseCpu = cpu.get(baseline)
  const rows: LoadRow[] = kept.map((e) => {
    const ops = results[e.name]!
    const lat = rounds.get(e.name)!
    const cpuUs = cpu.get(e.name)!
    const paired = e.name !== baseline && baseCpu !== undefined && !broken.has(baseline)
    return {
      cpuUsPerOp: cpuUs,
      cpu: summarize(cpuUs),
      ...(paired ? { cpuRatio: pairedRatio(baseCpu, cpuUs) } : {}),
      name: e.name,
      role: e.role,
      opsPerSec: ops,
      summary: summarize(ops),
      latency: latencySummary(lat),
      latenciesMs: lat.flat().map((v) => Math.round(v * 1000) / 1000),
      ...(e.name !== baseline && base !== undefined && !broken.has(baseline) ? { ratio: pairedRatio(ops, base) } : {}),
    }
  })
  return {
    path: spec.path,
    concurrency: spec.concurrency,
    rounds: spec.rounds,
    countsPerRound: Object.fromEntries(kept.map((e) => [e.name, counts[e.name]!])),
    baseline,
    rows,
    failed,
  }
}

/** CPU time (µs per request, user and sys) of each client's rounds, recorded once `recording` is set. */
export interface CpuRecorder {
  readonly contenders: Contender[]
  readonly cpu: ReadonlyMap<string, { readonly user: number[]; readonly sys: number[] }>
  /** Starts recording (after warm-up and calibration). */
  start(): void
}

/** Contenders that run `path` GETs on each client at `concurrency`, recording this process's CPU per request. */
export function cpuRecordingContenders(
  clients: ReadonlyArray<{ readonly name: string; readonly client: HttpClient }>,
  path: string,
  concurrency: number,
): CpuRecorder {
  const cpu = new Map(clients.map((c) => [c.name, { user: [] as number[], sys: [] as number[] }]))
  let recording = false
  const contenders: Contender[] = clients.map((c) => ({
    name: c.name,
    async run(count) {
      const c0 = process.cpuUsage()
      await runGets(c.client, path, count, concurrency)
      const used = process.cpuUsage(c0)
      if (recording) {
        cpu.get(c.name)!.user.push(used.user / count)
        cpu.get(c.name)!.sys.push(used.system / count)
      }
    },
  }))
  return { contenders, cpu, start: () => (recording = true) }
}
