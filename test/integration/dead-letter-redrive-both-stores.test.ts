// A dispatch dead letter held by both stores — the product's coordinator (kept while D1 refused it) and D1 (recorded
// there too, later) — is judged from the earlier of their two `at`s when a redrive asks whether its idempotency keys
// still dedupe: kept by the coordinator 8 days ago and by D1 yesterday, it is refused (409) and kept in both, since a
// job its item made may since have been forgotten by key and would be made twice. The route had read D1's `at` alone
// whenever D1 held it, and sent the message again. Either store's copy the older, the answer is the same.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { recordDeadLetters } from "../../src/worker/queues/dead-letters.ts";
import { ADMIN, api, createProduct, P } from "./client.ts";

const DAY = 86_400_000;

/** A dispatch message's dead letter `id` of `p`: at `d1At` in D1 and at `keptAt` in the coordinator. */
async function inBothStores(p: string, id: string, d1At: number, keptAt: number) {
  const manifest = { title: "paid once", idempotencyKey: `${id}-key` };
  const body = { kind: "submit", productId: p, actor: "op", origin: "tracker:t", items: [{ manifest, bodyMd: "" }] };
  const letter = { id, source: "queue:submit", reason: "delivery failed after all retries", attempts: 5 };
  await env.COORDINATOR.getByName(p).keepDeadLetters(p, [{ ...letter, body: JSON.stringify(body), at: keptAt }]);
  await recordDeadLetters(env.DB, [{ ...letter, productId: p, body, at: d1At }]);
}

const inD1 = async (p: string, id: string) =>
  (await env.DB.prepare("SELECT at FROM dead_letters WHERE product_id = ? AND id = ?").bind(p, id).first()) !== null;

describe("redrive of a dispatch dead letter both stores hold", () => {
  it("is judged from the earlier `at`: refused (409) and kept when either copy is older than its keys", async () => {
    const p = "dlr-both-stores";
    await createProduct(p);
    const now = Date.now();
    await inBothStores(p, "kept-first", now - DAY, now - 8 * DAY);
    await inBothStores(p, "d1-first", now - 8 * DAY, now - DAY);
    for (const id of ["kept-first", "d1-first"]) {
      const r = await api<{ code: string; detail: string }>("POST", `${P(p)}/dead-letters/${id}/redrive`, {
        token: ADMIN,
      });
      expect({ id, status: r.status, code: r.body.code }).toEqual({
        id,
        status: 409,
        code: "dead_letter_not_redrivable",
      });
      expect(r.body.detail).toContain("dead-lettered 8 days ago");
      expect(await inD1(p, id)).toBe(true);
      expect(await env.COORDINATOR.getByName(p).findDeadLetter(p, id, "admin")).toMatchObject({
        ok: true,
        value: { id },
      });
    }
    const jobs = await api<{ jobs: unknown[] }>("GET", `${P(p)}/jobs`, { token: ADMIN });
    expect(jobs.body.jobs).toEqual([]);
  });
});
