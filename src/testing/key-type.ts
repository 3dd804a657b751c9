/**
 * Key algorithms the test PKI can generate. `rsa-pss` is an RSASSA-PSS key (RFC 4055), SHA-256, salt 32.
 * `ml-dsa-65` (FIPS 204) needs a Node.js with ML-DSA in node:crypto (>= 24.7). `rsa-1024`, `rsa-2052`,
 * `ecdsa-p192` and `dsa` are keys the web PKI forbids (BR §6.1.5), for negative tests; `dsa` signs nothing.
 * In a file of its own so that public declarations naming it (the demo origin's options) do not
 * load node-forge's types, which an installed hotconn does not have.
 */
export type TestKeyType =
  | 'rsa'
  | 'ecdsa-p256'
  | 'ecdsa-p384'
  | 'ecdsa-p521'
  | 'ed25519'
  | 'rsa-pss'
  | 'ml-dsa-65'
  | 'rsa-1024'
  | 'rsa-2052'
  | 'ecdsa-p192'
  | 'dsa'
