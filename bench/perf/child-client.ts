/**
 * The child side of a client that runs in a process of its own (bench/perf/child-kind.ts):
 * started with `<node> --import tsx bench/perf/child-client.ts` and an IPC channel, it makes the
 * client of the kind it is sent (`hotconn`, or a peer installed in `.cache/peers`), `hot` with a
 * connection count or `cold`, for the target it is sent; then runs batches of GETs on request and
 * answers each with the latencies and its own CPU time.
 */
import { join } from 'node:path'
import { hotconnKind, peerKind, type ClientKind, type HttpClient, type Target } from './clients.js'
import { useBuiltLibrary } from './library.js'
import { runGets } from './load.js'
import { loadPeers, PEER_PACKAGES, type PeerName } from './peers.js'

type Message =
  | { op: 'open'; kind: string; mode: 'hot' | 'cold'; target: Target; connections: number }
  | { op: 'run'; path: string; count: number; concurrency: number }
  | { op: 'close' }

let client: HttpClient | undefined
const send = (m: unknown): void => void process.send!(m)

/** The kind named `name`: hotconn (the parent built dist/ before it started this process) or an installed peer. */
async function kindNamed(name: string): Promise<ClientKind> {
  if (name === 'hotconn') {
    await useBuiltLibrary({ build: false })
    return hotconnKind
  }
  if (!(PEER_PACKAGES as readonly string[]).includes(name)) throw new Error(`unknown client kind ${name}`)
  const peers = await loadPeers(join(process.cwd(), '.cache/peers'), [name as PeerName], false, () => {})
  const peer = peers.loaded[0]
  if (peer === undefined) throw new Error(`${name}: ${peers.skipped[name as PeerName] ?? 'not loaded'}`)
  return peerKind(peer)
}

process.on('message', (m: Message) => {
  void (async () => {
    try {
      if (m.op === 'open') {
        const kind = await kindNamed(m.kind)
        client = m.mode === 'hot' ? await kind.hot(m.target, m.connections) : await kind.cold(m.target)
        send({ ok: true, version: process.version })
      } else if (m.op === 'run') {
        const latencies: number[] = []
        const c0 = process.cpuUsage()
        await runGets(client!, m.path, m.count, m.concurrency, latencies)
        const used = process.cpuUsage(c0)
        send({ ok: true, latencies, cpuUs: used.user + used.system })
      } else {
        await client?.close()
        send({ ok: true })
        process.disconnect()
      }
    } catch (err) {
      send({ ok: false, error: (err as Error).message })
    }
  })()
})
send({ ready: true })
