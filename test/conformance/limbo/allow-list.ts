/**
 * x509-limbo core cases the verifier is allowed to accept although the suite expects a rejection. Each entry
 * says why hotconn accepts such a chain on purpose; keep the list short and reviewed. The test fails on a
 * false accept missing here, and on an entry that is no longer a false accept (so the list cannot go stale).
 */
export const ALLOWED_FALSE_ACCEPTS: Readonly<Record<string, string>> = {}
