/** Loads the reference captures in `test/fixtures/captures` (the ground truth for the profiles). */
import { readFileSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const FINGERPRINTS_DIR =
  process.env.HOTCONN_FINGERPRINTS ?? resolve(fileURLToPath(import.meta.url), '../../fixtures/captures')

export interface ReferenceCapture {
  readonly name: string
  readonly dir: string
  readonly bin: Buffer
  readonly json: {
    readonly fingerprints: Record<string, string>
    readonly extensions: ReadonlyArray<{ type: number; body_hex: string; grease: boolean }>
  }
}

export function loadCapture(dir: string, name: string): ReferenceCapture {
  const base = join(FINGERPRINTS_DIR, dir, name)
  return {
    name,
    dir,
    bin: readFileSync(`${base}.bin`),
    json: JSON.parse(readFileSync(`${base}.json`, 'utf8')) as ReferenceCapture['json'],
  }
}

export function listCaptures(dir: string): ReferenceCapture[] {
  return readdirSync(join(FINGERPRINTS_DIR, dir))
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => loadCapture(dir, f.slice(0, -4)))
}

/** Wraps a handshake message in TLS records of at most `fragment` bytes (RFC 8446 §5.1). */
export function toRecords(message: Uint8Array, recordVersion = 0x0301, fragment = 16_384): Buffer {
  const out: Buffer[] = []
  for (let i = 0; i < message.length; i += fragment) {
    const part = message.subarray(i, Math.min(message.length, i + fragment))
    const head = Buffer.alloc(5)
    head[0] = 22
    head.writeUInt16BE(recordVersion, 1)
    head.writeUInt16BE(part.length, 3)
    out.push(head, Buffer.from(part))
  }
  return Buffer.concat(out)
}
