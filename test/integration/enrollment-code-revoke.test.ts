// An operator lists the product's live enrollment codes (by id, who minted them, when, until when — never the code) and revokes one, so a code pasted into the wrong place stops working at once; a viewer can do neither.
// There was no way to revoke a code: one that leaked stayed exchangeable for up to 7 days. Revoking is one coordinator
// unit, as the exchange is, so a revocation and an exchange racing each other end one way or the other — never both
// (the code used AND reported revoked). Revoking again, or revoking a used or expired code, changes nothing and says
// which it was (`changed: false`, `state`); an unknown id is 404, as for tokens.

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sweepAll } from "../../src/worker/reaper.ts";
import { ADMIN, api, P } from "./client";
import { auditDelivered } from "./history-wait.ts";

type Listed = { codes: Array<Record<string, unknown> & { id: string }> };
type Revoked = { id: string; changed: boolean; state: string; code?: string };

const mint = async (product: string, json: Record<string, unknown> = {}, token = ADMIN) => {
  const r = await api<{ id: string; code: string }>("POST", `${P(product)}/factories/enrollment-codes`, {
    token,
    json,
  });
  expect(r.status).toBe(201);
  return r.body;
};
const redeem = (product: string, code: string, name: string) =>
  api<{ code?: string }>("POST", `${P(product)}/factories/enroll`, { token: code, json: { name } });
const list = (product: string, token = ADMIN) =>
  api<Listed & { code?: string }>("GET", `${P(product)}/factories/enrollment-codes`, { token });
const revoke = (product: string, id: string, token = ADMIN) =>
  api<Revoked>("DELETE", `${P(product)}/factories/enrollment-codes/${encodeURIComponent(id)}`, { token });
const token = async (product: string, role: "operator" | "viewer") =>
  (await api<{ token: string }>("POST", `${P(product)}/tokens`, { token: ADMIN, json: { role, name: `${role}-1` } }))
    .body.token;

describe("enrollment codes: list and revoke", () => {
  it("lists live codes without the code, revokes one (exchange refused after), idempotently, audited", async () => {
    const product = "codes-revoke";
    const operator = await token(product, "operator");
    const leaked = await mint(product, { name: "box-a", seats: 2 });
    const kept = await mint(product, {}, operator);

    const before = await list(product, operator);
    expect(before.status).toBe(200);
    expect(before.body.codes.map((c) => c.id)).toEqual([leaked.id, kept.id]);
    expect(before.body.codes[0]).toMatchObject({ mintedBy: "admin", name: "box-a", seats: 2 });
    expect(before.body.codes[1]).toMatchObject({ mintedBy: "operator:operator-1" });
    expect(before.body.codes[0]!.expiresAt).toBeGreaterThan(before.body.codes[0]!.createdAt as number);
    expect(JSON.stringify(before.body)).not.toContain(leaked.code); // only its hash is kept
    expect(JSON.stringify(before.body)).not.toContain(kept.code);

    const revoked = await revoke(product, leaked.id, operator);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ id: leaked.id, changed: true, state: "revoked" });
    const refused = await redeem(product, leaked.code, "box-a");
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe("unauthorized");
    expect((await list(product)).body.codes.map((c) => c.id)).toEqual([kept.id]);

    expect((await revoke(product, leaked.id)).body).toEqual({ id: leaked.id, changed: false, state: "revoked" });
    expect((await redeem(product, kept.code, "box-b")).status).toBe(201);
    expect((await revoke(product, kept.id)).body).toEqual({ id: kept.id, changed: false, state: "used" });
    const unknown = await revoke(product, "enr_nope");
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe("not_found");
    expect((await revoke(product, "no good!")).status).toBe(400);

    // Three revocations audited, no more: read once all the coordinator wrote is in D1 (history-wait
    // `auditDelivered`) — waiting for three missed a fourth landing later.
    const revokes = (await auditDelivered(product)).filter((i) => i.action === "factory.enrollment_code.revoke");
    expect(revokes).toHaveLength(3);
    const first = revokes.find((i) => i.detail.changed);
    expect(first).toMatchObject({ actor: "operator:operator-1", target: leaked.id });
    // The cron's retention pass deletes revoked codes as it does used ones (the product is known: it wrote history).
    await sweepAll(env);
    expect((await revoke(product, leaked.id)).status).toBe(404);
  });

  it("an expired code reads expired; a revocation racing an exchange ends one way, never both", async () => {
    const product = "codes-revoke-race";
    const old = await mint(product);
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec("UPDATE enrollment_codes SET expires_at = 1 WHERE id = ?", old.id);
    });
    expect((await list(product)).body.codes).toEqual([]);
    expect((await revoke(product, old.id)).body).toEqual({ id: old.id, changed: false, state: "expired" });

    const raced = await mint(product);
    const [revoked, redeemed] = await Promise.all([revoke(product, raced.id), redeem(product, raced.code, "racer")]);
    if (redeemed.status === 201) expect(revoked.body).toMatchObject({ changed: false, state: "used" });
    else expect([redeemed.status, revoked.body.changed]).toEqual([401, true]);
  });

  it("a viewer can neither list nor revoke, and the code it tried stays usable", async () => {
    const product = "codes-revoke-viewer";
    const viewer = await token(product, "viewer");
    const c = await mint(product);
    for (const r of [await list(product, viewer), await revoke(product, c.id, viewer)]) {
      expect(r.status).toBe(403);
      expect(r.body.code).toBe("forbidden");
    }
    expect((await list(product)).body.codes.map((x) => x.id)).toEqual([c.id]);
    expect((await redeem(product, c.code, "still-fine")).status).toBe(201);
  });
});
