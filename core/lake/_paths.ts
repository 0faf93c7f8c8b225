/**
 * Lake path rules shared by every storage: relative, `/`-separated, no `.`
 * or `..` segments, so a path can never escape the lake's root.
 *
 * @module
 */

/** Throw a TypeError unless `path` is a valid file path inside the lake. */
export function assertLakePath(path: string): void {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(`Invalid lake path ${JSON.stringify(path)}: empty`);
  }
  const reason = badPath(path);
  if (reason) {
    throw new TypeError(`Invalid lake path ${JSON.stringify(path)}: ${reason}`);
  }
}

/**
 * Throw a TypeError unless `prefix` is a valid listing prefix: `""` (the
 * whole lake) or a lake path, optionally ending with `/`.
 */
export function assertLakePrefix(prefix: string): void {
  if (typeof prefix !== "string") {
    throw new TypeError(`Invalid lake prefix ${JSON.stringify(prefix)}`);
  }
  if (prefix === "") return;
  const reason = badPath(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix);
  if (reason) {
    throw new TypeError(
      `Invalid lake prefix ${JSON.stringify(prefix)}: ${reason}`,
    );
  }
}

function badPath(path: string): string | undefined {
  if (path === "") return "empty";
  if (path.startsWith("/")) return "absolute paths are not allowed";
  if (path.includes("\\")) return "use / as the separator";
  if (path.includes("\0")) return "contains a NUL byte";
  for (const segment of path.split("/")) {
    if (segment === "") return "empty segment";
    if (segment === "." || segment === "..") {
      return `"${segment}" segments are not allowed`;
    }
  }
  return undefined;
}

/** The directory part of a lake path (`""` at the root). */
export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** The last segment of a lake path. */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** `n` in at least `width` digits, so that names sort as their numbers. */
export function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}
