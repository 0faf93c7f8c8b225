/**
 * Just enough of RFC 8941 structured fields to read the rate-limit headers:
 * lists of members with `;`-parameters, quoted strings.
 *
 * @module
 */

/** A member of a structured-field list: its value and parameters. */
export interface SfMember {
  value: string;
  params: Map<string, string>;
}

// Splits at `sep` outside double quotes: enough of RFC 8941 for these headers.
function splitOutside(text: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === sep && !quoted) {
      out.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out;
}

/** `text` without its surrounding double quotes, if any. */
export function unquote(text: string): string {
  const t = text.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"')
    ? t.slice(1, -1)
    : t;
}

/** The members of a structured-field list, empty ones left out. */
export function parseMembers(text: string): SfMember[] {
  return splitOutside(text, ",").map((member) => {
    const [head = "", ...rest] = splitOutside(member, ";");
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf("=");
      if (eq > 0) {
        params.set(
          p.slice(0, eq).trim().toLowerCase(),
          unquote(p.slice(eq + 1)),
        );
      }
    }
    return { value: head.trim(), params };
  }).filter((m) => m.value !== "");
}
