/**
 * The child side of a client that runs in another Node (bench/perf/child-kind.ts): started with
 * `<node> --import tsx bench/perf/child-client.ts <kind> <role>` and an IPC channel, it makes
 * hotconn's client (`hot` with a connection count, or `cold`) for the target it is sent, then runs
 * batches of GETs on request and answers each with the latencies and its own CPU time.
 */
import { hotconnKind, type HttpClient, type Target } from './clients.js'
import { useBuiltLibrary } from './library.js'
import { runGets } from './load.js'

type Message =
  | { op: 'open'; mode: 'hot' | 'cold'; target: Target; connections: number }
  | { op: 'run'; path: string; count: number; concurrency: number }
  | { op: 'close' }

let client: HttpClient | undefined
const send = (m: unknown): void => void process.send!(m)

process.on('message', (m: Message) => {
  void (async () => {
    try {
      if (m.op === 'open') {
        client = m.mode === 'hot' ? await hotconnKind.hot(m.target, m.connections) : await hotconnKind.cold(m.target)
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
// The parent built dist/ before it started this process.
await useBuiltLibrary({ build: false })
send({ ready: true })
