/**
 * `Http1Reader`: HTTP/1.1 answers read off one connection, framed as RFC
 * 9112 says (section 6.3), strictly: whatever it cannot frame exactly is an
 * error, and a connection is only used again after an answer read to its
 * last byte, so no answer is ever read as part of another.
 *
 * @module
 */

/** Where bytes come from: `Deno.Conn` or a test's chunks. */
export interface ByteSource {
  /** As `Deno.Conn.read`: bytes read into `p`, or `null` at the end. */
  read(p: Uint8Array): Promise<number | null>;
}

/** A status line and its header fields. */
export interface Http1Head {
  status: number;
  statusText: string;
  headers: Headers;
  /** HTTP/1.0 answers close their connection unless they say otherwise. */
  minor: 0 | 1;
}

/** An answer read to its end. */
export interface Http1Answer extends Http1Head {
  /** The body as sent (content codings not undone). */
  body: Uint8Array;
  /** Whether the connection may carry another request. */
  reusable: boolean;
}

/** The connection ended before the first byte of an answer. */
export class ClosedBeforeAnswerError extends Error {
  override name = "ClosedBeforeAnswerError";
}

/** An answer that is not HTTP/1.1 as RFC 9112 frames it. */
export class Http1FramingError extends TypeError {
  override name = "Http1FramingError";
}

/** Longest status line plus header section. */
const MAX_HEAD = 64 * 1024;
/** Longest chunk-size line or trailer line. */
const MAX_LINE = 8 * 1024;
const CR = 13, LF = 10;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const latin1 = new TextDecoder("latin1");

/**
 * Reads answers from a {@linkcode ByteSource}, one after another.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Http1Reader } from "./_http1_reader.ts";
 * const wire = new TextEncoder().encode(
 *   "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}" +
 *     "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\n[\r\n1\r\n]\r\n0\r\n\r\n",
 * );
 * let at = 0;
 * const reader = new Http1Reader({
 *   read: (p) => {
 *     if (at === wire.length) return Promise.resolve(null);
 *     p[0] = wire[at++]!; // a byte at a time
 *     return Promise.resolve(1);
 *   },
 * });
 * const a = await reader.answer("GET");
 * assert.equal(new TextDecoder().decode(a.body), "{}");
 * const b = await reader.answer("GET");
 * assert.equal(new TextDecoder().decode(b.body), "[]");
 * assert(b.reusable);
 * ```
 */
export class Http1Reader {
  #src: ByteSource;
  #buf = new Uint8Array(16 * 1024);
  #start = 0;
  #end = 0;

  constructor(src: ByteSource) {
    this.#src = src;
  }

  /** Bytes read off the connection and not yet part of an answer. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /**
   * The next final answer to a request of `method` (1xx answers before it
   * are skipped). Throws {@linkcode ClosedBeforeAnswerError} if the
   * connection ends before its first byte, {@linkcode Http1FramingError}
   * on anything it cannot frame exactly, a `TypeError` if the connection
   * ends inside it.
   */
  async answer(method: string): Promise<Http1Answer> {
    let head = await this.#head(true);
    while (head.status < 200) {
      if (head.status === 101) {
        throw new Http1FramingError("101 Switching Protocols to a GET");
      }
      head = await this.#head(false);
    }
    try {
      return await this.#body(head, method);
    } catch (err) {
      if (err instanceof Http1FramingError || !(err instanceof TypeError)) {
        throw err;
      }
      throw new TypeError("the connection closed while reading a body", {
        cause: err,
      });
    }
  }

