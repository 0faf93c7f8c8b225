/**
 * Just enough XML for the S3 protocol: S3's documents are flat, so reading
 * them takes a few regexes rather than a parser dependency.
 *
 * @module
 */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

const NAMED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

/**
 * Escape text for an XML element or attribute.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { xmlEscape } from "./xml.ts";
 * assert(xmlEscape('a<b & "c"') === "a&lt;b &amp; &quot;c&quot;");
 * ```
 */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * Undo XML escaping: the five named entities and numeric references.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { xmlUnescape } from "./xml.ts";
 * assert(xmlUnescape("&quot;e1&quot; &#233;&#x41;") === '"e1" éA');
 * ```
 */
export function xmlUnescape(text: string): string {
  return text.replace(
    /&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g,
    (whole, ref: string) => {
      if (ref.startsWith("#x")) {
        return String.fromCodePoint(
          parseInt(ref.slice(2), 16),
        );
      }
      if (ref.startsWith("#")) {
        return String.fromCodePoint(
          parseInt(ref.slice(1), 10),
        );
      }
      return NAMED[ref] ?? whole;
    },
  );
}

/**
 * The raw (still escaped) contents of every `<name>...</name>` element, in
 * document order. Elements of one name never nest in S3's documents.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { xmlElements } from "./xml.ts";
 * const parts = xmlElements("<a><Part><N>1</N></Part><Part><N>2</N></Part></a>", "Part");
 * assert(parts.length === 2 && parts[1] === "<N>2</N>");
 * ```
 */
export function xmlElements(xml: string, name: string): string[] {
  const re = new RegExp(
    `<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>|<${name}(?:\\s[^>]*)?/>`,
    "g",
  );
  return [...xml.matchAll(re)].map((m) => m[1] ?? "");
}

/**
 * The unescaped text of the first `<name>` element, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { xmlText } from "./xml.ts";
 * const xml = "<Error><Code>NoSuchKey</Code><Message>a &amp; b</Message></Error>";
 * assert(xmlText(xml, "Code") === "NoSuchKey");
 * assert(xmlText(xml, "Message") === "a & b");
 * assert(xmlText(xml, "Key") === undefined);
 * ```
 */
export function xmlText(xml: string, name: string): string | undefined {
  const first = xmlElements(xml, name)[0];
  return first === undefined ? undefined : xmlUnescape(first);
}
