/**
 * Finds the line of every key of a TOML document (TOML 1.0, plus newlines in inline tables).
 *
 * smol-toml reports positions for syntax errors only, so validation errors locate their key here.
 * The document is expected to have parsed already; on anything unexpected the scan stops and
 * returns what it found so far (a missing line is reported as "line unknown", never a crash).
 *
 * Paths are the key segments joined with "."; array elements append "[i]"
 * (`blacklist.status_codes[1]`). Keys set by a table header (`[pool]`) map to the header's line.
 */

/** Map from key path (`pool.max_idle_conns`, `blacklist.status_codes[0]`) to its 1-based line. */
export type KeyLines = ReadonlyMap<string, number>

/** Joins key segments into a path ("pool" + "max_idle_conns" -> "pool.max_idle_conns"). */
export function joinPath(segments: readonly string[]): string {
  return segments.join('.')
}

/** The line of `path`, or of its nearest located ancestor (`a.b[2]` -> `a.b` -> `a`). */
export function lineOf(lines: KeyLines, path: string): number | undefined {
  let p = path
  for (;;) {
    const found = lines.get(p)
    if (found !== undefined) return found
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['))
    if (cut <= 0) return undefined
    p = p.slice(0, cut)
  }
}

class StopScan extends Error {}

/** Scans `text` and returns the line of each key path. */
export function locateKeys(text: string): KeyLines {
  const scanner = new Scanner(text)
  try {
    scanner.document()
  } catch (err) {
    if (!(err instanceof StopScan)) throw err
  }
  return scanner.lines
}

const BARE_KEY = /[A-Za-z0-9_-]/
const SCALAR_END = new Set([',', ']', '}', '\n', '\r', '#'])

class Scanner {
  readonly lines = new Map<string, number>()
  private pos = 0
  private line = 1

  constructor(private readonly text: string) {}

  document(): void {
    let table: string[] = []
    // Each iteration consumes at least one character or stops, so the loop is bounded by the text length.
    while (this.skipBlank(true)) {
      const c = this.peek()
      if (c === '[') {
        const array = this.text.startsWith('[[', this.pos)
        const line = this.line
        this.pos += array ? 2 : 1
        table = this.key()
        this.record(table, line)
        this.expect(array ? ']]' : ']')
      } else {
        const line = this.line
        const key = [...table, ...this.key()]
        this.record(key, line)
        this.expect('=')
        this.value(key)
      }
    }
  }

  private record(path: readonly string[], line: number): void {
    const joined = joinPath(path)
    if (!this.lines.has(joined)) this.lines.set(joined, line)
  }

  private peek(): string | undefined {
    return this.text[this.pos]
  }

  private advance(): string {
    const c = this.text[this.pos]
    if (c === undefined) throw new StopScan()
    this.pos++
    if (c === '\n') this.line++
    return c
  }

  /** Skips spaces, tabs, comments and (if `newlines`) line breaks; returns false at end of text. */
  private skipBlank(newlines: boolean): boolean {
    for (;;) {
      const c = this.peek()
      if (c === undefined) return false
      if (c === ' ' || c === '\t') this.pos++
      else if (newlines && (c === '\n' || c === '\r')) this.advance()
      else if (c === '#') {
        while (this.peek() !== undefined && this.peek() !== '\n') this.pos++
      } else return true
    }
  }

  private expect(token: string): void {
    this.skipBlank(false)
    if (!this.text.startsWith(token, this.pos)) throw new StopScan()
    this.pos += token.length
  }

  /** A dotted key: bare, "basic" or 'literal' segments separated by ".". */
  private key(): string[] {
    const segments: string[] = []
    for (;;) {
      this.skipBlank(false)
      const c = this.peek()
      if (c === '"') segments.push(decodeBasic(this.basicString()))
      else if (c === "'") segments.push(this.literalString())
      else {
        const start = this.pos
        while (this.peek() !== undefined && BARE_KEY.test(this.peek() as string)) this.pos++
        if (this.pos === start) throw new StopScan()
        segments.push(this.text.slice(start, this.pos))
      }
      this.skipBlank(false)
      if (this.peek() !== '.') return segments
      this.pos++
    }
  }

  private value(path: string[]): void {
    this.skipBlank(false)
    const c = this.peek()
    if (this.text.startsWith('"""', this.pos)) this.multiline('"""', true)
    else if (this.text.startsWith("'''", this.pos)) this.multiline("'''", false)
    else if (c === '"') this.basicString()
    else if (c === "'") this.literalString()
    else if (c === '[') this.array(path)
    else if (c === '{') this.inlineTable(path)
    else {
      const start = this.pos
      while (this.peek() !== undefined && !SCALAR_END.has(this.peek() as string)) this.pos++
      if (this.pos === start) throw new StopScan()
    }
  }

  private array(path: string[]): void {
    this.advance()
    const last = path.length - 1
    for (let i = 0; ; i++) {
      this.skipBlank(true)
      if (this.peek() === ']') {
        this.advance()
        return
      }
      const element = [...path.slice(0, last), `${path[last] ?? ''}[${i}]`]
      this.record(element, this.line)
      this.value(element)
      this.skipBlank(true)
      const sep = this.advance()
      if (sep === ']') return
      if (sep !== ',') throw new StopScan()
    }
  }

  private inlineTable(path: string[]): void {
    this.advance()
    for (;;) {
      this.skipBlank(true)
      if (this.peek() === '}') {
        this.advance()
        return
      }
      const line = this.line
      const key = [...path, ...this.key()]
      this.record(key, line)
      this.expect('=')
      this.value(key)
      this.skipBlank(true)
      const sep = this.advance()
      if (sep === '}') return
      if (sep !== ',') throw new StopScan()
    }
  }

  /** A "basic" string including its quotes; returns the raw text between them. */
  private basicString(): string {
    this.advance()
    const start = this.pos
    for (;;) {
      const c = this.advance()
      if (c === '\\') this.advance()
      else if (c === '"') return this.text.slice(start, this.pos - 1)
      else if (c === '\n') throw new StopScan()
    }
  }

  private literalString(): string {
    this.advance()
    const start = this.pos
    for (;;) {
      const c = this.advance()
      if (c === "'") return this.text.slice(start, this.pos - 1)
      if (c === '\n') throw new StopScan()
    }
  }

  /** A multi-line string; up to two extra quotes before the closing delimiter belong to the content. */
  private multiline(delimiter: string, escapes: boolean): void {
    this.pos += 3
    for (;;) {
      if (this.text.startsWith(delimiter, this.pos)) {
        this.pos += 3
        const quote = delimiter[0]
        for (let extra = 0; extra < 2 && this.peek() === quote; extra++) this.pos++
        return
      }
      const c = this.advance()
      if (escapes && c === '\\') this.advance()
    }
  }
}

/** Decodes the escapes of a basic-string key (TOML 1.0 §String); unknown escapes are kept raw. */
function decodeBasic(raw: string): string {
  return raw.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (whole, esc: string) => {
    switch (esc[0]) {
      case 'b':
        return '\b'
      case 't':
        return '\t'
      case 'n':
        return '\n'
      case 'f':
        return '\f'
      case 'r':
        return '\r'
      case 'e':
        return '\x1b'
      case '"':
        return '"'
      case '\\':
        return '\\'
      case 'u':
      case 'U':
        return String.fromCodePoint(parseInt(esc.slice(1), 16))
      default:
        return whole
    }
  })
}
