/**
 * Each client's JA4 (and whether it offers an X25519MLKEM768 key share), read by pointing one of
 * its requests at hotconn's capture server (the one behind `hotconn fingerprint --listen`). The
 * capture server answers with a handshake_failure alert, so the request fails; only the
 * ClientHello is needed.
 */
import { CaptureServer } from '../../src/fingerprint/capture-server.js'
import type { ClientKind } from './clients.js'

const X25519MLKEM768 = 0x11ec
const GROUP_NAMES: Record<number, string> = {
  0x001d: 'x25519',
  0x0017: 'secp256r1',
  0x0018: 'secp384r1',
  0x0019: 'secp521r1',
  0x11ec: 'X25519MLKEM768',
  0x6399: 'X25519Kyber768Draft00',
  0x001e: 'x448',
  0x0100: 'ffdhe2048',
}

export interface Ja4Capture {
  readonly ja4: string
  readonly ja3n: string
  /** Groups of the key_share extension, GREASE left out. */
  readonly keyShares: string[]
  readonly offersX25519MLKEM768: boolean
  readonly sni: string | undefined
  readonly alpn: readonly string[]
}

const isGrease = (v: number): boolean => (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff)

/** Sends one request of `kind` to a capture server on 127.0.0.1; resolves to its fingerprint or the reason there is none. */
export async function captureJa4(kind: ClientKind, caPem: string, timeoutMs = 5000): Promise<Ja4Capture | string> {
  const server = await CaptureServer.listen({ host: '127.0.0.1', timeout: timeoutMs })
  try {
    const capture = server.nextCapture()
    const client = await kind.hot({ host: 'tiles.test', ip: '127.0.0.1', port: server.port, caPem }, 1)
    const attempt = client.get('/').then(
      () => 'the capture server answered a request, which it never should',
      () => undefined,
    )
    const timer = new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs).unref())
    const got = await Promise.race([capture, timer])
    await Promise.race([attempt, new Promise((r) => setTimeout(r, 1000).unref())])
    await client.close().catch(() => {})
    if (got === undefined) return 'no ClientHello reached the capture server'
    const shares = (got.hello.keyShares ?? []).map((k) => k.group).filter((g) => !isGrease(g))
    return {
      ja4: got.fingerprints.ja4,
      ja3n: got.fingerprints.ja3n.hash,
      keyShares: shares.map((g) => GROUP_NAMES[g] ?? `0x${g.toString(16).padStart(4, '0')}`),
      offersX25519MLKEM768: shares.includes(X25519MLKEM768),
      sni: got.serverName,
      alpn: got.alpn,
    }
  } catch (err) {
    return `capture failed: ${(err as Error).message.split('\n')[0]}`
  } finally {
    await server.close()
  }
}
