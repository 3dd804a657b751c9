import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/index.js'
import { AllIpsBlacklistedError } from '../../src/pool/errors.js'
import { IpStates, RETRY_BASE_MS, RETRY_MAX_MS, STRIKE_TTL_MS } from '../../src/pool/ip-states.js'
import { HostEntry, IpEntry } from '../../src/pool/model.js'

function setup() {
  const config = resolveConfig({ blacklist: { failureThreshold: 2, ttlMs: 1_000 } })
  const events: string[] = []
  const states = new IpStates(config.blacklist, {
    blacklisted: (ip, r) => events.push(`blacklisted ${ip.address} ${r.reason}`),
    readmitted: (ip) => events.push(`readmitted ${ip.address}`),
    retryDue: (ip) => events.push(`retry ${ip.address}`),
  })
  const host = new HostEntry('h.test:443', 'h.test', 443, false, 'chrome-156-windows')
  const a = new IpEntry(host, '10.0.0.1', 4)
  const b = new IpEntry(host, '10.0.0.2', 4)
  host.addIp(a)
  host.addIp(b)
  return { states, events, host, a, b }
}

describe('IpStates', () => {
  it('a connect failure is a backoff that doubles up to RETRY_MAX_MS and ends with retryDue', async () => {
    const { states, events, a } = setup()
    const delays: number[] = []
    for (let i = 0; i < 8; i++) {
      const t = performance.now()
      states.connectFailed(a)
      delays.push(Math.round((a.retryAt - t) / 10) * 10)
    }
    expect(delays.slice(0, 3)).toEqual([RETRY_BASE_MS, 2 * RETRY_BASE_MS, 4 * RETRY_BASE_MS])
    expect(Math.max(...delays)).toBeLessThanOrEqual(RETRY_MAX_MS)
    expect(delays.at(-1)).toBe(RETRY_MAX_MS)
    expect(states.backingOff(a)).toBe(true)
    expect(a.state).toBe('active') // connect failures never blacklist
    states.connected(a)
    expect(states.backingOff(a)).toBe(false)
    expect(a.connectFailures).toBe(0)
    states.connectFailed(a)
    await new Promise((r) => setTimeout(r, RETRY_BASE_MS + 50))
    expect(events).toEqual(['retry 10.0.0.1'])
    states.stop()
  })

  it('a dial begun during the backoff (a forced dial, the one retry of a request) is the same strike', () => {
    const { states, a } = setup()
    const first = performance.now()
    states.connectFailed(a, first)
    expect(a.connectFailures).toBe(1)
    // The retry dialed before the backoff ended: the same outage, one strike; the backoff is renewed.
    const retryStarted = performance.now()
    states.connectFailed(a, retryStarted)
    expect(a.connectFailures).toBe(1)
    expect(a.retryAt).toBeGreaterThanOrEqual(retryStarted + RETRY_BASE_MS)
    // A dial begun after the backoff ended is a new failure.
    states.connectFailed(a, a.retryAt)
    expect(a.connectFailures).toBe(2)
    states.stop()
  })

  it('failures older than STRIKE_TTL_MS no longer count: the next backoff starts over', () => {
    const { states, a } = setup()
    states.connectFailed(a)
    states.connectFailed(a)
    expect(a.connectFailures).toBe(2)
    a.failedAt -= STRIKE_TTL_MS + 1
    states.connectFailed(a)
    expect(a.connectFailures).toBe(1)
    states.stop()
  })

  it('"blacklisted" has one source: the state follows the Blacklist record through expiry and re-probe', () => {
    const { states, events, host, a, b } = setup()
    states.judgeStatus(a, 403, undefined)
    expect(a.state).toBe('active')
    states.judgeStatus(a, 403, undefined)
    expect(a.state).toBe('blacklisted')
    expect(states.record(a)?.reason).toMatch(/HTTP 403/)
    states.assertUsable(host) // b still serves
    states.judgeStatus(b, 429, '30')
    expect(b.state).toBe('blacklisted')
    expect(() => states.assertUsable(host)).toThrow(AllIpsBlacklistedError)
    // Expiry: probing, no record; a failed probe blacklists again, a passing one re-admits.
    expect(states.expire([host], Date.now() + 2_000).map((i) => i.address)).toEqual(['10.0.0.1'])
    expect(a.state).toBe('probing')
    expect(states.record(a)).toBeUndefined()
    states.probeFailed(a, 'probe failed: HTTP 403')
    expect(a.state).toBe('blacklisted')
    expect(states.record(a)?.reason).toBe('probe failed: HTTP 403')
    states.expire([host], Date.now() + 2_000)
    states.readmit(a)
    expect(a.state).toBe('active')
    expect(states.record(a)).toBeUndefined()
    expect(events.filter((e) => e.startsWith('blacklisted')).length).toBe(3)
    expect(events).toContain('readmitted 10.0.0.1')
    for (const ip of host.list) expect(ip.state === 'blacklisted').toBe(states.record(ip) !== undefined)
    states.stop()
  })

  it('DNS: an unlisted IP drains and is forgotten once empty; listed again it is readmitted', () => {
    const { states, events, host, a } = setup()
    states.unlisted(a)
    expect(a.state).toBe('draining')
    states.listed(a)
    expect(a.state).toBe('active')
    expect(events).toEqual(['readmitted 10.0.0.1'])
    states.unlisted(a)
    states.forget(a)
    expect(host.ips.has('10.0.0.1')).toBe(false)
    states.stop()
  })
})
