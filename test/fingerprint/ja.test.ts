import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fingerprintClientHello } from '../../src/fingerprint/ja.js'
import { parseClientHello } from '../../src/fingerprint/parse.js'
import { FINGERPRINTS_DIR, listCaptures, loadCapture, toRecords } from './captures.js'

const dirs = ['chromium-156', 'firefox-esr-153', 'curl-7.88', 'node-20']

describe('JA3 / JA4 reproduce the reference values of every capture', () => {
  for (const dir of dirs) {
    for (const capture of listCaptures(dir)) {
      it(`${dir}/${capture.name}`, () => {
        const fp = fingerprintClientHello(parseClientHello(capture.bin))
        const ref = capture.json.fingerprints
        expect(fp.ja3.string).toBe(ref.ja3)
        expect(fp.ja3.hash).toBe(ref.ja3_md5)
        expect(fp.ja3n.string).toBe(ref.ja3n_sorted_ext_nonstandard)
        expect(fp.ja3n.hash).toBe(ref.ja3n_md5)
        expect(fp.ja4).toBe(ref.ja4)
        expect(fp.ja4_r).toBe(ref.ja4_r)
        expect(fp.ja4_o).toBe(ref.ja4_o)
        expect(fp.ja4_ro).toBe(ref.ja4_ro)
      })
    }
  }
})

describe('the values published in README.md and SUMMARY.md', () => {
  const fp = (dir: string, name: string) => fingerprintClientHello(parseClientHello(loadCapture(dir, name).bin))
  const readme = readFileSync(join(FINGERPRINTS_DIR, 'README.md'), 'utf8')

  it('Chromium 156 (fresh, resumption, sorted JA3, chromium-01 JA3)', () => {
    const fresh = fp('chromium-156', 'chromium-01')
    const resumed = fp('chromium-156', 'chromium_ice-03')
    expect(fresh.ja4).toBe('t13d1517h2_8daaf6152771_cb7bf5808d99')
    expect(resumed.ja4).toBe('t13d1518h2_8daaf6152771_e2d80978ab2e')
    expect(fresh.ja3.hash).toBe('6a9279816da534aebbdc5585b5079687')
    expect(fresh.ja3n.hash).toBe('bd4930bd9b000ee684830e44bab76fdf')
    expect(fresh.ja4_r).toBe(
      't13d1517h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,ca34,fe0d,ff01_0904,0905,0906,0403,0804,0401,0503,0805,0501,0806,0601',
    )
    expect(readme).toContain(fresh.ja4)
    expect(readme).toContain(resumed.ja4)
  })

  it('Firefox ESR 153 (fresh and resumption)', () => {
    const fresh = fp('firefox-esr-153', 'firefox-01')
    const resumed = fp('firefox-esr-153', 'firefox_ca-04')
    expect(fresh.ja3.hash).toBe('6447ab086255d194909d4013b1a89e87')
    expect(fresh.ja4).toBe('t13d1617h2_86a278354501_3cbfd9057e0d')
    expect(fresh.ja4_o).toBe('t13d1617h2_d6294ab6b85e_df135d36b6d5')
    expect(resumed.ja3.hash).toBe('f19d54c853fffdd9eeab77ae607448e9')
    expect(resumed.ja4).toBe('t13d1617h2_86a278354501_e6dcd7ae0a9e')
    expect(readme).toContain(fresh.ja3.hash)
    expect(readme).toContain(resumed.ja4)
  })

  it('curl 7.88 and Node 20', () => {
    const curl = fp('curl-7.88', 'curl-01')
    const node = fp('node-20', 'node20-01')
    expect(curl.ja4).toBe('t13d3112h2_e8f1e7e78f70_b26ce05bbdd6')
    expect(curl.ja3.hash).toBe('0149f47eabf9a20d0893e2a44e5a6323')
    expect(node.ja4).toBe('t13d591000_a33745022dd6_1f22a2ca17c4')
    expect(node.ja3.hash).toBe('0cce74b0d9b7f8528fb2181588d23793')
  })

  it('gives the same result from the record form as from the handshake message', () => {
    const c = loadCapture('chromium-156', 'chromium-02')
    expect(fingerprintClientHello(parseClientHello(toRecords(c.bin, 0x0301, 700)))).toEqual(
      fingerprintClientHello(parseClientHello(c.bin)),
    )
  })
})
