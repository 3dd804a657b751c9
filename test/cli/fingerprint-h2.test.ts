/**
 * `hotconn fingerprint --listen --h2`: hotconn's own HTTP/2 clients (chrome, firefox) and an
 * HTTP/1.1 client connect; the printed Akamai fingerprints and header orders are the profiles'.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { request } from 'undici'
import { main } from '../../src/cli/main.js'
import { getHttpProfile } from '../../src/fingerprint/profiles/index.js'
import { H2Channel } from '../../src/http/h2-channel.js'
import { HttpChannel } from '../../src/http/channel.js'
import { connect } from '../../src/tls/connect.js'

describe('hotconn fingerprint --listen --h2', () => {
  it('prints the Akamai fingerprint and header order of each client', async () => {
    const out: string[] = []
    const err: string[] = []
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } }
    const done = main(['fingerprint', '--listen', '127.0.0.1:0', '--h2', '--count', '3', '--json'], io)
    for (let i = 0; i < 100 && !err.join('').includes('listening'); i++) await new Promise((r) => setTimeout(r, 20))
    const m = /listening on 127\.0\.0\.1:(\d+) .*CA certificate in (\S+)\)/.exec(err.join(''))
    expect(m).not.toBeNull()
    const port = Number(m![1])
    const ca = readFileSync(m![2]!, 'utf8')
    for (const profile of ['chrome', 'firefox'] as const) {
      const socket = await connect({ host: 'localhost', ip: '127.0.0.1', port, profile, ca })
      const http = getHttpProfile(profile)
      const ch = new H2Channel(socket, {
        origin: `https://localhost:${port}`,
        fingerprint: http.http2,
        defaultHeaders: http.headers.navigation.h2,
        kind: 'navigation',
      })
      const res = await request(`https://localhost:${port}/`, { dispatcher: ch.client })
      await res.body.text()
      await ch.close()
    }
    const socket = await connect({
      host: 'localhost',
      ip: '127.0.0.1',
      port,
      profile: 'firefox',
      ca,
      alpn: ['http/1.1'],
    })
    const h1 = new HttpChannel(
      socket,
      {
        origin: `https://localhost:${port}`,
        keepAliveTimeoutMs: 1000,
        defaultHeaders: getHttpProfile('firefox').headers.image.h1,
      },
      () => {},
    )
    await (await request(`https://localhost:${port}/`, { dispatcher: h1.client })).body.text()
    await h1.close()
    expect(await done).toBe(0)
    const lines = out
      .join('')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            alpn: string
            akamai?: string
            streamId?: number
            headerOrder: string[]
            priority?: { weight: number }
          },
      )
    expect(lines.map((l) => l.akamai)).toEqual([
      '1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p',
      '1:65536;2:0;4:131072;5:16384|12517377|0|m,p,a,s',
      undefined,
    ])
    expect(lines[0]!.priority?.weight).toBe(256)
    expect(lines[1]!.streamId).toBe(3)
    expect(lines[1]!.headerOrder.slice(4)).toEqual(
      getHttpProfile('firefox')
        .headers.navigation.h2.filter(([, v]) => v !== null)
        .map(([n]) => n),
    )
    expect(lines[2]!.alpn).toBe('http/1.1')
    // Firefox's HTTP/1.1 layout: Host first, Connection after Accept-Encoding (firefox_ca-01.http.txt).
    expect(lines[2]!.headerOrder).toEqual(
      getHttpProfile('firefox')
        .headers.image.h1.filter(([n, v]) => v !== null || n === 'Host' || n === 'Connection')
        .map(([n]) => n),
    )
  })
})
