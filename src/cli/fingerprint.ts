/**
 * `hotconn fingerprint`: show the ClientHello a profile sends with its JA3/JA4, or run a local
 * capture server that prints the fingerprints of every client that connects.
 *
 *   hotconn fingerprint --profile chrome [--servername example.com] [--json]
 *   hotconn fingerprint --listen 127.0.0.1:8443 [--count N] [--json]
 *   hotconn fingerprint --listen 127.0.0.1:8443 --h2 [--count N] [--json]
 */
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { InvalidArgumentError } from '../errors.js'
import { type Capture, CaptureServer } from '../fingerprint/capture-server.js'
import { encodeClientHello } from '../fingerprint/encode.js'
import { type ClientFingerprints, fingerprintClientHello } from '../fingerprint/ja.js'
import { parseClientHello } from '../fingerprint/parse.js'
import { planClientHello } from '../fingerprint/plan.js'
import { getProfile, profileNames } from '../fingerprint/profiles/index.js'
import { getIdentity } from '../fingerprint/identity/table.js'
import { secChUa, secChUaMobile, secChUaPlatform } from '../fingerprint/identity/client-hints.js'
import { profileAkamai } from '../fingerprint/http.js'
import { sampleKeyShares } from '../fingerprint/sample-keys.js'
import type { ClientHelloInputs, ClientHelloPlan } from '../fingerprint/spec.js'
import { H2FingerprintServer, formatHttpReport, type HttpClientReport } from './h2-listen.js'
import type { CliIO, Command } from './main.js'

const HELP = `Usage:
  hotconn fingerprint --profile <identity> [--servername <host>] [--json]
      Print what the identity sends: its UA, client hints and HTTP/2 Akamai fingerprint, and the
      ClientHello (hex) with its JA3, JA3 with sorted extensions, JA4 and JA4_r.
      Identities: ${profileNames.join(', ')}.
  hotconn fingerprint --listen <host:port> [--count <n>] [--json]
      Listen for TLS clients, print each ClientHello's SNI, ALPN, JA3 and JA4, answer with a
      handshake_failure alert. Stops after <n> clients (default: until interrupted).
  hotconn fingerprint --listen <host:port> --h2 [--count <n>] [--json]
      Complete the TLS handshake (ALPN h2, http/1.1; certificate from a CA made at start, its
      PEM path is printed) and print each client's HTTP/2 Akamai fingerprint, first HEADERS
      priority fields and header order (HTTP/1.1 clients: their header order).
`

export const fingerprintCommand: Command = {
  summary: "show a profile's ClientHello fingerprints, or fingerprint clients that connect",
  run,
}

