/**
 * Self time of a `.cpuprofile` by layer (share of the busy samples): undici, Node's streams and
 * net, node:crypto, the socket write syscall, hotconn's tls, http and pool code, GC and the VM,
 * the bench loop. For the analysis next to reports/perf.md.
 *
 *   npx tsx bench/profile-shares.ts <file.cpuprofile> [<file.cpuprofile> …]
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

interface Node {
  id: number
  callFrame: { functionName: string; url: string }
  children?: number[]
}

const CRYPTO_NATIVES = new Set([
  'initiv',
  'CipherBase',
  'update',
  'final',
  'setAAD',
  'setAuthTag',
  'getAuthTag',
  'Hmac',
  'digest',
  'Hash',
  'statelessDH',
  'RandomBytesJob',
  'keyDetail',
  'initEDRaw',
  'export',
  'init',
])

/** The layer a frame's self time is charged to. */
export function layerOf(frame: Node['callFrame']): string {
  const { functionName: f, url } = frame
  if (f === '(idle)') return 'idle'
  if (f === '(garbage collector)' || f === '(program)') return 'GC and VM'
  if (f === 'writeBuffer' && url === '') return 'socket write syscall (writeBuffer)'
  // esbuild's keepNames under tsx (src/ run through it; the built package dist/ has none).
  if (f === '__name' || (f === 'set name' && url === '')) return "tsx's __name on closures"
  if (url === 'node:buffer' || url === 'node:internal/buffer' || /^(latin1|utf8|ucs2)(Slice|Write)$/.test(f))
    return 'Buffer allocation, slices, copies'
  if (url.includes('node_modules/undici/') || url.startsWith('wasm://')) return 'undici (incl. llhttp wasm)'
  if (url.includes('node_modules/@noble/')) return '@noble (ML-KEM)'
  if (/\/(src|dist)\/tls\//.test(url)) return 'hotconn tls'
  if (/\/(src|dist)\/http\//.test(url)) return 'hotconn http'
  if (/\/(src|dist)\/pool\//.test(url) || /\/(src|dist)\/egress\//.test(url)) return 'hotconn pool'
  if (/\/(src|dist)\//.test(url)) return 'hotconn util and others'
  if (url.includes('/bench/')) return 'bench loop'
  if (url.includes('crypto/') || url === 'node:crypto' || (url === '' && CRYPTO_NATIVES.has(f))) return 'node:crypto'
  if (/streams\/|node:net|stream_base_commons|node:stream|node:events|events/.test(url))
    return 'node streams, net, events'
  if (/task_queues|timers|runMicrotasks/.test(url) || f === 'runMicrotasks') return 'microtasks, ticks, timers'
  if (url.startsWith('node:internal/source_map') || url.includes('source_map')) return 'source maps (tsx)'
  return 'other Node internals and natives'
}

export function shares(file: string): { busy: number; layers: Array<[string, number]> } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[] }
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const count = new Map<string, number>()
  let busy = 0
  for (const s of p.samples) {
    const layer = layerOf(byId.get(s)!.callFrame)
    if (layer === 'idle') continue
    busy++
    count.set(layer, (count.get(layer) ?? 0) + 1)
  }
  return { busy, layers: [...count].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / busy]) }
}

if (process.argv[1]?.endsWith('profile-shares.ts')) {
  for (const file of process.argv.slice(2)) {
    const { busy, layers } = shares(file)
    console.log(`${basename(file)} (${busy} busy samples)`)
    for (const [k, v] of layers) console.log(`  ${(v * 100).toFixed(1).padStart(5)} %  ${k}`)
  }
}