  async #body(head: Http1Head, method: string): Promise<Http1Answer> {
    const { status, headers } = head;
    let reusable = head.minor === 1
      ? !hasToken(headers.get("connection"), "close")
      : hasToken(headers.get("connection"), "keep-alive");
    let body: Uint8Array;
    const te = headers.get("transfer-encoding");
    if (method === "HEAD" || status === 204 || status === 304) {
      body = new Uint8Array();
    } else if (te !== null) {
      const codings = te.split(",").map((s) => s.trim().toLowerCase());
      if (codings.at(-1) !== "chunked" || codings.length !== 1) {
        // RFC 9112 6.3 would read such a body to the close of the
        // connection: left to fetch.
        throw new Http1FramingError(`transfer-encoding "${te}"`);
      }
      body = await this.#chunked();
      // A length beside chunked may be a smuggling attempt: never reuse.
      if (headers.has("content-length")) reusable = false;
    } else if (headers.has("content-length")) {
      body = await this.#take(contentLength(headers.get("content-length")!));
    } else {
      body = await this.#toClose();
      reusable = false;
    }
    return { ...head, body, reusable };
  }

  async #head(first: boolean): Promise<Http1Head> {
    const end = await this.#find([CR, LF, CR, LF], MAX_HEAD, first);
    const text = latin1.decode(this.#buf.subarray(this.#start, end));
    this.#start = end + 4;
    const lines = text.split("\r\n");
    const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]!);
    if (!m) {
      throw new Http1FramingError(`status line ${JSON.stringify(lines[0])}`);
    }
    const headers = new Headers();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon);
      if (colon <= 0 || !TOKEN.test(name)) {
        throw new Http1FramingError(`header line ${JSON.stringify(line)}`);
      }
      try {
        headers.append(name, line.slice(colon + 1).trim());
      } catch (cause) {
        throw new Http1FramingError(`header ${name}`, { cause });
      }
    }
    return {
      status: Number(m[2]),
      statusText: m[3] ?? "",
      headers,
      minor: m[1] === "1" ? 1 : 0,
    };
  }

  async #chunked(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (;;) {
      const line = await this.#line();
      const size = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/.exec(line);
      if (!size) {
        throw new Http1FramingError(`chunk size ${JSON.stringify(line)}`);
      }
      const n = parseInt(size[1]!, 16);
      if (n === 0) break;
      parts.push(await this.#take(n));
      if ((await this.#line()) !== "") {
        throw new Http1FramingError("chunk longer than its size");
      }
    }
    // Trailer fields, ignored as fetch ignores them, up to the empty line.
    while ((await this.#line()) !== "");
    return concat(parts);
  }

  async #toClose(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    while (await this.#fill()) {
      parts.push(this.#buf.slice(this.#start, this.#end));
      this.#start = this.#end;
    }
    return concat(parts);
  }

  async #line(): Promise<string> {
    const end = await this.#find([CR, LF], MAX_LINE, false);
    const text = latin1.decode(this.#buf.subarray(this.#start, end));
    this.#start = end + 2;
    return text;
  }

  async #take(n: number): Promise<Uint8Array> {
    while (this.#end - this.#start < n) {
      if (!(await this.#fill())) {
        throw new TypeError("the connection closed inside an answer's body");
      }
    }
    const bytes = this.#buf.slice(this.#start, this.#start + n);
    this.#start += n;
    return bytes;
  }

  // Index of `what` in the buffer, reading more as needed, within `max`.
  async #find(what: number[], max: number, first: boolean): Promise<number> {
    // Bytes past #start known not to begin a match (kept relative: a fill
    // may move the buffer's contents).
    let scanned = 0;
    for (;;) {
      const at = indexOf(this.#buf, what, this.#start + scanned, this.#end);
      if (at >= 0) return at;
      const live = this.#end - this.#start;
      if (live > max) {
        throw new Http1FramingError(`a line or head over ${max} bytes`);
      }
      scanned = Math.max(0, live - what.length + 1);
      if (!(await this.#fill())) {
        if (first && live === 0) {
          throw new ClosedBeforeAnswerError(
            "the connection closed before an answer",
          );
        }
        throw new TypeError("the connection closed inside an answer");
      }
    }
  }

  // Reads once more; false at the end of the connection.
  async #fill(): Promise<boolean> {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#end === this.#buf.length) {
      const live = this.#end - this.#start;
      const into = live * 2 > this.#buf.length
        ? new Uint8Array(this.#buf.length * 2)
        : this.#buf;
      into.set(this.#buf.subarray(this.#start, this.#end));
      this.#buf = into;
      this.#start = 0;
      this.#end = live;
    }
    const n = await this.#src.read(this.#buf.subarray(this.#end));
    if (n === null) return false;
    this.#end += n;
    return true;
  }
}

function indexOf(buf: Uint8Array, what: number[], from: number, to: number) {
  const first = what[0]!;
  for (let i = buf.indexOf(first, from); i >= 0 && i + what.length <= to;) {
    let j = 1;
    while (j < what.length && buf[i + j] === what[j]) j++;
    if (j === what.length) return i;
    i = buf.indexOf(first, i + 1);
  }
  return -1;
}

function contentLength(value: string): number {
  // Repeated or listed lengths must agree (RFC 9110 8.6).
  const all = new Set(value.split(",").map((s) => s.trim()));
  const [only] = all;
  if (all.size !== 1 || !/^\d{1,15}$/.test(only!)) {
    throw new Http1FramingError(`content-length "${value}"`);
  }
  return Number(only);
}

function hasToken(value: string | null, token: string): boolean {
  return value !== null &&
    value.split(",").some((s) => s.trim().toLowerCase() === token);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
