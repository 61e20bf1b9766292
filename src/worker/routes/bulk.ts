/**
 * @module worker/routes/bulk
 * Work that enters through the dispatch queue instead of a direct call: bulk
 * submission (thousands of manifests in one request) and tracker ingest. Both
 * validate every manifest here, answer at once, and let the queue deliver them
 * to the coordinator in batches — idempotently, by key. What the queue could not
 * deliver ends up in the dead letters (routes/dead-letters).
 *
 * Every item has a key that a retry reproduces: its own; with the client's batch key, one made of the item's
 * content and its occurrence among identical items (`batch:<Idempotency-Key>:<sha256, 16 hex>.<n>`, bulk-items
 * `batchItemKey`: the same files sent again in any order, or with others added, find their jobs; a key stored by
 * position, `batch:<Idempotency-Key>:<index>`, still answers its item); else `content:<sha256 of the normalised
 * request>`. Before
 * queueing, the coordinator says which keys it already knows: the same request again is
 * reported with its job (and not queued twice), a different request under a known key is
 * refused (409 `conflict`). A changed request that races its first one into the queue
 * cannot be refused here; the consumer dead-letters it with code `conflict`.
 *
 * The answer's `batchId` can be read back (`GET …/batches/{batchId}`, coordinator/jobs/batches): each item with
 * its job once the queue delivered it, and `done` when no item is still on its way.
 */
import { Hono } from "hono";
import { batchRepeats } from "../../core/batch-repeats.ts";
import { DomainError, unwrap } from "../../core/errors.ts";
import { validateManifest } from "../../core/manifest.ts";
import { BatchBody, DerivedKeyHeader, EntityId, TrackerIngestBody } from "../../shared/api.ts";
import { keyConflict, requestHash } from "../../shared/request-hash.ts";
import { type AppEnv, actorOf, openerOf, requireRole } from "../auth.ts";
import { BATCH_UNREADABLE, NOTHING_QUEUED, orUnavailable, SOME_QUEUED } from "../bulk-failures.ts";
import {
  batchRecord,
  type CheckedItem,
  checkBatchItem,
  judgeKeys,
  type Outcome,
  pairOf,
  refusal,
  refusedByRefs,
} from "../bulk-items.ts";
import { fromZod } from "../problem.ts";
import {
  batchOrigin,
  chunkForQueue,
  type DispatchMessage,
  maxItemBytes,
  SEND_OPTIONS,
  sendBatches,
} from "../queues/messages.ts";
import {
  assertJsonWithin,
  header,
  MAX_BATCH_BYTES,
  MAX_TRACKER_REQUEST_BYTES,
  noQuery,
  param,
  readJson,
} from "../validate.ts";

export const bulk = new Hono<AppEnv>();

bulk.post("/jobs:batch", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const keyOfBatch = header(c, "Idempotency-Key", DerivedKeyHeader);
  const parsed = BatchBody.safeParse(await readJson(c, MAX_BATCH_BYTES));
  if (!parsed.success) throw fromZod("body", parsed.error);
  const productId = c.get("productId");
  const batchId = crypto.randomUUID();
  const base = { kind: "submit" as const, productId, actor: actorOf(principal), origin: batchOrigin(batchId) };
  const outcomes: Outcome[] = [];
  const checked: CheckedItem[] = [];
  const hashOf = new Map<number, string>(); // item index → its own request's hash, for the batch's record
  const repeats = new Map<string, number>(); // request hash → items keyed under the batch key with it so far
  parsed.data.items.forEach((item, index) => {
    try {
      const one = checkBatchItem(item, index, keyOfBatch, maxItemBytes(base), repeats);
      hashOf.set(index, one.hash);
      checked.push(one);
      outcomes.push({ index, idempotencyKey: one.key, status: "queued" });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      outcomes.push({ index, ...refusal(err) });
    }
  });
  // Keys the coordinator already knows first (bulk-items `judgeKeys`): the same request again answers with its job
  // (README guarantee 6, as a single submit does) even when its deps or parent would refuse a new one now, and another
  // request under a known key is refused 409. Asking the refs first turned a retried batch's created items into
  // rejections.
  // Every coordinator call through `orUnavailable`: one that throws (its storage, a reset) is a 503 saying to resend.
  const coordinator = c.get("coordinator");
  const { known, unknown } = await orUnavailable(
    judgeKeys(coordinator, productId, checked, openerOf(c)),
    NOTHING_QUEUED,
  );
  // Only new items: those whose deps or parent rule them out now are refused here, not answered `queued` and
  // rejected later (refusedByRefs takes them out of `unknown`).
  const byRefs = await orUnavailable(refusedByRefs(coordinator, productId, unknown), NOTHING_QUEUED);
  const toQueue = [...unknown.values()].map((e) => e.input);
  const decided = outcomes.map((o): Outcome => {
    if (!("idempotencyKey" in o) || o.status !== "queued" || !o.idempotencyKey) return o;
    const seen = known.get(pairOf(o.idempotencyKey, hashOf.get(o.index) ?? "")) ?? byRefs.get(o.idempotencyKey);
    return seen ? { ...seen, index: o.index } : o;
  });
  // Recorded before any item is queued: the queue may hand the first messages to its consumer while later ones are
  // still being sent, and a refusal it meets (coordinator/jobs/batches `rejectQueuedItems`) must find its item's row.
  // The batch id the client gets can be read at once (GET …/batches/{batchId}). Recorded unconfirmed (`sending`):
  // until `settleSends` below confirms it, an item without a job reads not queued — a lost confirmation leaves no
  // item claimed queued that was never sent.
  await orUnavailable(
    unwrap(
      coordinator.recordBatch(
        productId,
        batchId,
        decided.map((o) => batchRecord(o, hashOf)),
        true,
        openerOf(c), // a token revoked while the body streamed queues nothing (401)
      ),
    ),
    NOTHING_QUEUED,
  );
  const failed = await enqueue(c.env, chunkForQueue(base, toQueue));
  const items = decided.map((o): Outcome => {
    if (!("idempotencyKey" in o) || o.status !== "queued" || !o.idempotencyKey) return o;
    const lost = failed.get(o.idempotencyKey);
    return lost
      ? { index: o.index, ...refusal(new DomainError("unavailable", lost, { idempotencyKey: o.idempotencyKey })) }
      : o;
  });
  const unsent = items.filter((o, i) => o !== decided[i]);
  // One call, one batch-row write (plus the refused items): no per-item write for the sent ones (issue 12's W1 path).
  if (toQueue.length > 0) {
    await orUnavailable(
      unwrap(
        coordinator.settleSends(
          productId,
          batchId,
          unsent.map((o) => batchRecord(o, hashOf)),
        ),
      ),
      SOME_QUEUED,
    );
  }
  const taken = (o: (typeof items)[number]) => o.status === "queued" || o.status === "exists";
  const ok = items.filter(taken);
  // Identical keyless items share a content key: one job, which `accepted` alone counted once per item.
  const { repeatOf, keys } = batchRepeats(
    ok.map((o) => ({ index: o.index, key: ("jobId" in o && o.jobId) || `key:${o.idempotencyKey ?? ""}` })),
  );
  return c.json(
    {
      batchId,
      accepted: ok.length,
      jobs: keys,
      idempotencyKeys: ok.map((o) => o.idempotencyKey),
      items: ok.map((o) => (repeatOf.has(o.index) ? { ...o, repeatOf: repeatOf.get(o.index) } : o)),
      rejected: items.filter((o) => !taken(o)), // not `!ok.includes(o)`: quadratic in a 10,000-item batch
    },
    202,
  );
});

