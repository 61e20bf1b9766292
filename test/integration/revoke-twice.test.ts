// Revoking what is revoked already is a no-op: a second `DELETE …/tokens/{id}` or `POST …/factories/{id}/token/revoke`
// (a retry, a second operator) answers 200 with the record as the first revocation left it (the token's first
// `revokedAt`; the factory's with `changed: false`, as the other no-ops say theirs) and writes no second `token.revoke` / `factory.token.revoke` audit entry — each appended another, as if
// the credential had been revoked twice. Audits are counted once the coordinator's outbox has handed every entry to
// the history queue and a token minted after has arrived (history-wait `auditDelivered`), so a missing entry is not
// merely late. Nor is a revoked factory granted anything: approving its
// capabilities or seats is refused 409 (as setting its status is), where it was written and audited though the
// factory never runs again.
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, mintToken, P } from "./client.ts";
import { auditDelivered } from "./history-wait.ts";

/** The product's audit actions once all it wrote has landed (history-wait `auditDelivered`). */
const auditActions = async (product: string) => (await auditDelivered(product)).map((i) => i.action);
const count = (actions: string[], action: string) => actions.filter((a) => a === action).length;

describe("revoking a revoked credential again", () => {
  it("a token: 200 with its first revokedAt, one token.revoke audited", async () => {
    const product = "revoke-twice-token";
    const t = await mintToken(product, "operator", "twice");
    const revoke = () =>
      api<{ id: string; revokedAt?: number }>("DELETE", `${P(product)}/tokens/${t.id}`, { token: ADMIN });
    const first = await revoke();
    expect(first.status).toBe(200);
    expect(first.body.revokedAt).toEqual(expect.any(Number));
    const second = await revoke();
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(count(await auditActions(product), "token.revoke")).toBe(1);
  });

  it("a factory: 200 with the revoked record, `changed: false`, one factory.token.revoke audited", async () => {
    const product = "revoke-twice-factory";
    const f = await enroll(product, "f");
    const revoke = () =>
      api<{ status: string; changed: boolean }>("POST", `${P(product)}/factories/${f.factoryId}/token/revoke`, {
        token: ADMIN,
      });
    const first = await revoke();
    expect(first.status).toBe(200);
    expect([first.body.status, first.body.changed]).toEqual(["revoked", true]);
    const second = await revoke();
    expect(second.status).toBe(200);
    // Said as the other no-ops say theirs (`changed: false`): it answered as if revoked now.
    expect(second.body).toEqual({ ...first.body, changed: false });
    expect(count(await auditActions(product), "factory.token.revoke")).toBe(1);
  });

  it("a revoked factory's grant: 409, nothing written or audited", async () => {
    const product = "revoked-grant";
    const f = await enroll(product, "f", [], 1);
    const revoked = await api<{ changed?: boolean }>("POST", `${P(product)}/factories/${f.factoryId}/token/revoke`, {
      token: ADMIN,
    });
    expect(revoked.status).toBe(200);
    delete revoked.body.changed; // the revoke's own word, not the record's
    const approve = await api("POST", `${P(product)}/factories/${f.factoryId}/capabilities/approve`, {
      token: ADMIN,
      json: { seatLimit: 4 },
    });
    expect(approve.status).toBe(409);
    expect(approve.body).toMatchObject({ code: "conflict" });
    const after = await api("GET", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN });
    expect(after.body).toMatchObject(revoked.body as object); // its read adds breakers
    expect(count(await auditActions(product), "factory.grant.approve")).toBe(0);
  });
});
