/** Test helpers: encode a profile's hello, send it over real TCP to a capture server. */
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import type { Capture, CaptureServer } from '../../src/fingerprint/capture-server.js'
import { encodeClientHello } from '../../src/fingerprint/encode.js'
import { planClientHello } from '../../src/fingerprint/plan.js'
import { sampleKeyShares } from '../../src/fingerprint/sample-keys.js'
import type { ClientHelloInputs, ClientHelloPlan, ClientHelloSpec } from '../../src/fingerprint/spec.js'
import { isGrease } from '../../src/fingerprint/grease.js'
import { toRecords } from './captures.js'

export function helloFor(
  spec: ClientHelloSpec,
  extra: Partial<ClientHelloInputs> = {},
  plan: ClientHelloPlan = planClientHello(spec),
) {
  const inputs: ClientHelloInputs = {
    random: randomBytes(32),
    sessionId: randomBytes(spec.sessionIdLength),
    serverName: 'tiles.test',
    keyShares: sampleKeyShares(plan),
    ...extra,
  }
  return { plan, inputs, encoded: encodeClientHello(plan, inputs) }
}

/** Sends `bytes` to 127.0.0.1:`port` over TCP; resolves with everything the server sent back before closing. */
export function sendBytes(port: number, bytes: Uint8Array): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('no reply within 5 s'))
    }, 5_000)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    socket.on('end', () => socket.end())
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks))
    })
    socket.write(bytes)
  })
}

/** Sends `bytes` to the server over TCP; resolves with what came back and the server's capture. */
export async function sendOverTcp(
  server: CaptureServer,
  bytes: Uint8Array,
): Promise<{ reply: Buffer; capture: Capture | undefined }> {
  const captured = new Promise<Capture | undefined>((resolve) => {
    const onCapture = (c: Capture): void => {
      server.off('capture', onCapture)
      server.off('reject', onReject)
      resolve(c)
    }
    const onReject = (): void => {
      server.off('capture', onCapture)
      resolve(undefined)
    }
    server.on('capture', onCapture)
    server.once('reject', onReject)
  })
  const reply = await sendBytes(server.port, bytes)
  return { reply, capture: await captured }
}

export async function sendHello(server: CaptureServer, message: Uint8Array, recordVersion = 0x0301) {
  return sendOverTcp(server, toRecords(message, recordVersion))
}

/** Replaces GREASE values by the string 'GREASE'. */
export function normGrease(list: readonly number[] | undefined): Array<number | 'GREASE'> | undefined {
  return list?.map((v) => (isGrease(v) ? 'GREASE' : v))
}
