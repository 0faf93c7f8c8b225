/**
 * `stripe`: charges and customers from the Stripe API, with the secret key
 * in `STRIPE_API_KEY`. Lists page by `starting_after` (the last object's id)
 * while `has_more`; since one such chain is sequential, the engine splits
 * the `created` range into partitions (`created[gte]`, `created[lt]`) and
 * walks them concurrently. Objects change (refunds, new emails), so each
 * run merges them by id.
 *
 * @module
 */
import {
  cursorPaginator,
  defineConnector,
  type StreamDef,
} from "../core/mod.ts";

// 2011-01-01, before Stripe's first live charge: the whole history.
const STRIPE_EPOCH = 1293840000;

function list(path: string): StreamDef {
  return {
    path,
    recordsPath: "data",
    primaryKey: "id",
    writeDisposition: "merge",
    partition: {
      kind: "unix",
      gteParam: "created[gte]",
      ltParam: "created[lt]",
      start: STRIPE_EPOCH,
      field: "created",
      order: "desc",
    },
    paginator: cursorPaginator({
      cursorParam: "starting_after",
      cursorFrom: "lastRecord",
      recordField: "id",
      hasMorePath: "has_more",
      limitParam: "limit",
      limit: 100,
    }),
  };
}

/**
 * The Stripe connector: `charges` and `customers`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import stripe from "./stripe.ts";
 * assert(stripe.secrets.includes("STRIPE_API_KEY"));
 * assert(stripe.streams.charges?.partition?.gteParam === "created[gte]");
 * ```
 */
export default defineConnector({
  name: "stripe",
  description:
    "Stripe charges and customers (cursor pages, created-range partitions)",
  baseUrl: "https://api.stripe.com/v1",
  auth: { type: "bearer", env: "STRIPE_API_KEY" },
  streams: { charges: list("/charges"), customers: list("/customers") },
});