async function run(argv: string[], io: CliIO): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        profile: { type: 'string' },
        servername: { type: 'string' },
        listen: { type: 'string' },
        count: { type: 'string' },
        json: { type: 'boolean', default: false },
        h2: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}\n${HELP}`)
  }
  if (values.help) {
    io.stdout.write(HELP)
    return 0
  }
  if ((values.profile === undefined) === (values.listen === undefined)) {
    throw new InvalidArgumentError(`give exactly one of --profile or --listen\n${HELP}`)
  }
  if (values.profile !== undefined) {
    if (values.count !== undefined) throw new InvalidArgumentError('--count goes with --listen')
    return showProfile(values.profile, values.servername ?? 'example.com', values.json, io)
  }
  if (values.servername !== undefined) throw new InvalidArgumentError('--servername goes with --profile')
  const count = values.count === undefined ? undefined : parseCount(values.count)
  if (values.h2) return listenHttp(values.listen!, count, values.json, io)
  return listen(values.listen!, count, values.json, io)
}

function parseCount(s: string): number {
  const n = Number(s)
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`--count must be a positive integer, got ${JSON.stringify(s)}`)
  return n
}

/** `host:port` or `[v6]:port`. */
function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s)
  const port = m === null ? NaN : Number(m[3])
  if (m === null || port > 65_535)
    throw new InvalidArgumentError(`--listen must be host:port (e.g. 127.0.0.1:8443), got ${JSON.stringify(s)}`)
  return { host: m[1] ?? m[2]!, port }
}

function fingerprintJson(fp: ClientFingerprints): Record<string, string> {
  return {
    ja3: fp.ja3.string,
    ja3_md5: fp.ja3.hash,
    ja3n: fp.ja3n.string,
    ja3n_md5: fp.ja3n.hash,
    ja4: fp.ja4,
    ja4_r: fp.ja4_r,
    ja4_o: fp.ja4_o,
    ja4_ro: fp.ja4_ro,
  }
}

/**
 * Key shares as the TLS engine would generate them; the fingerprint layer's sample shares (same
 * sizes) when the engine cannot be loaded or cannot do one of the groups.
 */
async function keySharesFor(plan: ClientHelloPlan): Promise<ClientHelloInputs['keyShares']> {
  try {
    const tls = await import('../tls/index.js')
    return tls
      .generateKeyShares(plan.keyShareGroups, { reuseX25519InHybrid: plan.spec.reuseX25519InHybrid })
      .map((k) => ({ group: k.group, keyExchange: k.publicKey }))
  } catch {
    return sampleKeyShares(plan)
  }
}

async function showProfile(name: string, serverName: string, json: boolean, io: CliIO): Promise<number> {
  const id = getIdentity(name)
  const spec = getProfile(name)
  const akamai = profileAkamai(id.http2)
  const hints = id.clientHints
  const plan = planClientHello(spec)
  const { message } = encodeClientHello(plan, {
    random: randomBytes(32),
    sessionId: randomBytes(spec.sessionIdLength),
    serverName,
    keyShares: await keySharesFor(plan),
  })
  const fp = fingerprintClientHello(parseClientHello(message))
  if (json) {
    io.stdout.write(
      JSON.stringify(
        {
          identity: id.name,
          browser: id.browser,
          version: id.version,
          os: id.os,
          profile: spec.name,
          source: spec.source,
          userAgent: id.userAgent,
          secChUa: hints === undefined ? null : secChUa(hints.brands),
          secChUaMobile: hints === undefined ? null : secChUaMobile(hints.mobile),
          secChUaPlatform: hints === undefined ? null : secChUaPlatform(hints.platform),
          akamai,
          serverName,
          length: message.length,
          hex: message.toString('hex'),
          ...fingerprintJson(fp),
        },
        null,
        2,
      ) + '\n',
    )
  } else {
    io.stdout.write(
      `identity  ${id.name} (${id.source})\n` +
        `UA        ${id.userAgent}\n` +
        (hints === undefined
          ? ''
          : `sec-ch-ua ${secChUa(hints.brands)}; mobile ${secChUaMobile(hints.mobile)}; platform ${secChUaPlatform(hints.platform)}\n`) +
        `Akamai    ${akamai}\n` +
        `profile   ${spec.name} (${spec.source})\n` +
        `length    ${message.length} bytes (handshake message, SNI ${serverName})\n` +
        `JA4       ${fp.ja4}\n` +
        `JA4_r     ${fp.ja4_r}\n` +
        `JA3       ${fp.ja3.hash}  ${fp.ja3.string}\n` +
        `JA3N      ${fp.ja3n.hash}  ${fp.ja3n.string}  (extensions sorted)\n` +
        `hex       ${message.toString('hex')}\n`,
    )
  }
  return 0
}

function formatCapture(c: Capture, json: boolean): string {
  if (json) {
    return (
      JSON.stringify({
        remoteAddress: c.remoteAddress,
        remotePort: c.remotePort,
        serverName: c.serverName ?? null,
        alpn: c.alpn,
        length: c.hello.message.length,
        ...fingerprintJson(c.fingerprints),
      }) + '\n'
    )
  }
  const fp = c.fingerprints
  return (
    `${c.remoteAddress}:${c.remotePort}  sni=${c.serverName ?? '-'}  alpn=${c.alpn.join(',') || '-'}  ${c.hello.message.length} bytes\n` +
    `  JA4   ${fp.ja4}\n  JA4_r ${fp.ja4_r}\n  JA3   ${fp.ja3.hash}  ${fp.ja3.string}\n  JA3N  ${fp.ja3n.hash}\n`
  )
}

async function listen(address: string, count: number | undefined, json: boolean, io: CliIO): Promise<number> {
  const { host, port } = parseListen(address)
  const server = await CaptureServer.listen({ host, port })
  const stop = (): void => void server.close()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  server.on('reject', (r) =>
    io.stderr.write(`${r.remoteAddress}:${r.remotePort} rejected (${r.reason}): ${r.message}\n`),
  )
  io.stderr.write(
    `listening on ${server.address.host}:${server.port}${count === undefined ? '' : `, stopping after ${count} client(s)`}\n`,
  )
  let seen = 0
  try {
    for await (const capture of server.captures()) {
      io.stdout.write(formatCapture(capture, json))
      if (count !== undefined && ++seen >= count) break
    }
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    await server.close()
  }
  return 0
}

async function listenHttp(address: string, count: number | undefined, json: boolean, io: CliIO): Promise<number> {
  const { host, port } = parseListen(address)
  const server = await H2FingerprintServer.listen(host, port, ['localhost'])
  const caFile = join(tmpdir(), `hotconn-fingerprint-ca-${process.pid}.pem`)
  writeFileSync(caFile, server.caPem)
  let stopped!: () => void
  const done = new Promise<void>((resolve) => {
    stopped = resolve
  })
  process.once('SIGINT', stopped)
  process.once('SIGTERM', stopped)
  let seen = 0
  server.on('client', (r: HttpClientReport) => {
    io.stdout.write(formatHttpReport(r, json))
    if (count !== undefined && ++seen >= count) stopped()
  })
  io.stderr.write(
    `listening on ${host}:${server.port} (TLS, ALPN h2 and http/1.1; CA certificate in ${caFile})${count === undefined ? '' : `, stopping after ${count} client(s)`}\n`,
  )
  try {
    await done
  } finally {
    process.off('SIGINT', stopped)
    process.off('SIGTERM', stopped)
    await server.close()
  }
  return 0
}
