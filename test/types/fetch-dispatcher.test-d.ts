/**
 * Type-level tests (checked by `npm run typecheck`; nothing here runs): a pool, a composed pool and
 * `forIdentity()` are dispatchers for Node's global fetch (whose `dispatcher` is typed by
 * @types/node's undici-types, undici 6 here) and for undici 7's own API, with no cast. The packed
 * package is checked the same way in three module modes by test/package/.
 */
import { fetch as undiciFetch, interceptors, request, type Dispatcher } from 'undici'
import { HotConnPool, type FetchDispatcher } from '../../src/index.js'

declare const pool: HotConnPool
type GlobalDispatcher = NonNullable<NonNullable<Parameters<typeof fetch>[1]>['dispatcher']>

export async function globalFetch(): Promise<number> {
  const a = await fetch('https://tiles.test/0/0/0.png', { dispatcher: pool })
  const b = await fetch('https://tiles.test/0/0/0.png', {
    dispatcher: pool.compose(interceptors.retry({ statusCodes: [503] })),
  })
  const c = await fetch('https://tiles.test/0/0/0.png', { dispatcher: pool.forIdentity('firefox-153-linux') })
  return a.status + b.status + c.status
}

export async function undiciApi(): Promise<number> {
  const a = await undiciFetch('https://tiles.test/0/0/0.png', { dispatcher: pool })
  const b = await undiciFetch('https://tiles.test/', { dispatcher: pool.compose(interceptors.dump()) })
  const { statusCode } = await request('https://tiles.test/', { dispatcher: pool.forIdentity('chrome') })
  return a.status + b.status + statusCode
}

// Both Dispatcher types, and the composed dispatcher keeps undici 7's API.
export const asUndici: Dispatcher = pool
export const asGlobal: GlobalDispatcher = pool
export const composed: FetchDispatcher = pool.compose(interceptors.redirect({ maxRedirections: 3 }))
export const composedAsUndici: Dispatcher = composed
export const composedAsGlobal: GlobalDispatcher = composed

// The interceptors compose() takes are still checked.
// @ts-expect-error a number is not an interceptor
pool.compose(42)
