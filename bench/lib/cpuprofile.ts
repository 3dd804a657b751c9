/**
 * In-process CPU profile (node:inspector) of one async function, summarized as self time per
 * function, so that a report can name where the time goes without a separate `--cpu-prof` run.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  samples?: number[]
  timeDeltas?: number[]
  startTime: number
  endTime: number
}

export interface HotSpot {
  /** `path:function` relative to `root` (node: internals as `node:…`; V8/native frames by name). */
  readonly where: string
  /** Share of the busy samples (all but idle), 0..1. */
  readonly selfShare: number
  readonly selfMs: number
}

export interface ProfileSummary {
  /** Busy (non-idle) sampled time, ms. */
  readonly busyMs: number
  /** Share of all samples the thread was idle (waiting for I/O), 0..1. */
  readonly idleShare: number
  /** Functions by self time. */
  readonly functions: HotSpot[]
  /** Files (or `node:` modules, native frames) by self time; `where` is the file alone. */
  readonly files: HotSpot[]
  /**
   * Each sample charged to its innermost caller inside `ownPrefix` (e.g. `src/`), so that native and
   * library work lands on the project function that asked for it. Frames under a `callers` prefix
   * (code the project calls back into, e.g. `node_modules/undici/`) stop the walk and take the
   * sample as a whole; samples with neither are charged to `(elsewhere)`.
   */
  readonly own: HotSpot[]
}

const IDLE = '(idle)'

function place(node: ProfileNode, root: string): { fn: string; file: string } {
  const { functionName, url } = node.callFrame
  const name = functionName || '(anonymous)'
  if (!url) return { fn: name, file: name.startsWith('(') ? name : '(native)' }
  const file = url.startsWith('file://') ? relative(root, fileURLToPath(url)) : url
  return { fn: `${file}:${name}`, file }
}

/**
 * Runs `work` under the V8 sampling profiler (100 µs interval) and summarizes self time. With
 * `saveTo`, the raw profile is also written there (a `.cpuprofile` file, as `node --cpu-prof`
 * writes, that Chrome DevTools and speedscope open).
 */
export async function profileHotSpots(
  work: () => Promise<void>,
  root: string,
  top = 10,
  ownPrefix = 'src/',
  callers: readonly string[] = [],
  saveTo?: string,
): Promise<ProfileSummary> {
  const session = new Session()
  session.connect()
  try {
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 100 })
    await session.post('Profiler.start')
    await work()
    const { profile } = (await session.post('Profiler.stop')) as { profile: Profile }
    if (saveTo !== undefined) writeFileSync(saveTo, JSON.stringify(profile))
    return summarizeProfile(profile, root, top, ownPrefix, callers)
  } finally {
    session.disconnect()
  }
}

function rank(map: Map<string, number>, busy: number, top: number): HotSpot[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, us]) => ({ where, selfShare: busy === 0 ? 0 : us / busy, selfMs: us / 1000 }))
}

export function summarizeProfile(
  profile: Profile,
  root: string,
  top: number,
  ownPrefix = 'src/',
  callers: readonly string[] = [],
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const ownOf = new Map<number, string>()
  const outside = '(elsewhere)'
  const ownFrame = (id: number): string => {
    const cached = ownOf.get(id)
    if (cached !== undefined) return cached
    const node = byId.get(id)
    let answer = outside
    if (node) {
      const { fn, file } = place(node, root)
      const caller = callers.find((c) => file.startsWith(c))
      if (caller !== undefined) answer = `${caller} (all of it)`
      else if (file.startsWith(ownPrefix)) answer = fn
      else {
        const up = parent.get(id)
        if (up !== undefined) answer = ownFrame(up)
      }
    }
    ownOf.set(id, answer)
    return answer
  }
  const fns = new Map<string, number>()
  const files = new Map<string, number>()
  const own = new Map<string, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  let idle = 0
  let busy = 0
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!)
    if (!node) continue
    const us = deltas[i + 1] ?? deltas[i] ?? 0
    const { fn, file } = place(node, root)
    if (fn === IDLE) {
      idle += us
      continue
    }
    busy += us
    fns.set(fn, (fns.get(fn) ?? 0) + us)
    files.set(file, (files.get(file) ?? 0) + us)
    const mine = ownFrame(node.id)
    own.set(mine, (own.get(mine) ?? 0) + us)
  }
  return {
    busyMs: busy / 1000,
    idleShare: idle + busy === 0 ? 0 : idle / (idle + busy),
    functions: rank(fns, busy, top),
    files: rank(files, busy, top),
    own: rank(own, busy, top),
  }
}
