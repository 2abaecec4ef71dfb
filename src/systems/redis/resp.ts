// RESP2, the Redis wire protocol, as pure functions: commands out as arrays of bulk strings, replies
// in through an incremental parser fed whatever the socket delivered (a reply may span chunks, and
// one chunk may hold many replies when commands are pipelined). Bulk strings stay Buffers: ledger
// payloads are binary, and a hash of a re-encoded string would not be the hash of what was stored.

export type RespValue = string | number | Buffer | null | RespValue[] | RespError;

/** An error reply (`-ERR …`, `-LOADING …`): the server answered, and refused the command. */
export class RespError extends Error {
  override name = 'RespError';
  /** The first word of the reply: ERR, LOADING, MISCONF, READONLY, NOAUTH, WRONGPASS… */
  readonly code: string;
  constructor(message: string) {
    super(message);
    this.code = message.split(' ', 1)[0] ?? '';
  }
}

/** One command as RESP: an array of bulk strings, binary-safe. */
export function encodeCommand(args: (string | number | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export class RespProtocolError extends Error {
  override name = 'RespProtocolError';
}

/** Where a value ends in the buffer, or undefined when more bytes are needed. */
type Parsed = { value: RespValue; end: number } | undefined;

function line(buf: Buffer, at: number): { text: string; end: number } | undefined {
  const cr = buf.indexOf('\r\n', at);
  return cr < 0 ? undefined : { text: buf.toString('latin1', at, cr), end: cr + 2 };
}

function integer(text: string, what: string): number {
  if (!/^-?\d+$/.test(text)) throw new RespProtocolError(`bad ${what} ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

function parseAt(buf: Buffer, at: number): Parsed {
  if (at >= buf.length) return undefined;
  const type = String.fromCharCode(buf[at]!);
  const head = line(buf, at + 1);
  if (!head) return undefined;
  switch (type) {
    case '+':
      return { value: Buffer.from(head.text, 'latin1').toString('utf8'), end: head.end };
    case '-':
      return { value: new RespError(Buffer.from(head.text, 'latin1').toString('utf8')), end: head.end };
    case ':':
      return { value: integer(head.text, 'integer'), end: head.end };
    case '$': {
      const n = integer(head.text, 'bulk length');
      if (n === -1) return { value: null, end: head.end };
      if (n < 0) throw new RespProtocolError(`bad bulk length ${n}`);
      if (buf.length < head.end + n + 2) return undefined;
      if (buf[head.end + n] !== 0x0d || buf[head.end + n + 1] !== 0x0a)
        throw new RespProtocolError('bulk string not followed by CRLF');
      // A copy: the parser's buffer is reused and sliced away as replies complete.
      return { value: Buffer.from(buf.subarray(head.end, head.end + n)), end: head.end + n + 2 };
    }
    case '*': {
      const n = integer(head.text, 'array length');
      if (n === -1) return { value: null, end: head.end };
      if (n < 0) throw new RespProtocolError(`bad array length ${n}`);
      const items: RespValue[] = [];
      let end = head.end;
      for (let i = 0; i < n; i++) {
        const item = parseAt(buf, end);
        if (!item) return undefined;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      throw new RespProtocolError(`unknown reply type ${JSON.stringify(type)} (is this a Redis server?)`);
  }
}

/** Feeds socket chunks in, hands complete replies out in order. */
export class RespParser {
  private buf: Buffer = Buffer.alloc(0);

  /** Appends a chunk and returns every reply it completed (possibly none). */
  feed(chunk: Buffer): RespValue[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: RespValue[] = [];
    let at = 0;
    for (;;) {
      const parsed = parseAt(this.buf, at);
      if (!parsed) break;
      out.push(parsed.value);
      at = parsed.end;
    }
    this.buf = this.buf.subarray(at);
    return out;
  }

  /** Bytes received that do not make a whole reply yet. */
  get pending(): number {
    return this.buf.length;
  }
}

/** `INFO` text → field → value (section headers and blank lines dropped). */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (!l || l.startsWith('#')) continue;
    const i = l.indexOf(':');
    if (i > 0) out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}
