/**
 * The pool's egresses from its `[egress]` config: one per proxy (the local addresses then take
 * turns as their sources), else one per local address (each a direct egress), else direct.
 */
import type { EgressConfig } from '../config/index.js'
import { DIRECT, toEgress, type Egress, type EgressDefaults } from './egress.js'
import { localAddressesOf, SourceAddresses } from './local-addresses.js'
import { EgressSet } from './rotation.js'

export interface PoolEgress {
  /** The egresses requests rotate over. */
  readonly set: EgressSet
  /** Sources of proxy connections (empty without local addresses). */
  readonly sources: SourceAddresses
  /** What per-request egress inputs inherit. */
  readonly defaults: EgressDefaults
}

/** @throws InvalidArgumentError for a prefix too small for local_prefix_addresses */
export function poolEgressOf(config: EgressConfig): PoolEgress {
  const defaults: EgressDefaults = { resolve: config.resolve, connectHeaders: config.connectHeaders }
  const locals = localAddressesOf(config)
  let egresses: Egress[]
  if (config.proxies.length > 0) egresses = config.proxies.map((url) => toEgress(url, defaults))
  else if (locals.length > 0) egresses = locals.map((localAddress) => toEgress({ localAddress }, defaults))
  else egresses = [DIRECT]
  const rotation = { rotation: config.rotation, stickyTtlMs: config.stickyTtlMs }
  return {
    set: new EgressSet(egresses, rotation),
    sources: new SourceAddresses(config.proxies.length > 0 ? locals : []),
    defaults,
  }
}
