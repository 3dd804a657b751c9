/**
 * The demo origin in a process of its own (run by origin-process.ts with `node --import tsx`), so
 * that the origin and the clients a test measures do not share one event loop and one core.
 * argv[2]: JSON { ips, behaviours: { ip: IpBehaviour } }. Messages on the IPC channel:
 * out { type: 'ready', template, caPem, ips, timeOrigin }, { type: 'served', n } (requests answered
 * 200) every 50 ms while it changes, { type: 'requests', list, cpuMs } (the
 * process's CPU so far), { type: 'prerendered' }; in { type: 'requests' }, { type: 'prerender',
 * tiles } (z, x, y triples: DemoOrigin.prerenderTiles), { type: 'close' }.
 */
import type { IpBehaviour, OriginRequestEvent } from '../../src/demo/index.js'
import { startTileOrigin } from '../tiles/helpers.js'

interface ChildOptions {
  ips: string[]
  behaviours?: Record<string, IpBehaviour>
}

const send = (m: object): Promise<void> => new Promise((r) => process.send!(m, () => r()))

const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions
const t = await startTileOrigin({ ips: options.ips })
for (const [ip, b] of Object.entries(options.behaviours ?? {})) t.origin.setBehaviour(ip, b)
const requests: OriginRequestEvent[] = t.requests
let scanned = 0
let served = 0
let sent = -1
const counter = setInterval(() => {
  for (; scanned < requests.length; scanned++) if (requests[scanned]!.status === 200) served++
  if (served !== sent) void send({ type: 'served', n: served })
  sent = served
}, 50)
process.on('message', (m: { type: string; tiles?: number[] }) => {
  if (m.type === 'prerender') {
    const t3 = m.tiles ?? []
    t.origin.prerenderTiles(
      Array.from({ length: t3.length / 3 }, (_, i) => ({ z: t3[3 * i]!, x: t3[3 * i + 1]!, y: t3[3 * i + 2]! })),
    )
    void send({ type: 'prerendered' })
  }
  if (m.type === 'requests') {
    const cpu = process.cpuUsage()
    void send({ type: 'requests', list: requests, cpuMs: (cpu.user + cpu.system) / 1000 })
  }
  if (m.type === 'close') {
    clearInterval(counter)
    void t.close().then(() => process.disconnect())
  }
})
process.on('disconnect', () => {
  clearInterval(counter)
  void t.close()
})
await send({
  type: 'ready',
  template: t.template,
  caPem: t.origin.caPem,
  ips: t.origin.ips,
  timeOrigin: performance.timeOrigin,
})
