// A bulk batch item rejected `unavailable` (its message dead-lettered: "resend it") is not rejected for good: once its
// job exists after all — the operator redrove the dead letter, so the batch's own message made it — the batch reads it
// `created` with that job, and an item whose key another request took meanwhile reads `conflict` (a resend would be
// 409), instead of "unavailable, resend it" for ever.

import { describe, expect, it } from "vitest";
import { batchView, deliver, heldQueue, postBatch } from "./batch-client.ts";
import { ADMIN, api, createProduct, P, until } from "./client.ts";

// Before: only `queued` items were resolved through their keys, so the redriven message's jobs were made while the
// batch went on saying its items were rejected and had to be sent again.

const titles = async (product: string) =>
  (await api<{ jobs: Array<{ title: string }> }>("GET", `${P(product)}/jobs`, { token: ADMIN })).body.jobs
    .map((j) => j.title)
    .sort();

describe("a bulk batch item rejected unavailable", () => {
  it("reads created once a redrive of its dead letter made its job, and conflict once another took its key", async () => {
    const product = "batch-redrive";
    await createProduct(product);
    const lost = heldQueue();
    const batchId = await postBatch(product, lost.env, [
      { manifest: { title: "kept" } },
      { manifest: { title: "taken", idempotencyKey: "brd-taken" } },
    ]);
    expect(await deliver("gigafactory-dlq", lost.held)).toEqual({ acked: 1, retried: 0 });
    const before = await batchView(product, batchId);
    expect(before.items.map((i) => [i.status, i.code])).toEqual([
      ["rejected", "unavailable"],
      ["rejected", "unavailable"],
    ]);

    // Another request takes the second item's key; then the operator redrives the dead letter.
    const other = await api("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "another", idempotencyKey: "brd-taken" } },
    });
    expect(other.status).toBe(201);
    const letters = await api<{ items: Array<{ id: string; source: string }> }>("GET", `${P(product)}/dead-letters`, {
      token: ADMIN,
    });
    const letter = letters.body.items.find((l) => l.source === "queue:submit");
    expect(letter).toBeDefined();
    const redrive = await api("POST", `${P(product)}/dead-letters/${encodeURIComponent(letter!.id)}/redrive`, {
      token: ADMIN,
    });
    expect(redrive.status).toBe(200);
    await until(
      () => titles(product),
      (t) => t.includes("kept"),
      { what: "the redriven message's job" },
    );

    const jobs = await api<{ jobs: Array<{ id: string; title: string }> }>("GET", `${P(product)}/jobs`, {
      token: ADMIN,
    });
    const kept = jobs.body.jobs.find((j) => j.title === "kept");
    const after = await batchView(product, batchId);
    expect(after.items.map((i) => [i.index, i.status, i.jobId, i.code])).toEqual([
      [0, "created", kept?.id, undefined],
      [1, "rejected", undefined, "conflict"],
    ]);
    expect(after.done).toBe(true);
  });
});
