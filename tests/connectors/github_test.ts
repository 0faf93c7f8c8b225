import assert from "node:assert/strict";
import github from "../../connectors/github.ts";
import { pull } from "../../core/run/pull.ts";
import { startGitHubServer } from "../../core/testing/github_server.ts";
import { assertRecords, pullForTest } from "../../core/testing/kit.ts";
import { withTempDir } from "../_lake.ts";

const TOKEN = "ghp_0123456789abcdefTEST";
const auth = { headers: { authorization: `Bearer ${TOKEN}` } };

Deno.test("github server: Link pages of at most 100, rate-limit headers, PRs among issues", async () => {
  await using gh = startGitHubServer({
    repos: { "octo/hello": { issues: 170, pulls: 80 } },
    token: TOKEN,
  });
  const res = await fetch(
    `${gh.url}/repos/octo/hello/issues?state=all&per_page=500`,
    auth,
  );
  const page = await res.json();
  assert.equal(page.length, 100, "per_page is clamped at 100");
  assert.equal(
    page.filter((i: { pull_request?: unknown }) => i.pull_request).length > 0,
    true,
  );
  const link = res.headers.get("link")!;
  assert.match(
    link,
    /^<http:\/\/127\.0\.0\.1:\d+\/repositories\/1296269\/issues\?state=all&per_page=500&page=2>; rel="next", /,
  );
  assert.match(link, /page=3>; rel="last"$/);
  for (const h of ["limit", "remaining", "reset", "used"]) {
    assert.match(res.headers.get(`x-ratelimit-${h}`) ?? "", /^\d+$/, h);
  }
  assert.equal(res.headers.get("x-ratelimit-limit"), "5000");
  assert.equal(res.headers.get("x-ratelimit-resource"), "core");
  // The last page links back only; following next reaches every issue once.
  const numbers = new Set<number>();
  let url: string | undefined =
    `${gh.url}/repos/octo/hello/issues?state=all&per_page=100`;
  for (let i = 0; url && i < 10; i++) {
    const r: Response = await fetch(url, auth);
    for (const issue of await r.json()) numbers.add(issue.number);
    url = /<([^>]+)>; rel="next"/.exec(r.headers.get("link") ?? "")?.[1];
  }
  assert.equal(numbers.size, 250);
  const open =
    await (await fetch(`${gh.url}/repos/octo/hello/issues?per_page=100`, auth))
      .json();
  assert.ok(
    open.every((i: { state: string }) => i.state === "open"),
    "state defaults to open",
  );
  const pulls = await (await fetch(
    `${gh.url}/repos/octo/hello/pulls?state=all&per_page=100`,
    auth,
  )).json();
  assert.equal(pulls.length, 80);
  assert.ok(
    pulls.every((p: { head?: unknown; merged_at?: unknown }) =>
      p.head && "merged_at" in p
    ),
  );
});

Deno.test("github server: since, sort and direction filter and order issues", async () => {
  await using gh = startGitHubServer({ repos: { "o/r": { issues: 20 } } });
  gh.updateIssue("o/r", 4, { title: "edited" });
  const since = await (await fetch(
    `${gh.url}/repos/o/r/issues?state=all&since=2025-01-01T00:00:00Z`,
  )).json();
  assert.deepEqual(since.map((i: { number: number }) => i.number), [4]);
  assert.equal(since[0].title, "edited");
  const asc = await (await fetch(
    `${gh.url}/repos/o/r/issues?state=all&sort=updated&direction=asc`,
  )).json();
  const times = asc.map((i: { updated_at: string }) => i.updated_at);
  assert.deepEqual(times, [...times].sort());
  assert.equal(asc.at(-1).number, 4);
  const bad = await fetch(`${gh.url}/repos/o/r/issues?state=everything`);
  assert.equal(bad.status, 422);
  assert.equal((await bad.json()).message, "Validation Failed");
});

Deno.test("github server: 401 for a bad token, 404 for an unknown repo, 403 past the rate limit", async () => {
  await using gh = startGitHubServer({
    repos: { "o/r": { issues: 1, commits: 0 } },
    token: TOKEN,
    rateLimit: { anonymous: 2 },
  });
  const denied = await fetch(`${gh.url}/repos/o/r/issues`, {
    headers: { authorization: "Bearer nope" },
  });
  assert.equal(denied.status, 401);
  assert.deepEqual(await denied.json(), {
    message: "Bad credentials",
    documentation_url: "https://docs.github.com/rest",
    status: "401",
  });
  const missing = await fetch(`${gh.url}/repos/o/nope/issues`, auth);
  assert.equal(missing.status, 404);
  const body = await missing.json();
  assert.equal(body.message, "Not Found");
  assert.match(body.documentation_url, /^https:\/\/docs\.github\.com\/rest/);
  const empty = await fetch(`${gh.url}/repos/o/r/commits`, auth);
  assert.equal(empty.status, 409);
  await empty.body?.cancel();
  for (let i = 0; i < 2; i++) {
    const ok = await fetch(`${gh.url}/repos/o/r/issues`);
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  }
  const limited = await fetch(`${gh.url}/repos/o/r/issues`);
  assert.equal(limited.status, 403);
  assert.equal(limited.headers.get("x-ratelimit-remaining"), "0");
  assert.match((await limited.json()).message, /^API rate limit exceeded/);
});

// The engine paces requests over GitHub's hourly window (5,000 with a token,
// 60 without); these tests are about the protocol, so the budget is made
// large enough not to pace a few dozen requests.
const roomy = { authenticated: 1_000_000, anonymous: 1_000_000 };

const repos = {
  "octo/hello": { issues: 180, pulls: 45, commits: 230, stargazers: 120 },
  "octo/world": { issues: 30, pulls: 10, commits: 40, stargazers: 15 },
};

