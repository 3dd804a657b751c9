/**
 * In-process CPU profile (node:inspector) of one async function, summarized as self time per
 * function, so that a report can name where the time goes without a separate `--cpu-prof` run.
 */
import { Session } from 'node:inspector/promises'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}

interface Profile {
  nodes: ProfileNode[]
  samples?: number[]
  timeDeltas?: number[]
  startTime: number
  endTime: number
}

export interface HotSpot {
  /** `path:function` relative to `root` (node: internals as `node:…`, `(native)` for V8 builtins). */
  readonly where: string
  /** Share of all samples, 0..1. */
  readonly selfShare: number
  readonly selfMs: number
}

function place(node: ProfileNode, root: string): string {
  const { functionName, url, lineNumber } = node.callFrame
  const fn = functionName || '(anonymous)'
  if (!url) return fn
  let file = url
  if (url.startsWith('file://')) file = relative(root, fileURLToPath(url))
  return `${file}:${lineNumber + 1}:${fn}`
}

/** Runs `work` under the V8 sampling profiler and returns the `top` functions by self time. */
export async function profileHotSpots(work: () => Promise<void>, root: string, top = 12): Promise<{ spots: HotSpot[]; totalMs: number }> {
  const session = new Session()
  session.connect()
  try {
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 100 })
    await session.post('Profiler.start')
    await work()
    const { profile } = (await session.post('Profiler.stop')) as { profile: Profile }
    return summarizeProfile(profile, root, top)
  } finally {
    session.disconnect()
  }
}

export function summarizeProfile(profile: Profile, root: string, top: number): { spots: HotSpot[]; totalMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  let total = 0
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!)
    if (!node) continue
    const us = deltas[i + 1] ?? deltas[i] ?? 0
    total += us
    const key = place(node, root)
    self.set(key, (self.get(key) ?? 0) + us)
  }
  const spots = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, us]) => ({ where, selfShare: total === 0 ? 0 : us / total, selfMs: us / 1000 }))
  return { spots, totalMs: total / 1000 }
}
