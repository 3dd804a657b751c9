/**
 * x509-limbo (C2SP) through the certificate verifier: every SERVER case with a DNS/IP peer name. Writes
 * reports/x509-limbo.md. Fails on a crash (an error other than TlsCertificateError), a hang, a core false
 * accept that the allow-list does not justify, or core agreement under the target.
 *
 * Reads the suite in place: HOTCONN_X509_LIMBO, else ../shared/conformance/x509-limbo/limbo.json.gz beside the
 * repository; skips with a message when it is absent.
 */
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { beforeAll, describe, expect, it } from 'vitest'
import { ALLOWED_FALSE_ACCEPTS } from './limbo/allow-list.js'
import { limboPath, PROJECT_ROOT } from './limbo/cases.js'
import { renderReport, summarize, type Summary } from './limbo/report.js'
import { runLimbo, type CaseResult } from './limbo/run.js'

/** Core agreement the verifier must keep (percent). */
const TARGET = 99.8

const suite = limboPath()
if (!suite.present) {
  console.warn(
    `x509-limbo skipped: ${suite.path} is absent (set HOTCONN_X509_LIMBO to the suite's limbo.json.gz, or place ` +
      'shared/conformance/x509-limbo beside the repository)',
  )
}

describe.skipIf(!suite.present)('x509-limbo SERVER cases', () => {
  let results: CaseResult[]
  let summary: Summary

  beforeAll(async () => {
    const started = performance.now()
    results = await runLimbo(suite.path)
    summary = summarize(results)
    const report = renderReport(summary, {
      wallMs: performance.now() - started,
      allowList: ALLOWED_FALSE_ACCEPTS,
      target: TARGET,
    })
    writeFileSync(resolve(PROJECT_ROOT, 'reports/x509-limbo.md'), report + '\n')
  }, 900_000)

  it('runs the whole suite', () => {
    expect(results.length).toBeGreaterThan(9_000)
  })

  it('never crashes: every rejection is a TlsCertificateError', () => {
    expect(summary.crashes.map((r) => `${r.id}: ${r.reason} ${r.message?.split('\n')[0]}`)).toEqual([])
  })

  it('never hangs', () => {
    expect(summary.hangs.map((r) => r.id)).toEqual([])
  })

  it('accepts no core case the suite rejects, except the reviewed allow-list', () => {
    const unlisted = summary.falseAccepts.filter((r) => !(r.id in ALLOWED_FALSE_ACCEPTS)).map((r) => r.id)
    expect(unlisted).toEqual([])
  })

  it('has no stale allow-list entry', () => {
    const accepted = new Set(summary.falseAccepts.map((r) => r.id))
    expect(Object.keys(ALLOWED_FALSE_ACCEPTS).filter((id) => !accepted.has(id))).toEqual([])
  })

  it(`agrees with the suite on at least ${TARGET} % of the core cases`, () => {
    expect((100 * summary.core.agree) / summary.core.cases).toBeGreaterThanOrEqual(TARGET)
  })
})