Deno.test("github: pulls issues, pulls, commits and stargazers of two repositories", async () => {
  await using gh = startGitHubServer({ repos, token: TOKEN, rateLimit: roomy });
  await using run = await pullForTest(github, {
    baseUrl: gh.url,
    options: { repo: ["octo/hello", "octo/world"] },
    env: { GITHUB_TOKEN: TOKEN },
  });
  assert.equal(run.summary.status, "ok", run.summary.errors.join("\n"));
  const { rows } = run;
  assertRecords(rows.issues, {
    count: 225 + 40,
    uniqueKey: "id",
    required: ["number", "updated_at"],
  });
  assert.equal(
    rows.issues!.filter((i) =>
      i.pull_request !== null && i.pull_request !== undefined
    ).length,
    55,
  );
  assertRecords(rows.pulls, { count: 55, uniqueKey: "id", required: ["head"] });
  assertRecords(rows.commits, { count: 270, uniqueKey: ["repo", "sha"] });
  // The same users star both repositories: the repository is part of the key.
  assertRecords(rows.stargazers, {
    count: 135,
    uniqueKey: ["repo", "id"],
    required: ["login"],
  });
  assert.deepEqual(
    new Set(rows.stargazers!.map((s) => s.repo)),
    new Set(["octo/hello", "octo/world"]),
  );
  assert.equal(run.types.issues?.updated_at?.startsWith("TIMESTAMP"), true);
  // Every request as GitHub asks: 100 per page, the token, the API version.
  for (const r of gh.requests) {
    assert.equal(r.headers.get("authorization"), `Bearer ${TOKEN}`);
    assert.equal(r.headers.get("x-github-api-version"), "2022-11-28");
    assert.match(
      r.headers.get("accept") ?? "",
      /application\/vnd\.github\+json/,
    );
    assert.equal(
      r.query.per_page,
      "100",
      `${r.path}?${new URLSearchParams(r.query)}`,
    );
  }
  // 225 issues need 3 pages, 40 one, and so on: nothing fetched twice.
  const seen = gh.requests.map((r) =>
    `${r.path}?${new URLSearchParams(r.query)}`
  );
  assert.equal(new Set(seen).size, seen.length);
});

Deno.test("github: issues are incremental: a second run asks since the bookmark and gets the changes", async () => {
  await using gh = startGitHubServer({ repos, token: TOKEN, rateLimit: roomy });
  await withTempDir("inlet-github-", async (lake) => {
    const options = {
      lake,
      baseUrl: gh.url,
      streams: ["issues"],
      options: { repo: ["octo/hello"] },
      env: (n: string) => n === "GITHUB_TOKEN" ? TOKEN : undefined,
      concurrency: 4,
    };
    const first = await pull(github, options);
    assert.equal(first.status, "ok", first.errors.join("\n"));
    assert.equal(first.records, 225);
    gh.updateIssue("octo/hello", 7, { title: "changed", state: "closed" });
    gh.requests.length = 0;
    const second = await pull(github, options);
    assert.equal(second.status, "ok", second.errors.join("\n"));
    // The changed issue, and the newest one again (within the 60 s lookback).
    assert.equal(second.records, 2);
    assert.equal(gh.requests.length, 1);
    assert.match(
      gh.requests[0]!.query.since ?? "",
      /^2024-01-10T\d{2}:\d{2}:\d{2}Z$/,
    );
    // A repository added later starts from its own beginning, not from the
    // other repository's bookmark.
    const third = await pull(github, {
      ...options,
      options: { repo: ["octo/hello", "octo/world"] },
    });
    assert.equal(third.status, "ok", third.errors.join("\n"));
    assert.ok(
      third.records >= 40,
      `octo/world's 40 issues, got ${third.records} records`,
    );
  });
});

Deno.test("github: a bad token and an unknown repository fail with GitHub's message and the URL", async () => {
  await using gh = startGitHubServer({ repos, token: TOKEN, rateLimit: roomy });
  await using bad = await pullForTest(github, {
    baseUrl: gh.url,
    streams: ["issues"],
    options: { repo: ["octo/hello"] },
    env: { GITHUB_TOKEN: "ghp_wrong" },
  });
  assert.equal(bad.summary.status, "failed");
  assert.match(bad.summary.errors[0]!, /"github\/issues".*status 401/);
  assert.match(bad.summary.errors[0]!, /Bad credentials/);
  assert.ok(
    !bad.summary.errors[0]!.includes("ghp_wrong"),
    "the token is not in the error",
  );
  await using missing = await pullForTest(github, {
    baseUrl: gh.url,
    streams: ["commits"],
    options: { repo: ["octo/nope"] },
  });
  assert.equal(missing.summary.status, "failed");
  assert.match(
    missing.summary.errors[0]!,
    /status 404 at http:\/\/127\.0\.0\.1:\d+\/repos\/octo\/nope\/commits\?per_page=100/,
  );
});

Deno.test("github: without a token it pulls anonymously", async () => {
  await using gh = startGitHubServer({
    repos: { "octo/tiny": { issues: 12, pulls: 3 } },
    rateLimit: roomy,
  });
  await using run = await pullForTest(github, {
    baseUrl: gh.url,
    streams: ["issues", "pulls"],
    options: { repo: "octo/tiny" },
  });
  assert.equal(run.summary.status, "ok", run.summary.errors.join("\n"));
  assertRecords(run.rows.issues, { count: 15, uniqueKey: "id" });
  assertRecords(run.rows.pulls, { count: 3, uniqueKey: "id" });
  assert.ok(gh.requests.every((r) => r.headers.get("authorization") === null));
});
