import { describe, expect, it } from 'vitest'
import { LazyAbortSignal } from '../../src/util/lazy-abort.js'

describe('LazyAbortSignal', () => {
  it('reports an abort without a listener, and throws its reason', () => {
    const s = new LazyAbortSignal()
    expect(s.aborted).toBe(false)
    expect(() => s.throwIfAborted()).not.toThrow()
    const reason = new Error('stop')
    s.abort(reason)
    s.abort(new Error('later'))
    expect(s.aborted).toBe(true)
    expect(s.reason).toBe(reason)
    expect(() => s.throwIfAborted()).toThrow(reason)
  })

  it('runs a listener added before the abort once, and none added after (as AbortSignal)', () => {
    const s = new LazyAbortSignal()
    const calls: string[] = []
    const removed = (): void => void calls.push('removed')
    s.addEventListener('abort', () => calls.push('first'), { once: true })
    s.addEventListener('abort', removed)
    s.removeEventListener('abort', removed)
    s.abort(new Error('stop'))
    s.addEventListener('abort', () => calls.push('late'))
    expect(calls).toEqual(['first'])
  })

  it('defaults the reason to an AbortError', () => {
    const s = new LazyAbortSignal()
    s.abort()
    expect((s.reason as DOMException).name).toBe('AbortError')
  })
})
