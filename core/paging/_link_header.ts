/**
 * A parser for the HTTP `Link` header (RFC 8288), following the lenient
 * algorithm of its Appendix B: what cannot be parsed ends the list instead of
 * throwing, because the header comes from the source, not from us.
 *
 * @module
 */

/** One link of a `Link` header. */
export interface LinkValue {
  /** The target as written between `<` and `>`, not yet resolved. */
  target: string;
  /** The relation types of the `rel` parameter, lowercased; empty when absent. */
  rel: string[];
  /**
   * Every parameter by lowercased name, first occurrence winning (RFC 8288
   * §3.3 says later `rel`s are ignored). `title*` style values (RFC 8187)
   * are decoded. A parameter without a value maps to `""`.
   */
  params: Record<string, string>;
}

/**
 * Parse a `Link` header value (several headers joined by `", "` are one value).
 * Commas and semicolons inside `<...>` and inside quoted strings are kept.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLinkHeader } from "./_link_header.ts";
 * const links = parseLinkHeader(
 *   '<https://api.github.com/repositories/1/issues?page=2>; rel="next", ' +
 *     '<https://api.github.com/repositories/1/issues?page=5>; rel="last"',
 * );
 * assert.deepEqual(links.map((l) => [l.rel, l.target]), [
 *   [["next"], "https://api.github.com/repositories/1/issues?page=2"],
 *   [["last"], "https://api.github.com/repositories/1/issues?page=5"],
 * ]);
 * ```
 */
export function parseLinkHeader(value: string): LinkValue[] {
  const s = new Scanner(value);
  const links: LinkValue[] = [];
  while (true) {
    // Empty list elements (`a, , b`) are allowed by the `#` list rule.
    do s.skipSpace(); while (s.eat(","));
    if (s.done()) return links;
    if (!s.eat("<")) return links;
    const end = s.rest().indexOf(">");
    if (end < 0) return links;
    const target = s.take(end);
    s.eat(">");
    const params = parseParams(s);
    const rel = (params.rel ?? "").toLowerCase().split(/[ \t]+/).filter((r) =>
      r !== ""
    );
    links.push({ target, rel, params });
    s.skipSpace();
    // Anything but a comma here is garbage after a link: stop, keep what we have.
    if (!s.done() && !s.eat(",")) return links;
  }
}

/**
 * The target of the first link whose `rel` includes `rel`
 * (case-insensitively), or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findLink } from "./_link_header.ts";
 * assert.equal(findLink('</p?page=3>; rel="prev next"', "next"), "/p?page=3");
 * assert.equal(findLink('</p?page=1>; rel="first"', "next"), undefined);
 * ```
 */
export function findLink(value: string, rel: string): string | undefined {
  const want = rel.toLowerCase();
  return parseLinkHeader(value).find((l) => l.rel.includes(want))?.target;
}

function parseParams(s: Scanner): Record<string, string> {
  const params: Record<string, string> = {};
  while (true) {
    s.skipSpace();
    if (!s.eat(";")) return params;
    s.skipSpace();
    const name = s.takeUntil(/[=;,]/).trim().toLowerCase();
    let value = "";
    if (s.eat("=")) {
      s.skipSpace();
      value = s.peek() === '"' ? s.quoted() : s.takeUntil(/[;,]/).trim();
    }
    if (name.endsWith("*")) value = decodeExtValue(value);
    if (name !== "" && !Object.hasOwn(params, name)) params[name] = value;
  }
}

// RFC 8187: charset'language'percent-encoded. Only UTF-8 is required of us;
// a value we cannot decode is kept as written rather than dropped.
function decodeExtValue(raw: string): string {
  const m = /^([^']*)'[^']*'(.*)$/.exec(raw);
  if (!m || m[1]?.toLowerCase() !== "utf-8") return raw;
  try {
    return decodeURIComponent(m[2] ?? "");
  } catch {
    return raw;
  }
}

class Scanner {
  #s: string;
  #i = 0;
  constructor(s: string) {
    this.#s = s;
  }
  done(): boolean {
    return this.#i >= this.#s.length;
  }
  peek(): string | undefined {
    return this.#s[this.#i];
  }
  rest(): string {
    return this.#s.slice(this.#i);
  }
  eat(ch: string): boolean {
    if (this.#s[this.#i] !== ch) return false;
    this.#i++;
    return true;
  }
  take(n: number): string {
    const out = this.#s.slice(this.#i, this.#i + n);
    this.#i += n;
    return out;
  }
  takeUntil(stop: RegExp): string {
    const idx = this.rest().search(stop);
    return this.take(idx < 0 ? this.#s.length - this.#i : idx);
  }
  skipSpace(): void {
    while (this.#s[this.#i] === " " || this.#s[this.#i] === "\t") this.#i++;
  }
  // RFC 7230 quoted-string with backslash escapes; an unterminated string
  // runs to the end, as Appendix B.4 says.
  quoted(): string {
    this.eat('"');
    let out = "";
    while (!this.done()) {
      const ch = this.#s[this.#i++];
      if (ch === "\\") {
        if (this.done()) return out;
        out += this.#s[this.#i++];
      } else if (ch === '"') {
        return out;
      } else {
        out += ch;
      }
    }
    return out;
  }
}
