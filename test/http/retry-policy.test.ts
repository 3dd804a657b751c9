import { describe, expect, it } from 'vitest'
import { nextStep, type AttemptOutcome, type NextStep, type Tries } from '../../src/http/retry-policy.js'

const base: AttemptOutcome = {
  kind: 'transport',
  responseStarted: false,
  reused: true,
  replayable: true,
  bodyReplayable: true,
}
const none: Tries = { race: 0, unprocessed: 0 }
const limits = { maxRetries: 1, maxUnprocessed: 6 }

// [case, outcome changes, tries, expected]
const table: Array<[string, Partial<AttemptOutcome>, Tries, NextStep]> = [
  ['keep-alive race on a reused connection: a fresh one', {}, none, 'retry_fresh'],
  ['the race again after the one retry', {}, { race: 1, unprocessed: 0 }, 'fail'],
  ['a connection dialed for the request', { reused: false }, none, 'fail'],
  ['a non-idempotent request (POST)', { replayable: false, bodyReplayable: true }, none, 'fail'],
  ['a streamed body', { replayable: false, bodyReplayable: false }, none, 'fail'],
  ['after a response byte', { responseStarted: true }, none, 'fail'],
  ['headers timeout (Go: never retried)', { kind: 'timeout' }, none, 'fail'],
  ['body timeout mid-response', { kind: 'timeout', responseStarted: true }, none, 'fail'],
  ['user abort', { kind: 'aborted' }, none, 'fail'],
  ['a bad request or a handler exception', { kind: 'request' }, none, 'fail'],
  ['not processed (GOAWAY / REFUSED_STREAM): any connection', { kind: 'unprocessed' }, none, 'retry_any'],
  ['not processed, whatever the method', { kind: 'unprocessed', replayable: false }, none, 'retry_any'],
  ['not processed, on a connection dialed for it', { kind: 'unprocessed', reused: false }, none, 'retry_any'],
  ['not processed, race budget spent', { kind: 'unprocessed' }, { race: 1, unprocessed: 5 }, 'retry_any'],
  ['not processed, budget spent', { kind: 'unprocessed' }, { race: 0, unprocessed: 6 }, 'fail'],
  ['not processed but a streamed body', { kind: 'unprocessed', bodyReplayable: false }, none, 'fail'],
  [
    'not processed after a response byte (impossible, still fail)',
    { kind: 'unprocessed', responseStarted: true },
    none,
    'fail',
  ],
]

describe('nextStep: the pool retry policy', () => {
  it.each(table)('%s', (_what, changes, tries, expected) => {
    expect(nextStep({ ...base, ...changes }, tries, limits)).toBe(expected)
  })

  it('maxRetries = 0 turns the keep-alive retry off', () => {
    expect(nextStep(base, none, { maxRetries: 0, maxUnprocessed: 6 })).toBe('fail')
    expect(nextStep({ ...base, kind: 'unprocessed' }, none, { maxRetries: 0, maxUnprocessed: 6 })).toBe('retry_any')
  })
})
