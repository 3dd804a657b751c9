/**
 * A project-local Node.js 24 (OpenSSL 3.5: X25519MLKEM768 in TLS, native ML-KEM in node:crypto),
 * installed from the npm registry's `node` package into .cache/node24 on first use. Tests that need
 * it skip with a message when it cannot be installed (no registry access).
 */
import { projectNode } from './project-node.js'

export { PROJECT_ROOT } from './project-node.js'

/** Path of a Node >= 24.7 binary, or undefined (see `node24Missing()` for the reason). */
export function node24(): string | undefined {
  return projectNode(24, [24, 7]).bin
}

export function node24Missing(): string {
  return projectNode(24, [24, 7]).why
}
