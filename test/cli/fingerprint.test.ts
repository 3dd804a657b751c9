import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { getProfile, profileNames } from '../../src/fingerprint/profiles/index.js'
import { IDENTITY_NAMES, getIdentity } from '../../src/fingerprint/identity/table.js'
import { parseClientHello } from '../../src/fingerprint/parse.js'
import { toRecords } from '../fingerprint/captures.js'
import { helloFor, sendBytes } from '../fingerprint/helpers.js'

function collector() {
  const out: string[] = []
  const err: string[] = []
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
    out: () => out.join(''),
    err: () => err.join(''),
  }
}

describe('hotconn fingerprint --profile', () => {
  it('prints JSON with the profile hello and its fingerprints (chrome)', async () => {
    const c = collector()
    expect(await main(['fingerprint', '--profile', 'chrome', '--json'], c.io)).toBe(0)
    const out = JSON.parse(c.out()) as Record<string, string | number>
    expect(out.ja4).toBe('t13d1517h2_8daaf6152771_cb7bf5808d99')
    expect(out.ja3n_md5).toBe('bd4930bd9b000ee684830e44bab76fdf')
    expect(out.ja4_r).toMatch(/^t13d1517h2_002f,/)
    const hello = parseClientHello(Buffer.from(out.hex as string, 'hex'))
    expect(hello.message.length).toBe(out.length)
    expect(hello.serverName).toBe('example.com')
  })

  it('prints text for firefox, with the capture JA3', async () => {
    const c = collector()
    expect(await main(['fingerprint', '--profile', 'firefox'], c.io)).toBe(0)
    expect(c.out()).toContain('6447ab086255d194909d4013b1a89e87')
    expect(c.out()).toContain('t13d1617h2_86a278354501_3cbfd9057e0d')
  })

  it('reports usage errors with exit code 2', async () => {
    const c = collector()
    expect(await main(['fingerprint', '--profile', 'netscape'], c.io)).toBe(2)
    expect(c.err()).toMatch(/known identities: chrome-156-windows, .*, chrome, firefox/)
    expect(await main(['fingerprint'], c.io)).toBe(2)
    expect(await main(['fingerprint', '--bogus'], c.io)).toBe(2)
    expect(await main(['nope'], c.io)).toBe(2)
    expect(await main(['--help'], c.io)).toBe(0)
    expect(c.out()).toContain('fingerprint')
  })
})

describe('hotconn fingerprint --listen', () => {
  it('prints the fingerprint of each client and stops after --count', async () => {
    const c = collector()
    const done = main(['fingerprint', '--listen', '127.0.0.1:0', '--count', '2', '--json'], c.io)
    for (let i = 0; i < 100 && !c.err().includes('listening'); i++) await new Promise((r) => setTimeout(r, 20))
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(c.err())
    expect(m).not.toBeNull()
    const port = Number(m![1])
    const send = async () => {
      const { encoded } = helloFor(getProfile('firefox'))
      const reply = await sendBytes(port, toRecords(encoded.message))
      expect(reply.toString('hex')).toBe('15030300020228')
    }
    await send()
    await send()
    expect(await done).toBe(0)
    const lines = c
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines).toHaveLength(2)
    for (const l of lines) {
      expect(l.ja4).toBe('t13d1617h2_86a278354501_3cbfd9057e0d')
      expect(l.serverName).toBe('tiles.test')
      expect(l.alpn).toEqual(['h2', 'http/1.1'])
    }
  })
})

describe('hotconn fingerprint --profile <identity> --json, every identity', () => {
  const CHROMIUM = {
    ja4: 't13d1517h2_8daaf6152771_cb7bf5808d99',
    akamai: '1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p',
  }
  const FIREFOX = {
    ja4: 't13d1617h2_86a278354501_3cbfd9057e0d',
    akamai: '1:65536;2:0;4:131072;5:16384|12517377|0|m,p,a,s',
  }
  for (const name of profileNames) {
    it(`${name}: the engine's JA4 and Akamai fingerprint, the identity's UA and client hints`, async () => {
      const c = collector()
      expect(await main(['fingerprint', '--profile', name, '--json'], c.io)).toBe(0)
      const out = JSON.parse(c.out()) as Record<string, string | number | null>
      const id = getIdentity(name)
      const want = id.browser === 'firefox' ? FIREFOX : CHROMIUM
      expect(out.identity).toBe(id.name)
      expect(out.ja4).toBe(want.ja4)
      expect(out.akamai).toBe(want.akamai)
      expect(out.userAgent).toBe(id.userAgent)
      if (id.browser === 'firefox') expect(out.secChUa).toBeNull()
      else
        expect(out.secChUaPlatform).toBe(
          `"${{ windows: 'Windows', macos: 'macOS', linux: 'Linux', android: 'Android' }[id.os]}"`,
        )
      expect(parseClientHello(Buffer.from(out.hex as string, 'hex')).message.length).toBe(out.length)
    })
  }
})

describe("README.md's identity table", () => {
  /** The table's rows under "## Browser identities": identity -> its cells (pipes unescaped). */
  function readmeRows(): Map<string, string[]> {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const section = readme.slice(readme.indexOf('## Browser identities'))
    const rows = new Map<string, string[]>()
    for (const line of section.split('\n')) {
      const m = /^\| `([a-z0-9-]+)` \|(.*)\|$/.exec(line)
      if (m === null) continue
      const cells = m[2]!.split(/(?<!\\)\|/).map((c) => c.trim().replaceAll('\\|', '|'))
      rows.set(m[1]!, cells)
    }
    return rows
  }

  it('has one row per identity, each what `hotconn fingerprint --profile <identity> --json` prints', async () => {
    const rows = readmeRows()
    expect([...rows.keys()]).toEqual([...IDENTITY_NAMES])
    for (const name of IDENTITY_NAMES) {
      const c = collector()
      expect(await main(['fingerprint', '--profile', name, '--json'], c.io)).toBe(0)
      const out = JSON.parse(c.out()) as Record<string, string | null>
      const [ua, hints, akamai, ja4] = rows.get(name)!
      expect(ua, `${name} UA`).toBe(`\`${out.userAgent}\``)
      expect(akamai, `${name} Akamai`).toBe(`\`${out.akamai}\``)
      expect(ja4, `${name} JA4`).toBe(`\`${out.ja4}\``)
      if (out.secChUa === null) expect(hints, `${name} client hints`).toMatch(/^none/)
      else {
        const mobile = out.secChUaMobile === '?1' ? ', mobile `?1`' : ''
        expect(hints, `${name} client hints`).toBe(`\`${out.secChUa}\`, \`${out.secChUaPlatform}\`${mobile}`)
      }
    }
  })
})
