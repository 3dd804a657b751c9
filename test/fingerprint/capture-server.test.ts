import { connect as tlsConnect } from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../src/errors.js'
import { type CaptureRejection, CaptureServer } from '../../src/fingerprint/capture-server.js'
import { firefox } from '../../src/fingerprint/profiles/index.js'
import { loadCapture, toRecords } from './captures.js'
import { helloFor, sendHello, sendOverTcp } from './helpers.js'

const servers: CaptureServer[] = []
async function start(options: Parameters<typeof CaptureServer.listen>[0] = {}): Promise<CaptureServer> {
  const s = await CaptureServer.listen({ host: '127.0.0.1', ...options })
  servers.push(s)
  return s
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

function nextRejection(server: CaptureServer): Promise<CaptureRejection> {
  return new Promise((resolve) => server.once('reject', resolve))
}

describe('CaptureServer', () => {
  it('fingerprints node:tls, which sees a handshake_failure alert', async () => {
    const server = await start()
    const reference = loadCapture('node-20', 'node20-01').json.fingerprints
    const clientError = new Promise<Error>((resolve) => {
      const socket = tlsConnect({
        host: '127.0.0.1',
        port: server.port,
        servername: 'tiles.test',
        rejectUnauthorized: false,
      })
      socket.once('error', (err) => {
        socket.destroy()
        resolve(err)
      })
      socket.once('secureConnect', () => {
        socket.destroy()
        resolve(new Error('handshake unexpectedly completed'))
      })
    })
    const capture = await server.nextCapture()
    expect(capture!.serverName).toBe('tiles.test')
    expect(capture!.alpn).toEqual([])
    expect(capture!.fingerprints.ja4.slice(0, 4)).toBe('t13d')
    // The reference capture is Node 20 `https.get`; on Node 20 tls.connect sends the same hello.
    if (process.versions.node.startsWith('20.')) expect(capture!.fingerprints.ja4).toBe(reference.ja4)
    expect(String(await clientError)).toMatch(/handshake failure|alert/i)
  })

  it('yields captures through the async iterator in order, and ends it on close', async () => {
    const server = await start()
    const sent: string[] = []
    for (let i = 0; i < 3; i++) {
      const { encoded } = helloFor(firefox)
      await sendHello(server, encoded.message)
      sent.push(encoded.message.toString('hex'))
    }
    const got: string[] = []
    for await (const c of server.captures()) {
      got.push(c.hello.message.toString('hex'))
      expect(c.records.subarray(5).toString('hex')).toBe(c.hello.message.toString('hex'))
      if (got.length === 3) break
    }
    expect(got).toEqual(sent)
    const pending = server.nextCapture()
    await server.close()
    expect(await pending).toBeUndefined()
  })

  it('reassembles a ClientHello split over records and TCP writes', async () => {
    const server = await start()
    const { encoded } = helloFor(firefox)
    const { capture } = await sendOverTcp(server, toRecords(encoded.message, 0x0301, 100))
    expect(capture!.hello.message.equals(encoded.message)).toBe(true)
  })

  it('answers garbage with a decode_error alert and reports it', async () => {
    const server = await start()
    const rejected = nextRejection(server)
    const { reply, capture } = await sendOverTcp(server, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))
    expect(capture).toBeUndefined()
    expect(reply.toString('hex')).toBe('15030300020232')
    expect((await rejected).reason).toBe('malformed')
  })

  it('refuses a first flight larger than maxBytes', async () => {
    const server = await start({ maxBytes: 1000 })
    const rejected = nextRejection(server)
    const { encoded } = helloFor(firefox)
    const { reply, capture } = await sendOverTcp(server, toRecords(encoded.message, 0x0301, 400))
    expect(capture).toBeUndefined()
    expect(reply.toString('hex')).toBe('15030300020228')
    expect((await rejected).reason).toBe('too_large')
  })

  it('drops a client that stalls past the timeout', async () => {
    const server = await start({ timeout: 200 })
    const rejected = nextRejection(server)
    const { encoded } = helloFor(firefox)
    const { reply, capture } = await sendOverTcp(server, toRecords(encoded.message).subarray(0, 100))
    expect(capture).toBeUndefined()
    expect(reply.length).toBe(0)
    expect((await rejected).reason).toBe('timeout')
  })

  it('validates its options', async () => {
    await expect(CaptureServer.listen({ port: 70_000 })).rejects.toThrow(InvalidArgumentError)
    await expect(CaptureServer.listen({ timeout: 0 })).rejects.toThrow(InvalidArgumentError)
  })
})
