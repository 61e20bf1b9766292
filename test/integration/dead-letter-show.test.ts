// `GET …/dead-letters/{id}` in workerd, real D1 and coordinator storage: one dead letter as the list shows it, from
// whichever store holds it — D1 (`heldBy: ["d1"]`), the coordinator (it kept what D1 refused), or both (D1's copy
// answered, as the list lists it) — with what a redrive would do now, judged by the redrive's own checks and nothing
// sent: a history message goes back to its queue, an outbox record and a webhook delivery of a product with no webhook
// are refused (`dead_letter_not_redrivable`), a body that is not JSON is shown as its text and refused
// (`dead_letter_malformed`) — and still listed, untouched. An unknown id is a 404 problem+json `not_found`; a viewer is
// refused (403); with D1 unreadable the coordinator's copy is answered `partial`, and one only D1 may hold is a 503.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { recordDeadLetters } from "../../src/worker/queues/dead-letters.ts";
import { ADMIN, api, createProduct, mintToken, P } from "./client.ts";

const history = (p: string) => ({
  kind: "history",
  productId: p,
  records: [{ productId: p, seq: 1, kind: "audit", body: { at: 1, actor: "op", action: "lost", target: "t" } }],
});

const show = (p: string, id: string, token = ADMIN) =>
  api<Record<string, unknown>>("GET", `${P(p)}/dead-letters/${encodeURIComponent(id)}`, { token });

/** Keeps `letter` in the product's coordinator, as the consumers' fallback does while D1 refuses. */
const keep = (p: string, letter: { id: string; source: string; body: unknown; at: number }) =>
  env.COORDINATOR.getByName(p).keepDeadLetters(p, [
    { ...letter, reason: "kept", attempts: 5, body: JSON.stringify(letter.body) },
  ]);

describe("GET …/dead-letters/{id}", () => {
  it("answers one dead letter from either store or both, with what a redrive would do now", async () => {
    const p = "dls-stores";
    await createProduct(p);
    await recordDeadLetters(env.DB, [
      {
        id: "in-d1",
        productId: p,
        source: "queue:history",
        reason: "D1 was down",
        body: history(p),
        attempts: 5,
        at: 3,
      },
      { id: "both", productId: p, source: "queue:history", reason: "later", body: history(p), attempts: 5, at: 9 },
    ]);
    await keep(p, { id: "both", source: "queue:history", body: history(p), at: 4 });
    await keep(p, { id: "outbox:7", source: "outbox:event", body: { kind: "event", seq: 7 }, at: 5 });

    const d1 = await show(p, "in-d1");
    expect(d1.status).toBe(200);
    expect(d1.body).toEqual({
      id: "in-d1",
      productId: p,
      source: "queue:history",
      reason: "D1 was down",
      body: history(p),
      attempts: 5,
      at: 3,
      heldBy: ["d1"],
      redrive: { possible: true, queue: "history" },
    });
    const both = await show(p, "both");
    expect(both.body).toMatchObject({ reason: "later", at: 9, heldBy: ["d1", "coordinator"] });
    const outbox = await show(p, "outbox:7");
    expect(outbox.body).toMatchObject({
      heldBy: ["coordinator"],
      body: { kind: "event", seq: 7 },
      redrive: { possible: false, code: "dead_letter_not_redrivable" },
    });
    // A read sends and deletes nothing: the list still holds all three.
    const listed = await api<{ items: Array<{ id: string }> }>("GET", `${P(p)}/dead-letters`, { token: ADMIN });
    expect(listed.body.items.map((d) => d.id).sort()).toEqual(["both", "in-d1", "outbox:7"]);
  });

  it("says a redrive would be refused when the product has no webhook, or the body is not JSON", async () => {
    const p = "dls-refusals";
    await createProduct(p);
    const delivery = {
      kind: "webhook",
      productId: p,
      body: { deliveryId: "d1", seq: 1, productId: p, type: "x", at: 1 },
    };
    await recordDeadLetters(env.DB, [
      { id: "hook", productId: p, source: "queue:webhook", reason: "503", body: delivery, attempts: 9, at: 1 },
    ]);
    await env.DB.prepare(
      "INSERT INTO dead_letters(id, product_id, source, reason, body, attempts, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
      .bind("garbled", p, "queue:history", "unreadable", "{not json", 5, 2)
      .run();
    const hook = await show(p, "hook");
    expect(hook.body.redrive).toMatchObject({ possible: false, code: "dead_letter_not_redrivable" });
    expect(String((hook.body.redrive as { detail: string }).detail)).toContain("no webhook");
    const garbled = await show(p, "garbled");
    expect(garbled.body).toMatchObject({
      body: "{not json",
      redrive: { possible: false, code: "dead_letter_malformed" },
    });
  });

  it("is 404 not_found for an unknown id, 403 for a viewer", async () => {
    const p = "dls-refused";
    await createProduct(p);
    await recordDeadLetters(env.DB, [
      { id: "here", productId: p, source: "queue:history", reason: "r", body: history(p), attempts: 5, at: 1 },
    ]);
    const missing = await show(p, "nowhere");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(missing.body).toMatchObject({ code: "not_found", title: expect.any(String), type: expect.any(String) });
    expect(String(missing.body.detail)).toContain("dead letter nowhere");
    const viewer = await mintToken(p, "viewer");
    expect((await show(p, "here", viewer.token)).status).toBe(403);
  });

  it("with D1 unreadable: the coordinator's copy, partial; one only D1 may hold is a 503", async () => {
    const p = "dls-d1-down";
    await createProduct(p);
    await keep(p, { id: "kept", source: "queue:history", body: history(p), at: 1 });
    await env.DB.exec("ALTER TABLE dead_letters RENAME TO dead_letters_away");
    try {
      const kept = await show(p, "kept");
      expect(kept.status).toBe(200);
      expect(kept.body).toMatchObject({ id: "kept", heldBy: ["coordinator"], partial: true });
      const unsure = await show(p, "maybe-in-d1");
      expect(unsure.status).toBe(503);
      expect(unsure.body).toMatchObject({ code: "unavailable" });
    } finally {
      await env.DB.exec("ALTER TABLE dead_letters_away RENAME TO dead_letters");
    }
  });
});
