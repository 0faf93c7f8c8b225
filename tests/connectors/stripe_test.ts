import assert from "node:assert/strict";
import stripe from "../../connectors/stripe.ts";
import { pull } from "../../core/run/pull.ts";
import { startStripeServer } from "../../core/testing/stripe_server.ts";
import { assertRecords, pullForTest } from "../../core/testing/kit.ts";
import { withTempDir } from "../_lake.ts";

const KEY = "sk_test_51TestKey0123456789";
const auth = { headers: { authorization: `Bearer ${KEY}` } };

Deno.test("stripe server: list objects, cursors both ways, created filters, Stripe's errors", async () => {
  await using s = startStripeServer({ charges: 40, apiKey: KEY });
  const get = async (q: string) => {
    const res = await fetch(`${s.baseUrl}/charges${q}`, auth);
    return { status: res.status, body: await res.json() };
  };
  const all = await get("?limit=100");
  assert.equal(all.body.object, "list");
  assert.equal(all.body.url, "/v1/charges");
  assert.equal(all.body.data.length, 40);
  assert.equal(all.body.has_more, false);
  const created = all.body.data.map((c: { created: number }) => c.created);
  assert.deepEqual(
    created,
    [...created].sort((a: number, b: number) => b - a),
    "newest first",
  );
  const ids = all.body.data.map((c: { id: string }) => c.id);
  assert.ok(ids.every((id: string) => /^ch_[0-9A-Za-z]{24}$/.test(id)));
  const first = await get("?limit=10");
  assert.equal(first.body.has_more, true);
  assert.equal(first.body.data.length, 10);
  const after = await get(`?limit=10&starting_after=${ids[9]}`);
  assert.deepEqual(
    after.body.data.map((c: { id: string }) => c.id),
    ids.slice(10, 20),
  );
  const before = await get(`?limit=5&ending_before=${ids[20]}`);
  assert.deepEqual(
    before.body.data.map((c: { id: string }) => c.id),
    ids.slice(15, 20),
  );
  assert.equal(before.body.has_more, true);
  const t = s.createdOf(9);
  const window = await get(`?limit=100&created[gte]=${t}&created[lt]=${t + 1}`);
  assert.equal(window.body.data.length, 3, "three objects share each second");
  assert.ok(
    window.body.data.every((c: { created: number }) => c.created === t),
  );
  const tooMany = await get("?limit=101");
  assert.equal(tooMany.status, 400);
  assert.deepEqual(tooMany.body.error, {
    message: "This value must be less than or equal to 100.",
    param: "limit",
    type: "invalid_request_error",
  });
  const unknown = await get("?per_page=10");
  assert.equal(unknown.status, 400);
  assert.equal(
    unknown.body.error.message,
    "Received unknown parameter: per_page",
  );
  const noSuch = await get("?starting_after=ch_nope");
  assert.equal(noSuch.status, 404);
  assert.equal(noSuch.body.error.code, "resource_missing");
  const anonymous = await fetch(`${s.baseUrl}/customers`);
  assert.equal(anonymous.status, 401);
  assert.match(
    (await anonymous.json()).error.message,
    /^You did not provide an API key/,
  );
  const wrong = await fetch(`${s.baseUrl}/customers`, {
    headers: { authorization: "Bearer sk_test_wrongkey1234" },
  });
  const wrongBody = await wrong.json();
  assert.equal(wrong.status, 401);
  assert.equal(wrongBody.error.type, "invalid_request_error");
  assert.match(
    wrongBody.error.message,
    /^Invalid API Key provided: sk_test_\*+1234$/,
  );
});

Deno.test("stripe: charges and customers through partitions and starting_after, every object once", async () => {
  const charges = 1234, customers = 321;
  await using s = startStripeServer({ charges, customers, apiKey: KEY });
  await using run = await pullForTest(stripe, {
    baseUrl: s.baseUrl,
    env: { STRIPE_API_KEY: KEY },
    concurrency: 8,
  });
  assert.equal(run.summary.status, "ok", run.summary.errors.join("\n"));
  assertRecords(run.rows.charges, {
    count: charges,
    uniqueKey: "id",
    required: ["amount", "created"],
  });
  assertRecords(run.rows.customers, {
    count: customers,
    uniqueKey: "id",
    required: ["email"],
  });
  const expected = Array.from({ length: charges }, (_, i) => s.createdOf(i + 1))
    .reduce((a, b) => a + b, 0);
  assert.equal(
    run.rows.charges!.reduce((n, r) => n + (r.created as number), 0),
    expected,
  );
  // Partitions: several created ranges were walked, each with 100 per page.
  const lists = s.requests.filter((r) => r.path === "/v1/charges");
  assert.ok(
    lists.every((r) =>
      r.query.limit === "100" && r.query["created[gte]"] &&
      r.query["created[lt]"]
    ),
  );
  assert.ok(
    new Set(lists.map((r) => r.query["created[gte]"])).size > 1,
    "more than one partition",
  );
  assert.ok(
    s.requests.every((r) => r.headers.get("authorization") === `Bearer ${KEY}`),
  );
});

Deno.test("stripe: no key is a configuration error; a wrong key fails with 401", async () => {
  await using s = startStripeServer({ charges: 5, customers: 5, apiKey: KEY });
  await withTempDir("inlet-stripe-", async (lake) => {
    await assert.rejects(
      () => pull(stripe, { lake, baseUrl: s.baseUrl, env: () => undefined }),
      { name: "ConfigError", message: /STRIPE_API_KEY is not set/ },
    );
    const wrong = await pull(stripe, {
      lake,
      baseUrl: s.baseUrl,
      streams: ["charges"],
      env: (n) => n === "STRIPE_API_KEY" ? "sk_test_wrongkey9876" : undefined,
    });
    assert.equal(wrong.status, "failed");
    assert.match(wrong.errors[0]!, /"stripe\/charges".*status 401/);
    assert.ok(!wrong.errors[0]!.includes("sk_test_wrongkey9876"));
  });
});
