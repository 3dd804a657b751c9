/**
 * Type-level tests of the configuration types (checked by `npm run typecheck`): the named types
 * are exactly the types derived from the key table, and they are closed.
 */
import type { SECTIONS } from '../../src/config/keys.js'
import type { Reader } from '../../src/config/values.js'
import { resolveConfig } from '../../src/config/resolve.js'
import type {
  Config,
  ConfigInput,
  ConfigInputOf,
  ConfigOf,
  DurationInput,
  HealthMethod,
  PoolConfig,
  StatusRange,
} from '../../src/config/types.js'

/** `true` when A and B are assignable both ways. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
/** `true` when A and B are the identical type (no widening either way). */
type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const is = <T extends true>(): T | undefined => undefined

/** The rows (section.key) whose default is not a valid input of their reader. */
type BadDefaults<Table> = {
  [S in keyof Table]: {
    [K in keyof Table[S]]: Table[S][K] extends { default: infer D; read: Reader<any, infer I> }
      ? [D] extends [I | undefined]
        ? never
        : `${S & string}.${K & string}`
      : `${S & string}.${K & string}`
  }[keyof Table[S]]
}[keyof Table]

is<Exact<BadDefaults<typeof SECTIONS>, never>>()
is<Exact<BadDefaults<{ pool: { x: { toml: 'x'; default: 'ten'; read: Reader<number, number> } } }>, 'pool.x'>>()
is<Same<Config, ConfigOf<typeof SECTIONS>>>()
is<Same<ConfigInput, ConfigInputOf<typeof SECTIONS>>>()
is<Same<NonNullable<ConfigInput['pool']>, NonNullable<ConfigInputOf<typeof SECTIONS>['pool']>>>()
is<Exact<PoolConfig['maxIdleConns'], number>>()
is<Exact<PoolConfig['maxConnsPerIp'], number | undefined>>()
is<Exact<Config['dns']['family'], 0 | 4 | 6>>()
is<Exact<Config['health']['method'], HealthMethod>>()
is<Exact<Config['health']['expect'], readonly StatusRange[]>>()
is<Exact<NonNullable<ConfigInput['pool']>['idleTimeoutMs'], DurationInput | undefined>>()
is<Exact<NonNullable<ConfigInput['pool']>['idle_timeout'], DurationInput | undefined>>()
is<Exact<NonNullable<ConfigInput['pool']>['IdleTimeout'], DurationInput | undefined>>()
is<Exact<ConfigInput['IdleTimeout'], DurationInput | undefined>>()

export function closedInputs(): void {
  // @ts-expect-error a misspelt key
  resolveConfig({ pool: { maxIdleConn: 1 } })
  // @ts-expect-error a misspelt section
  resolveConfig({ pol: { maxIdleConns: 1 } })
  // @ts-expect-error a value of the wrong type
  resolveConfig({ pool: { maxIdleConns: '20' } })
  // @ts-expect-error a choice that is not offered
  resolveConfig({ health: { method: 'POST' } })
  // @ts-expect-error an alias only exists at the top level for keys that have one
  resolveConfig({ MaxPending: 1 })
  // @ts-expect-error a Config is read-only
  resolveConfig().pool.maxIdleConns = 3
  resolveConfig({ pool: { maxIdleConns: 1, max_lifetime: '1m', ConnTimeout: 5 }, MaxConnections: 50 })
}
