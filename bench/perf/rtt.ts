/**
 * A real round-trip time between client and origin. First choice: a network namespace with a veth
 * pair and `tc netem delay` on both ends (needs root, iproute2 and the kernel's sch_netem); the
 * origin runs inside the namespace, the client outside. When that is not possible, the reason is
 * kept and a userspace relay (a child process) can add the same one-way delay on loopback instead,
 * holding each new connection's first client bytes for one extra round trip as the TCP handshake
 * would.
 */
import { execFile, fork, type ChildProcess } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface NetemPath {
  readonly namespace: string
  /** Address of the namespace side (where the origin listens). */
  readonly serverIp: string
  readonly clientIp: string
  readonly oneWayDelayMs: number
  /** Command prefix that runs a program inside the namespace. */
  readonly exec: readonly string[]
  teardown(): Promise<void>
}

async function ip(args: string[]): Promise<void> {
  await run('ip', args, { timeout: 10_000 })
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string }
  return (e.stderr || e.message || String(err)).trim().split('\n')[0]!
}

/**
 * Creates namespace + veth (10.200.<n>.1 outside, .2 inside, a /30 of the run's own pair) with
 * netem `delayMs` on both ends. Resolves to the path, or to a string saying why it cannot.
 */
export async function setupNetem(delayMs: number): Promise<NetemPath | string> {
  if (process.getuid?.() !== 0) return 'needs root (ip netns add, tc qdisc)'
  const tag = `hcb${process.pid % 100000}`
  const ns = `${tag}ns`
  const outer = `${tag}a`
  const inner = `${tag}b`
  const net = 200 + (process.pid % 50)
  const clientIp = `10.${net}.0.1`
  const serverIp = `10.${net}.0.2`
  const teardown = async (): Promise<void> => {
    await ip(['netns', 'del', ns]).catch(() => {})
    await ip(['link', 'del', outer]).catch(() => {})
  }
  const step = async (what: string, f: () => Promise<unknown>): Promise<string | undefined> => {
    try {
      await f()
      return undefined
    } catch (err) {
      await teardown()
      return `${what} failed: ${firstLine(err)}`
    }
  }
  try {
    await run('ip', ['-V'], { timeout: 5000 })
  } catch {
    return 'iproute2 (`ip`) is not installed (apt-get install -y iproute2)'
  }
  const steps: Array<[string, () => Promise<unknown>]> = [
    ['ip netns add', () => ip(['netns', 'add', ns])],
    ['ip link add … type veth', () => ip(['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner])],
    ['ip link set … netns', () => ip(['link', 'set', inner, 'netns', ns])],
    [
      'addresses',
      async () => {
        await ip(['addr', 'add', `${clientIp}/30`, 'dev', outer])
        await ip(['link', 'set', outer, 'up'])
        await ip(['-n', ns, 'addr', 'add', `${serverIp}/30`, 'dev', inner])
        await ip(['-n', ns, 'link', 'set', inner, 'up'])
        await ip(['-n', ns, 'link', 'set', 'lo', 'up'])
      },
    ],
    [
      `tc qdisc add … netem delay ${delayMs}ms`,
      async () => {
        await run('tc', ['qdisc', 'add', 'dev', outer, 'root', 'netem', 'delay', `${delayMs}ms`], { timeout: 10_000 })
        await run(
          'ip',
          ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', inner, 'root', 'netem', 'delay', `${delayMs}ms`],
          { timeout: 10_000 },
        )
      },
    ],
  ]
  for (const [what, f] of steps) {
    const failure = await step(what, f)
    if (failure !== undefined) return failure
  }
  return { namespace: ns, serverIp, clientIp, oneWayDelayMs: delayMs, exec: ['ip', 'netns', 'exec', ns], teardown }
}

// CommonJS source of the relay child (plain Node, no loader).
const RELAY_SOURCE = `
const net = require('node:net')
const o = JSON.parse(process.env.HOTCONN_DELAY_RELAY)
let connections = 0
const now = () => performance.now()
// One delayed, order-keeping pipe: each chunk is delivered at max(its due time, the previous one's).
function delayed(from, to, dueOf) {
  const queue = []
  let timer = null
  let last = 0
  const pump = () => {
    timer = null
    const t = now()
    while (queue.length > 0 && queue[0].at <= t + 0.2) {
      const item = queue.shift()
      if (item.end) to.end(); else if (!to.destroyed) to.write(item.chunk)
    }
    if (queue.length > 0) timer = setTimeout(pump, Math.max(0, queue[0].at - now()))
  }
  const push = (item) => {
    item.at = Math.max(dueOf(now()), last)
    last = item.at
    queue.push(item)
    if (timer === null) timer = setTimeout(pump, Math.max(0, item.at - now()))
  }
  from.on('data', (chunk) => push({ chunk }))
  from.on('end', () => push({ end: true }))
}
const server = net.createServer((c) => {
  connections++
  const opened = now()
  const u = net.connect(o.targetPort, o.targetHost)
  c.setNoDelay(true); u.setNoDelay(true)
  // Client bytes leave no earlier than the SYN-ACK would have come back (one round trip).
  delayed(c, u, (t) => Math.max(t, opened + 2 * o.delayMs) + o.delayMs)
  delayed(u, c, (t) => t + o.delayMs)
  // A close travels like the data: the other side is destroyed once everything queued has gone.
  const later = (s) => () => setTimeout(() => s.destroy(), 3 * o.delayMs + 50)
  c.on('error', later(u)); u.on('error', later(c)); c.on('close', later(u)); u.on('close', later(c))
})
server.listen(0, o.listenHost, () => process.send({ port: server.address().port }))
process.on('message', (m) => {
  if (m === 'count') process.send({ connections })
})
`

export interface DelayRelay {
  readonly host: string
  readonly port: number
  readonly oneWayDelayMs: number
  /** TCP connections the relay accepted so far. */
  connections(): Promise<number>
  close(): Promise<void>
}

/** Starts the relay on `listenHost` (an ephemeral port), forwarding to `target`. */
export async function startDelayRelay(
  listenHost: string,
  targetHost: string,
  targetPort: number,
  delayMs: number,
): Promise<DelayRelay> {
  const child: ChildProcess = fork('-e', [RELAY_SOURCE], {
    execArgv: [],
    env: { ...process.env, HOTCONN_DELAY_RELAY: JSON.stringify({ listenHost, targetHost, targetPort, delayMs }) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`delay relay exited with ${String(code)}`)))
    child.once('message', (m: { port: number }) => resolve(m.port))
  })
  return {
    host: listenHost,
    port,
    oneWayDelayMs: delayMs,
    connections: () =>
      new Promise((resolve) => {
        child.once('message', (m: { connections: number }) => resolve(m.connections))
        child.send('count')
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.removeAllListeners('exit')
        child.once('exit', () => resolve())
        child.kill()
      }),
  }
}