/** `GET …/batches/{batchId}` (viewer): every item of a bulk batch with its job once it exists, and `done`. */
bulk.get("/batches/:batchId", async (c) => {
  requireRole(c, "viewer");
  noQuery(c);
  const id = param(c, "batchId", EntityId);
  return c.json(await orUnavailable(unwrap(c.get("coordinator").getBatch(c.get("productId"), id)), BATCH_UNREADABLE));
});

/**
 * Sends the messages in queue-sized batches. A batch the queue refuses (an outage) does not
 * undo the ones before it: its items are reported, by key, as not queued, and resending them is
 * safe (their keys make the coordinator create each once).
 * @returns idempotency key → why it was not queued
 */
async function enqueue(env: Env, messages: DispatchMessage[]): Promise<Map<string, string>> {
  const failed = new Map<string, string>();
  for (const batch of sendBatches(messages)) {
    try {
      await env.DISPATCH_QUEUE.sendBatch(batch);
    } catch (err) {
      // The advice first: a long error from the queue is what the item's 1 KiB of detail cuts (bulk-items `refusal`).
      const why = `the dispatch queue refused this item; nothing of it was queued — resend it (the queue said: ${String(err)})`;
      for (const m of batch) for (const item of m.body.items) failed.set(item.manifest.idempotencyKey ?? "", why);
    }
  }
  return failed;
}

bulk.post("/tracker/ingest", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const parsed = TrackerIngestBody.safeParse(await readJson(c, MAX_TRACKER_REQUEST_BYTES));
  if (!parsed.success) throw fromZod("body", parsed.error);
  const { source, externalId, body, ...fields } = parsed.data;
  // The tracker item's identity is the idempotency key: re-ingesting the same item returns its job,
  // a changed one under the same id is a conflict (a tracker edit is not a new job).
  const idempotencyKey = `tracker:${source}:${externalId}`;
  const input = { manifest: validateManifest({ ...fields, idempotencyKey }), bodyMd: body };
  const productId = c.get("productId");
  const message: DispatchMessage = {
    kind: "submit",
    productId,
    actor: actorOf(principal),
    origin: `tracker:${source}`,
    items: [input],
  };
  assertJsonWithin("the tracker item", input, maxItemBytes(message));
  const [verdict] = await orUnavailable(
    // With the credential checked live: the last step before the item is queued (a token revoked meanwhile, 401).
    unwrap(c.get("coordinator").checkKeys(productId, [{ key: idempotencyKey, hash: requestHash(input) }], openerOf(c))),
    NOTHING_QUEUED,
  );
  if (verdict?.verdict === "conflict") throw keyConflict(idempotencyKey, verdict.jobId);
  if (verdict?.verdict === "exists") return c.json({ idempotencyKey, status: "exists", jobId: verdict.jobId }, 200);
  try {
    await c.env.DISPATCH_QUEUE.send(message, SEND_OPTIONS);
  } catch (err) {
    // An outage of the queue, not bad input: a 503 the tracker's sync can retry (the item is idempotent), as bulk
    // answers per item — not the 500 of a bug.
    throw new DomainError(
      "unavailable",
      `the dispatch queue refused the item (${String(err)}); nothing was queued — resend it`,
      {
        idempotencyKey,
      },
    );
  }
  return c.json({ idempotencyKey, status: "queued" }, 202);
});
