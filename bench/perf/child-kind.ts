/**
 * A client run in a child process of its own: hotconn under another Node binary (the
 * project-local Node 24, whose node:crypto has native ML-KEM), or a peer (impit, wreq-js,
 * got-scraping), kept out of the process where hotconn and the baseline are measured. The
 * parent's rounds call `runBatch`; the child (child-client.ts) runs the GETs and reports their
 * latencies and its own CPU time, so the row's CPU per request is the child's, not the parent's IPC.
 *
 * Why peers run apart: V8 decides per allocation site whether to allocate its objects in the old
 * generation (allocation-site pretenuring). After 3,000 got-scraping requests in the same process,
 * hotconn's CPU per hot request at concurrency 16 went 38 → 57 µs while undici + node:tls stayed at
 * 35 µs, the bytes per request that died in the old generation went 295 → 5,118 (undici's parser,
 * Node's streams, the pool's request objects), and with `--no-allocation-site-pretenuring` the
 * difference was gone. A peer's own process keeps its heap, its JIT decisions and its native threads
 * to itself.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import type { ClientKind, HttpClient, Target } from './clients.js'
import type { PeerName } from './peers.js'

interface Reply {
  ok?: boolean
  ready?: boolean
  error?: string
  version?: string
  latencies?: number[]
  cpuUs?: number
}

class ChildClient implements HttpClient {
  readonly #child: ChildProcess
  #pending: ((r: Reply) => void) | undefined
  readonly #ready: Promise<Reply>

  constructor(
    node: string,
    root: string,
    private readonly kind: string,
  ) {
    this.#child = fork(join(root, 'bench/perf/child-client.ts'), [], {
      cwd: root,
      execPath: node,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.#ready = new Promise((resolve, reject) => {
      this.#pending = resolve
      this.#child.once('exit', (code) => reject(new Error(`the ${node} child exited (${code}) before it was ready`)))
    })
    this.#child.on('message', (r: Reply) => {
      const p = this.#pending
      this.#pending = undefined
      p?.(r)
    })
  }

  async #call(message: object): Promise<Reply> {
    await this.#ready
    const reply = await new Promise<Reply>((resolve) => {
      this.#pending = resolve
      this.#child.send(message)
    })
    if (reply.ok !== true) throw new Error(`child client: ${reply.error ?? 'no answer'}`)
    return reply
  }

  async open(mode: 'hot' | 'cold', target: Target, connections: number): Promise<string> {
    return (await this.#call({ op: 'open', kind: this.kind, mode, target, connections })).version ?? '?'
  }

  async get(path: string): Promise<number> {
    await this.runBatch(path, 1, 1)
    return 0
  }

  async runBatch(path: string, count: number, concurrency: number): Promise<{ latencies: number[]; cpuUs: number }> {
    const r = await this.#call({ op: 'run', path, count, concurrency })
    return { latencies: r.latencies ?? [], cpuUs: r.cpuUs ?? 0 }
  }

  async close(): Promise<void> {
    try {
      await this.#call({ op: 'close' })
    } catch {
      // already gone
    }
    if (this.#child.exitCode === null) this.#child.kill()
  }
}

/** The client kind `kind` (`hotconn` or a peer's package name) run by `node` in child processes, one per client made. */
function childKind(kind: string, node: string, root: string, shown: Omit<ClientKind, 'hot' | 'cold'>): ClientKind {
  const make = async (mode: 'hot' | 'cold', target: Target, connections: number): Promise<HttpClient> => {
    const c = new ChildClient(node, root, kind)
    try {
      await c.open(mode, target, connections)
    } catch (err) {
      await c.close()
      throw err
    }
    return c
  }
  return {
    ...shown,
    hot: (target, connections) => make('hot', target, connections),
    cold: (target) => make('cold', target, 1),
  }
}

/** hotconn's client as `name`, run by `node` in a child process from the repository at `root`. */
export function childHotconnKind(name: string, node: string, root: string, detail: string): ClientKind {
  return childKind('hotconn', node, root, { name, role: 'hotconn', detail })
}

/** The peer `peer` (its name, role and detail as `peerKind` gives them) run by this Node in a child process of its own. */
export function childPeerKind(peer: ClientKind, pkg: PeerName, root: string): ClientKind {
  const detail = `${peer.detail}; run in a child process of its own (CPU per request is that process's)`
  return childKind(pkg, process.execPath, root, { name: peer.name, role: peer.role, detail })
}
