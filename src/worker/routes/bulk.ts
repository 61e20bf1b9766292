/**
 * @module worker/routes/bulk
 * Work that enters through the dispatch queue instead of a direct call: bulk
 * submission (thousands of manifests in one request) and tracker ingest. Both
 * validate every manifest here, answer 202 at once, and let the queue deliver
 * them to the coordinator in batches — idempotently, by key. Also the dead
 * letters, where whatever could not be delivered ends up, visible.
 */
import { and, desc, eq, gte } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { Hono } from "hono";
import { DomainError, unwrap } from "../../core/errors.ts";
import { parseManifest, validateManifest } from "../../core/manifest.ts";
import type { SubmitInput } from "../../durable-objects/coordinator/submit.ts";
import { deadLetters } from "../../history/schema.ts";
import { BatchBody, DeadLettersQuery, TrackerIngestBody } from "../../shared/api.ts";
import { type AppEnv, actorOf, coordinatorFor, requireRole } from "../auth.ts";
import { fromZod } from "../problem.ts";
import { chunkForQueue, MAX_MESSAGE_BYTES, sendBatches } from "../queues/messages.ts";
import { query, readJson } from "../validate.ts";

/** A batch request may carry this much; larger imports are split by the client. */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

export const bulk = new Hono<AppEnv>();

bulk.post("/jobs:batch", async (c) => {
  const principal = requireRole(c, "operator");
  const parsed = BatchBody.safeParse(await readJson(c, MAX_BATCH_BYTES));
  if (!parsed.success) throw fromZod("body", parsed.error);
  const batchId = crypto.randomUUID();
  const accepted: SubmitInput[] = [];
  const keys: string[] = [];
  const rejected: Array<{ index: number; code: string; detail: string }> = [];
  parsed.data.items.forEach((item, index) => {
    try {
      const input =
        "markdown" in item
          ? parseManifest(item.markdown)
          : { manifest: validateManifest(item.manifest), bodyMd: item.bodyMd };
      const key = input.manifest.idempotencyKey ?? `batch:${batchId}:${index}`;
      const full = { manifest: { ...input.manifest, idempotencyKey: key }, bodyMd: input.bodyMd };
      if (JSON.stringify(full).length > MAX_MESSAGE_BYTES) {
        throw new DomainError(
          "payload_too_large",
          "this manifest is too large for bulk submission; submit it on its own",
        );
      }
      accepted.push(full);
      keys.push(key);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      rejected.push({ index, code: err.code, detail: err.message });
    }
  });
  const productId = c.get("productId");
  const messages = chunkForQueue(
    { kind: "submit", productId, actor: actorOf(principal), origin: `batch:${batchId}` },
    accepted,
  );
  for (const batch of sendBatches(messages)) await c.env.DISPATCH_QUEUE.sendBatch(batch);
  return c.json({ batchId, accepted: accepted.length, idempotencyKeys: keys, rejected }, 202);
});

bulk.post("/tracker/ingest", async (c) => {
  const principal = requireRole(c, "operator");
  const parsed = TrackerIngestBody.safeParse(await readJson(c));
  if (!parsed.success) throw fromZod("body", parsed.error);
  const { source, externalId, body, ...fields } = parsed.data;
  // The tracker item's identity is the idempotency key: re-ingesting it is a no-op.
  const idempotencyKey = `tracker:${source}:${externalId}`;
  const manifest = validateManifest({ ...fields, idempotencyKey });
  const productId = c.get("productId");
  await c.env.DISPATCH_QUEUE.send({
    kind: "submit",
    productId,
    actor: actorOf(principal),
    origin: `tracker:${source}`,
    items: [{ manifest, bodyMd: body }],
  });
  return c.json({ idempotencyKey, status: "queued" }, 202);
});

bulk.get("/dead-letters", async (c) => {
  requireRole(c, "operator");
  const q = query(c, DeadLettersQuery);
  const productId = c.get("productId");
  const since = q.since ?? 0;
  // Two places keep dead letters: D1, and the coordinator (its undeliverable outbox records, and what D1 refused).
  // D1 may be the very thing that is failing: its dead letters are then left out, the coordinator's still shown.
  const [inD1, inCoordinator] = await Promise.all([
    drizzle(c.env.DB)
      .select()
      .from(deadLetters)
      .where(and(eq(deadLetters.productId, productId), gte(deadLetters.at, since)))
      .orderBy(desc(deadLetters.at))
      .limit(q.limit)
      .then((rows) => rows.map((r) => ({ ...r, body: JSON.parse(r.body) as unknown })))
      .catch((err: unknown) => {
        console.error(`dead letters: D1 unreadable for ${productId}: ${String(err)}`);
        return [];
      }),
    unwrap(coordinatorFor(c.env, productId).listDeadLetters(productId, since, q.limit)).then((rows) =>
      rows.map((r) => ({ ...r, body: JSON.parse(r.body) as unknown })),
    ),
  ]);
  const items = [...inD1, ...inCoordinator].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1)).slice(0, q.limit);
  return c.json({ items });
});
