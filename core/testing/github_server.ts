/**
 * A local server that speaks the GitHub REST API (v3, `2022-11-28`) for the
 * endpoints the `github` connector reads, as GitHub documents them:
 *
 * - `GET /repos/{owner}/{repo}/issues`: `state` (`open` default, `closed`,
 *   `all`), `sort` (`created` default, `updated`, `comments`), `direction`
 *   (`desc` default), `since` (ISO 8601: issues updated at or after it),
 *   `per_page` (30 default, 100 at most), `page`. Pull requests are issues
 *   too: they come back with a `pull_request` key, as on GitHub.
 * - `GET /repos/{owner}/{repo}/pulls`: `state`, `sort` (`created`, `updated`,
 *   `popularity`, `long-running`), `direction` (`desc` for `created`, else
 *   `asc`), `per_page`, `page`.
 * - `GET /repos/{owner}/{repo}/commits`: newest first; `since`, `until`,
 *   `per_page`, `page`. An empty repository answers 409.
 * - `GET /repos/{owner}/{repo}/stargazers`: oldest star first; users, or
 *   `{ starred_at, user }` with `Accept: application/vnd.github.star+json`.
 * - The same under `/repositories/{id}/...`, the form GitHub's `Link` headers use.
 *
 * Paging: a `Link` header with `prev`, `next`, `last` and `first` as GitHub
 * sends them. Every answer carries `x-ratelimit-limit`, `-remaining`, `-reset`
 * (epoch seconds), `-used` and `-resource: core`; past the budget, 403
 * "API rate limit exceeded". A token that is not the server's gets 401
 * `{"message":"Bad credentials",...}`; an unknown repository 404
 * `{"message":"Not Found","documentation_url":...}`.
 *
 * Data is generated from the repository's position and sizes, so every run
 * sees the same records; {@linkcode GitHubServer.updateIssue} moves one issue's
 * `updated_at` to "now" for incremental tests.
 *
 * @module
 */

import { json, type LocalServer, serveLocal } from "./_serve.ts";

/** How much data one repository holds. */
export interface GitHubRepoSize {
  /** Issues that are not pull requests. @default 0 */
  issues?: number;
  /** Pull requests (they are also listed as issues). @default 0 */
  pulls?: number;
  /** Commits on the default branch. @default 0 */
  commits?: number;
  /** Users who starred the repository. @default 0 */
  stargazers?: number;
}

/**
 * How the GitHub server behaves.
 *
 * @example
 * ```ts
 * import type { GitHubServerOptions } from "./github_server.ts";
 * const options: GitHubServerOptions = {
 *   repos: { "octo/hello": { issues: 10, pulls: 5, commits: 20, stargazers: 3 } },
 *   token: "ghp_test",
 * };
 * ```
 */
export interface GitHubServerOptions {
  /**
   * Repositories by `owner/name`.
   * @default {{ "octocat/hello-world": { issues: 120, pulls: 30, commits: 150, stargazers: 75 } }}
   */
  repos?: Record<string, GitHubRepoSize>;
  /** The one valid token; omitted, any token is valid. */
  token?: string;
  /**
   * Requests per window: with a token, and without (GitHub: 5,000 and 60 per hour).
   * @default {{ authenticated: 5000, anonymous: 60, windowSeconds: 3600 }}
   */
  rateLimit?: {
    authenticated?: number;
    anonymous?: number;
    windowSeconds?: number;
  };
  /**
   * Origin of the URLs in `Link` headers. Omitted, this server's own; set it
   * to another server to test a source that sends the client elsewhere.
   */
  linkBaseUrl?: string;
  /** Clock in epoch ms (rate-limit windows, `updateIssue`). @default Date.now */
  now?: () => number;
}

/**
 * A running GitHub server.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startGitHubServer } from "./github_server.ts";
 * await using gh = startGitHubServer({ repos: { "o/r": { issues: 3, pulls: 1 } } });
 * gh.updateIssue("o/r", 2);
 * const res = await fetch(`${gh.url}/repos/o/r/issues?since=2025-01-01T00:00:00Z&state=all`);
 * const issues = await res.json();
 * assert.deepEqual(issues.map((i: { number: number }) => i.number), [2]);
 * ```
 */
