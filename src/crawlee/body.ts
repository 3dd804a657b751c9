/**
 * Request bodies of Crawlee's `HttpRequest` as undici takes them: strings and bytes as they are,
 * streams and (async) generators as a Readable, a FormData (or FormData-like) encoded as
 * multipart/form-data with its boundary in `content-type`.
 */
import { Readable } from 'node:stream'
import type { HttpRequest } from '@crawlee/core'

export type RequestBody = string | Buffer | Uint8Array | Readable | undefined

export interface PreparedBody {
  readonly body: RequestBody
  /** `content-type` the encoding sets (multipart boundary), when the caller gave none. */
  readonly contentType: string | undefined
  /** Whether the body can be sent again (a 307/308 redirect): strings and bytes can, streams cannot. */
  readonly replayable: boolean
}

/** Crawlee's FormDataLike: WHATWG FormData's shape (a file value has `name`, `type` and `stream()`). */
interface FormDataLike {
  append(name: string, value: unknown, fileName?: string): void
  getAll(name: string): unknown[]
  entries(): IterableIterator<[string, string | FileLike]>
}
interface FileLike {
  readonly name: string
  readonly type: string
  stream(): ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>
}

function isFormDataLike(b: unknown): b is FormDataLike {
  return (
    typeof b === 'object' &&
    b !== null &&
    typeof (b as { append?: unknown }).append === 'function' &&
    typeof (b as { entries?: unknown }).entries === 'function' &&
    typeof (b as { getAll?: unknown }).getAll === 'function'
  )
}

async function collect(stream: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}

/** A FormData-like body as a WHATWG FormData (the platform's, which Response encodes). */
async function toFormData(form: FormDataLike): Promise<FormData> {
  if (form instanceof FormData) return form
  const out = new FormData()
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') out.append(name, value)
    else out.append(name, new Blob([await collect(value.stream())], { type: value.type }), value.name)
  }
  return out
}

/** `body` as undici sends it. */
export async function prepareBody(body: HttpRequest['body']): Promise<PreparedBody> {
  if (body === undefined || body === null) return { body: undefined, contentType: undefined, replayable: true }
  if (typeof body === 'string' || body instanceof Uint8Array) return { body, contentType: undefined, replayable: true }
  if (body instanceof Readable) return { body, contentType: undefined, replayable: false }
  if (isFormDataLike(body)) {
    const encoded = new Response(await toFormData(body))
    return {
      body: Buffer.from(await encoded.arrayBuffer()),
      contentType: encoded.headers.get('content-type') ?? undefined,
      replayable: true,
    }
  }
  // A Generator or AsyncGenerator of chunks.
  return { body: Readable.from(body as Iterable<unknown>), contentType: undefined, replayable: false }
}
