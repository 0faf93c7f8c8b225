/**
 * `github`: issues, pull requests, commits and stargazers of the
 * repositories given with `--repo owner/name` (repeatable), from the GitHub
 * REST API. Pages follow the `Link` header, 100 records each; the token in
 * `GITHUB_TOKEN` is optional (without it GitHub allows 60 requests an hour,
 * with it 5,000); the engine's rate budget reads GitHub's `x-ratelimit-*`
 * headers. Issues are incremental: each run asks only for issues updated
 * since the last one (`since`), and merges them by id.
 *
 * Records carry the repository they came from in `repo` (the engine adds
 * the option value), which keys commits and stargazers: the same commit or
 * user can appear in several repositories.
 *
 * @module
 */
import { defineConnector, linkHeaderPaginator } from "../core/mod.ts";

const perPage = { per_page: 100 };

/**
 * The GitHub connector.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import github from "./github.ts";
 * assert(github.hosts.includes("api.github.com"));
 * assert(github.secrets.includes("GITHUB_TOKEN"));
 * assert(github.streams.issues?.incremental?.param === "since");
 * ```
 */
export default defineConnector({
  name: "github",
  description:
    "GitHub issues, pull requests, commits and stargazers of --repo owner/name",
  baseUrl: "https://api.github.com",
  auth: { type: "bearer", env: "GITHUB_TOKEN", optional: true },
  headers: {
    accept: "application/vnd.github+json",
    "x-github-api-version": "2022-11-28",
  },
  options: {
    repo: {
      description: "a repository as owner/name (repeatable)",
      multiple: true,
      required: true,
    },
  },
  streams: {
    issues: {
      path: "/repos/{repo}/issues",
      // Oldest change first, so a checkpoint's bookmark never passes an
      // issue not yet landed. GitHub lists pull requests here too, with a
      // `pull_request` key.
      params: { state: "all", sort: "updated", direction: "asc", ...perPage },
      primaryKey: "id",
      writeDisposition: "merge",
      incremental: {
        cursorField: "updated_at",
        param: "since",
        lookback: 60,
        format: "iso",
      },
      paginator: linkHeaderPaginator(),
    },
    pulls: {
      path: "/repos/{repo}/pulls",
      // Creation order is stable while pull requests change mid-run.
      params: { state: "all", sort: "created", direction: "asc", ...perPage },
      primaryKey: "id",
      writeDisposition: "merge",
      paginator: linkHeaderPaginator(),
    },
    commits: {
      path: "/repos/{repo}/commits",
      params: perPage,
      primaryKey: ["repo", "sha"],
      writeDisposition: "merge",
      paginator: linkHeaderPaginator(),
    },
    stargazers: {
      path: "/repos/{repo}/stargazers",
      params: perPage,
      primaryKey: ["repo", "id"],
      writeDisposition: "merge",
      paginator: linkHeaderPaginator(),
    },
  },
});