export interface GitHubServer extends LocalServer {
  /** The time (epoch ms) the server's clock reads now. */
  readonly now: number;
  /**
   * Change issue `number` of `repo`: its `updated_at` becomes "now" (later
   * than every earlier change) and `patch` is applied (title, state).
   */
  updateIssue(
    repo: string,
    number: number,
    patch?: { title?: string; state?: "open" | "closed" },
  ): void;
}

const DOCS = "https://docs.github.com/rest";
const BASE_S = Date.UTC(2024, 0, 1) / 1000;
const API_VERSION = "2022-11-28";

interface Repo {
  fullName: string;
  id: number;
  size: Required<GitHubRepoSize>;
  patches: Map<
    number,
    { title?: string; state?: "open" | "closed"; updatedS: number }
  >;
}

type Row = Record<string, unknown>;

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

// A 40-hex-digit id that looks like a git sha and is the same every run.
function sha(seed: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  }
  let out = "";
  for (let i = 0; i < 5; i++) {
    h ^= h << 13;
    h ^= h >>> 17;
    h ^= h << 5;
    out += (h >>> 0).toString(16).padStart(8, "0");
  }
  return out;
}

function user(api: string, id: number): Row {
  const login = `user${id}`;
  return {
    login,
    id,
    node_id: `U_${btoa(String(id))}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: "",
    url: `${api}/users/${login}`,
    html_url: `https://github.com/${login}`,
    type: "User",
    user_view_type: "public",
    site_admin: false,
  };
}

// Pull requests are spread evenly over the issue numbers, exactly `pulls` of them.
function isPull(size: Required<GitHubRepoSize>, n: number): boolean {
  const total = size.issues + size.pulls;
  return Math.floor(n * size.pulls / total) >
    Math.floor((n - 1) * size.pulls / total);
}

class BadParam extends Error {
  constructor(readonly field: string, readonly resource: string) {
    super(`invalid ${field}`);
  }
}

function oneOf<T extends string>(
  q: URLSearchParams,
  name: string,
  values: readonly T[],
  fallback: T,
  resource: string,
): T {
  const v = q.get(name);
  if (v === null || v === "") return fallback;
  if (!values.includes(v as T)) throw new BadParam(name, resource);
  return v as T;
}

function timeParam(
  q: URLSearchParams,
  name: string,
  resource: string,
): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  const ms = Date.parse(v);
  if (
    !/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) ||
    Number.isNaN(ms)
  ) {
    throw new BadParam(name, resource);
  }
  return Math.floor(ms / 1000);
}

// GitHub ignores paging values it cannot read and clamps per_page at 100.
function paging(q: URLSearchParams): { page: number; perPage: number } {
  const p = Number(q.get("page") ?? "1");
  const pp = Number(q.get("per_page") ?? "30");
  return {
    page: Number.isSafeInteger(p) && p >= 1 ? p : 1,
    perPage: Number.isSafeInteger(pp) && pp >= 1 ? Math.min(pp, 100) : 30,
  };
}

/**
 * Start a GitHub API server on 127.0.0.1 (a free port). Its `url` is the API
 * root, like `https://api.github.com`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startGitHubServer } from "./github_server.ts";
 * const gh = startGitHubServer({ repos: { "octo/hello": { issues: 150, pulls: 50 } } });
 * try {
 *   const res = await fetch(`${gh.url}/repos/octo/hello/issues?state=all&per_page=100`);
 *   const issues = await res.json();
 *   assert.equal(issues.length, 100);
 *   assert.match(res.headers.get("link") ?? "", /page=2>; rel="next"/);
 *   assert.equal(res.headers.get("x-ratelimit-resource"), "core");
 *   assert.ok(issues.some((i: { pull_request?: unknown }) => i.pull_request));
 *   const missing = await fetch(`${gh.url}/repos/octo/nope/issues`);
 *   assert.equal(missing.status, 404);
 *   assert.equal((await missing.json()).message, "Not Found");
 * } finally {
 *   await gh.close();
 * }
 * ```
 */
export function startGitHubServer(
  options: GitHubServerOptions = {},
): GitHubServer {
  const now = options.now ?? Date.now;
  const sizes = options.repos ??
    {
      "octocat/hello-world": {
        issues: 120,
        pulls: 30,
        commits: 150,
        stargazers: 75,
      },
    };
  const repos = new Map<string, Repo>();
  const byId = new Map<number, Repo>();
  Object.entries(sizes).forEach(([fullName, s], i) => {
    if (!/^[\w.-]+\/[\w.-]+$/.test(fullName)) {
      throw new TypeError(`repos: "${fullName}" is not owner/name`);
    }
    const size: Required<GitHubRepoSize> = {
      issues: s.issues ?? 0,
      pulls: s.pulls ?? 0,
      commits: s.commits ?? 0,
      stargazers: s.stargazers ?? 0,
    };
    for (const [k, v] of Object.entries(size)) {
      if (!Number.isSafeInteger(v) || v < 0) {
        throw new RangeError(
          `repos["${fullName}"].${k} must be an integer >= 0, got ${v}`,
        );
      }
    }
    const repo: Repo = { fullName, id: 1296269 + i, size, patches: new Map() };
    repos.set(fullName.toLowerCase(), repo);
    byId.set(repo.id, repo);
  });
  const limits = {
    authenticated: options.rateLimit?.authenticated ?? 5000,
    anonymous: options.rateLimit?.anonymous ?? 60,
    windowMs: (options.rateLimit?.windowSeconds ?? 3600) * 1000,
  };
  const windows = new Map<string, { start: number; used: number }>();
  let clockS = 0;

  function issue(api: string, repo: Repo, n: number): Row {
    const created = BASE_S + n * 3600;
    const patch = repo.patches.get(n);
    const updated = patch?.updatedS ?? created + (n % 5) * 600;
    const state = patch?.state ?? (n % 3 === 0 ? "closed" : "open");
    const pr = isPull(repo.size, n);
    const base = `${api}/repos/${repo.fullName}`;
    const row: Row = {
      url: `${base}/issues/${n}`,
      repository_url: base,
      labels_url: `${base}/issues/${n}/labels{/name}`,
      comments_url: `${base}/issues/${n}/comments`,
      html_url: `https://github.com/${repo.fullName}/${
        pr ? "pull" : "issues"
      }/${n}`,
      id: repo.id * 100_000 + n,
      node_id: `${pr ? "PR" : "I"}_kw${btoa(`${repo.id}:${n}`)}`,
      number: n,
      title: patch?.title ??
        `${pr ? "Change" : "Problem"} ${n} in ${repo.fullName}`,
      user: user(api, 1000 + (n * 7) % 23),
      labels: n % 4 === 0
        ? [{ id: 208045946, name: "bug", color: "d73a4a", default: true }]
        : [],
      state,
      state_reason: state === "closed" ? "completed" : null,
      locked: false,
      comments: n % 5,
      created_at: iso(created),
      updated_at: iso(updated),
      closed_at: state === "closed" ? iso(updated) : null,
      author_association: "CONTRIBUTOR",
      body: `Body of #${n}.`,
    };
    if (pr) {
      row.pull_request = {
        url: `${base}/pulls/${n}`,
        html_url: `https://github.com/${repo.fullName}/pull/${n}`,
        diff_url: `https://github.com/${repo.fullName}/pull/${n}.diff`,
        patch_url: `https://github.com/${repo.fullName}/pull/${n}.patch`,
        merged_at: state === "closed" ? iso(updated) : null,
      };
    }
    return row;
  }

  function pull(api: string, repo: Repo, n: number): Row {
    const i = issue(api, repo, n);
    const base = `${api}/repos/${repo.fullName}`;
    const merged = i.state === "closed" ? i.closed_at : null;
    return {
      url: `${base}/pulls/${n}`,
      id: 900_000_000_000 + (i.id as number),
      node_id: `PR_kw${btoa(`${repo.id}:${n}`)}`,
      html_url: i.html_url,
      diff_url: `https://github.com/${repo.fullName}/pull/${n}.diff`,
      patch_url: `https://github.com/${repo.fullName}/pull/${n}.patch`,
      issue_url: `${base}/issues/${n}`,
      number: n,
      state: i.state,
      locked: false,
      title: i.title,
      user: i.user,
      body: i.body,
      created_at: i.created_at,
      updated_at: i.updated_at,
      closed_at: i.closed_at,
      merged_at: merged,
      merge_commit_sha: merged ? sha(`${repo.fullName}#${n}`) : null,
      draft: n % 7 === 0,
      head: {
        label: `user:feature-${n}`,
        ref: `feature-${n}`,
        sha: sha(`head${repo.id}:${n}`),
      },
      base: {
        label: "octo:main",
        ref: "main",
        sha: sha(`base${repo.id}:${n}`),
      },
      author_association: "CONTRIBUTOR",
    };
  }

  function commit(api: string, repo: Repo, k: number): Row {
    const id = sha(`${repo.fullName}@${k}`);
    const date = iso(BASE_S + k * 1800);
    const who = 1000 + (k * 5) % 17;
    const person = {
      name: `User ${who}`,
      email: `user${who}@example.com`,
      date,
    };
    return {
      sha: id,
      node_id: `C_kw${btoa(id.slice(0, 12))}`,
      commit: {
        author: person,
        committer: person,
        message: `Commit ${k} of ${repo.fullName}`,
        tree: {
          sha: sha(`tree${id}`),
          url: `${api}/repos/${repo.fullName}/git/trees/${id}`,
        },
        url: `${api}/repos/${repo.fullName}/git/commits/${id}`,
        comment_count: 0,
        verification: {
          verified: false,
          reason: "unsigned",
          signature: null,
          payload: null,
        },
      },
      url: `${api}/repos/${repo.fullName}/commits/${id}`,
      html_url: `https://github.com/${repo.fullName}/commit/${id}`,
      comments_url: `${api}/repos/${repo.fullName}/commits/${id}/comments`,
      // GitHub sends null when the commit's email belongs to no account.
      author: k % 6 === 0 ? null : user(api, who),
      committer: k % 6 === 0 ? null : user(api, who),
      parents: k === 1 ? [] : [{
        sha: sha(`${repo.fullName}@${k - 1}`),
        url: `${api}/repos/${repo.fullName}/commits/${
          sha(`${repo.fullName}@${k - 1}`)
        }`,
        html_url: `https://github.com/${repo.fullName}/commit/${
          sha(`${repo.fullName}@${k - 1}`)
        }`,
      }],
    };
  }

  function list(
    api: string,
    repo: Repo,
    resource: string,
    q: URLSearchParams,
    accept: string,
  ): Row[] | Response {
    const { size } = repo;
    switch (resource) {
      case "issues": {
        const state = oneOf(
          q,
          "state",
          ["open", "closed", "all"],
          "open",
          "Issue",
        );
        const sort = oneOf(
          q,
          "sort",
          ["created", "updated", "comments"],
          "created",
          "Issue",
        );
        const direction = oneOf(
          q,
          "direction",
          ["asc", "desc"],
          "desc",
          "Issue",
        );
        const since = timeParam(q, "since", "Issue");
        let rows: Row[] = [];
        for (let n = 1; n <= size.issues + size.pulls; n++) {
          rows.push(issue(api, repo, n));
        }
        rows = rows.filter((r) =>
          (state === "all" || r.state === state) &&
          (since === undefined ||
            Date.parse(r.updated_at as string) / 1000 >= since)
        );
        const key = sort === "updated"
          ? "updated_at"
          : sort === "comments"
          ? "comments"
          : "created_at";
        return order(rows, key, direction, "number");
      }
      case "pulls": {
        const state = oneOf(
          q,
          "state",
          ["open", "closed", "all"],
          "open",
          "PullRequest",
        );
        const sort = oneOf(
          q,
          "sort",
          ["created", "updated", "popularity", "long-running"],
          "created",
          "PullRequest",
        );
        const direction = oneOf(
          q,
          "direction",
          ["asc", "desc"],
          sort === "created" ? "desc" : "asc",
          "PullRequest",
        );
        const rows: Row[] = [];
        for (let n = 1; n <= size.issues + size.pulls; n++) {
          if (isPull(size, n)) {
            const p = pull(api, repo, n);
            if (state === "all" || p.state === state) rows.push(p);
          }
        }
        return order(
          rows,
          sort === "updated" ? "updated_at" : "created_at",
          direction,
          "number",
        );
      }
      case "commits": {
        if (size.commits === 0) {
          return json(409, {
            message: "Git Repository is empty.",
            documentation_url: `${DOCS}/commits/commits#list-commits`,
            status: "409",
          });
        }
        const since = timeParam(q, "since", "Commit");
        const until = timeParam(q, "until", "Commit");
        const rows: Row[] = [];
        for (let k = size.commits; k >= 1; k--) {
          const t = BASE_S + k * 1800;
          if (
            (since === undefined || t >= since) &&
            (until === undefined || t <= until)
          ) {
            rows.push(commit(api, repo, k));
          }
        }
        return rows;
      }
      case "stargazers": {
        const rows: Row[] = [];
        const star = accept.includes("application/vnd.github.star+json");
        for (let k = 1; k <= size.stargazers; k++) {
          // The same users star several repositories, as on GitHub.
          const u = user(api, 5000 + k * 3);
          rows.push(star ? { starred_at: iso(BASE_S + k * 7200), user: u } : u);
        }
        return rows;
      }
    }
    return json(404, {
      message: "Not Found",
      documentation_url: DOCS,
      status: "404",
    });
  }

  function order(
    rows: Row[],
    key: string,
    direction: "asc" | "desc",
    tie: string,
  ): Row[] {
    const sign = direction === "asc" ? 1 : -1;
    return rows.sort((a, b) => {
      const x = a[key] as string | number, y = b[key] as string | number;
      const c = x < y
        ? -1
        : x > y
        ? 1
        : (a[tie] as number) - (b[tie] as number);
      return sign * c;
    });
  }

  function rateHeaders(
    who: string,
  ): { headers: Record<string, string>; ok: boolean } {
    const limit = who === "anonymous" ? limits.anonymous : limits.authenticated;
    const t = now();
    let w = windows.get(who);
    if (w === undefined || t >= w.start + limits.windowMs) {
      w = { start: t, used: 0 };
      windows.set(who, w);
    }
    const ok = w.used < limit;
    if (ok) w.used++;
    return {
      ok,
      headers: {
        "x-ratelimit-limit": String(limit),
        "x-ratelimit-remaining": String(limit - w.used),
        "x-ratelimit-reset": String(
          Math.ceil((w.start + limits.windowMs) / 1000),
        ),
        "x-ratelimit-used": String(w.used),
        "x-ratelimit-resource": "core",
      },
    };
  }

  function linkHeader(
    origin: string,
    repo: Repo,
    resource: string,
    q: URLSearchParams,
    page: number,
    last: number,
  ): string {
    const at = (p: number) => {
      const u = new URL(`${origin}/repositories/${repo.id}/${resource}`);
      for (const [k, v] of q) if (k !== "page") u.searchParams.set(k, v);
      u.searchParams.set("page", String(p));
      return `<${u.href}>`;
    };
    const links: string[] = [];
    if (page > 1) links.push(`${at(Math.min(page - 1, last))}; rel="prev"`);
    if (page < last) {
      links.push(`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`);
    }
    if (page > 1) links.push(`${at(1)}; rel="first"`);
    return links.join(", ");
  }

  const server = serveLocal((req, url) => {
    const common: Record<string, string> = {
      "x-github-api-version-selected": API_VERSION,
      "x-github-media-type": "github.v3; format=json",
      "x-github-request-id": crypto.randomUUID().toUpperCase().slice(0, 23),
    };
    const auth = req.headers.get("authorization");
    const m = auth === null ? null : /^(?:token|bearer)\s+(\S+)$/i.exec(auth);
    const who = auth === null ? "anonymous" : m?.[1] ?? "";
    const rate = rateHeaders(who === "anonymous" ? who : "token");
    const headers = { ...common, ...rate.headers };
    if (
      auth !== null &&
      (m === null || (options.token !== undefined && m[1] !== options.token))
    ) {
      return json(401, {
        message: "Bad credentials",
        documentation_url: DOCS,
        status: "401",
      }, headers);
    }
    if (!rate.ok) {
      const message = who === "anonymous"
        ? "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"
        : "API rate limit exceeded for user ID 1.";
      return json(403, {
        message,
        documentation_url:
          `${DOCS}/overview/resources-in-the-rest-api#rate-limiting`,
      }, headers);
    }
    if (req.method !== "GET") {
      return json(404, {
        message: "Not Found",
        documentation_url: DOCS,
        status: "404",
      }, headers);
    }
    const byName = /^\/repos\/([^/]+)\/([^/]+)\/(\w+)\/?$/.exec(url.pathname);
    const byNumber = /^\/repositories\/(\d+)\/(\w+)\/?$/.exec(url.pathname);
    const repo = byName
      ? repos.get(
        `${decodeURIComponent(byName[1]!)}/${decodeURIComponent(byName[2]!)}`
          .toLowerCase(),
      )
      : byNumber
      ? byId.get(Number(byNumber[1]))
      : undefined;
    const resource = byName?.[3] ?? byNumber?.[2] ?? "";
    if (
      repo === undefined ||
      !["issues", "pulls", "commits", "stargazers"].includes(resource)
    ) {
      const doc = resource === "issues"
        ? `${DOCS}/issues/issues#list-repository-issues`
        : DOCS;
      return json(404, {
        message: "Not Found",
        documentation_url: doc,
        status: "404",
      }, headers);
    }
    let rows: Row[] | Response;
    try {
      rows = list(
        url.origin,
        repo,
        resource,
        url.searchParams,
        req.headers.get("accept") ?? "",
      );
    } catch (err) {
      if (!(err instanceof BadParam)) throw err;
      return json(422, {
        message: "Validation Failed",
        errors: [{ resource: err.resource, field: err.field, code: "invalid" }],
        documentation_url: DOCS,
        status: "422",
      }, headers);
    }
    if (rows instanceof Response) {
      for (const [k, v] of Object.entries(headers)) rows.headers.set(k, v);
      return rows;
    }
    const { page, perPage } = paging(url.searchParams);
    const last = Math.max(1, Math.ceil(rows.length / perPage));
    const link = linkHeader(
      options.linkBaseUrl ?? url.origin,
      repo,
      resource,
      url.searchParams,
      page,
      last,
    );
    return json(200, rows.slice((page - 1) * perPage, page * perPage), {
      ...headers,
      ...(link ? { link } : {}),
    });
  });

  return {
    ...server,
    get now() {
      return now();
    },
    updateIssue(name, number, patch = {}) {
      const repo = repos.get(name.toLowerCase());
      const total = repo ? repo.size.issues + repo.size.pulls : 0;
      if (
        repo === undefined || !Number.isSafeInteger(number) || number < 1 ||
        number > total
      ) {
        throw new RangeError(`no issue #${number} in "${name}"`);
      }
      clockS = Math.max(clockS + 1, Math.floor(now() / 1000));
      repo.patches.set(number, {
        ...repo.patches.get(number),
        ...patch,
        updatedS: clockS,
      });
    },
  };
}
