// Revoking an operator token also revokes the enrollment codes it minted that are still live: a leaked operator token,
// revoked, must not leave behind up-to-7-day codes that its holder trades for a factory token afterwards (and so for
// the product's jobs). Codes minted by the admin or by another operator are untouched; the revocation's audit entry
// counts the codes it took with it. A mint that authenticated just before the revocation and commits after it is
// refused (401) instead of leaving a code the revocation never saw.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/worker/auth";
import { ADMIN, api, mintToken, P, until } from "./client";

type Code = { id: string; code: string };

const mintCode = async (product: string, token: string, name: string) => {
  const r = await api<Code>("POST", `${P(product)}/factories/enrollment-codes`, { token, json: { name } });
  expect(r.status).toBe(201);
  return r.body;
};
const redeem = (product: string, code: string, name: string) =>
  api("POST", `${P(product)}/factories/enroll`, { token: code, json: { name } });
const listed = async (product: string) =>
  (
    await api<{ codes: Array<{ id: string }> }>("GET", `${P(product)}/factories/enrollment-codes`, { token: ADMIN })
  ).body.codes.map((c) => c.id);

describe("an operator token's revocation takes the enrollment codes it minted with it", () => {
  it("refuses the revoked minter's codes, keeps the others', and audits how many went", async () => {
    const product = "code-minter-revoked";
    const leaked = await mintToken(product, "operator", "leaked");
    const other = await mintToken(product, "operator", "other");
    const byLeaked = [await mintCode(product, leaked.token, "h1"), await mintCode(product, leaked.token, "h2")];
    const byOther = await mintCode(product, other.token, "h3");
    const byAdmin = await mintCode(product, ADMIN, "h4");

    expect((await api("DELETE", `${P(product)}/tokens/${leaked.id}`, { token: ADMIN })).status).toBe(200);

    for (const [i, c] of byLeaked.entries()) {
      const r = await redeem(product, c.code, `h${i + 1}`);
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ code: "unauthorized" });
    }
    expect(await listed(product)).toEqual([byOther.id, byAdmin.id]);
    expect((await redeem(product, byOther.code, "h3")).status).toBe(201);
    expect((await redeem(product, byAdmin.code, "h4")).status).toBe(201);
    // Revoked codes answer as revoked, not as live ones still waiting.
    const again = await api("DELETE", `${P(product)}/factories/enrollment-codes/${byLeaked[0]!.id}`, { token: ADMIN });
    expect(again.body).toMatchObject({ changed: false, state: "revoked" });

    const audit = await until(
      () =>
        api<{ items: Array<{ action: string; target: string; detail: Record<string, unknown> }> }>(
          "GET",
          `${P(product)}/history?kind=audit`,
          { token: ADMIN },
        ),
      (r) => r.body.items.some((a) => a.action === "token.revoke"),
    );
    const entry = audit.body.items.find((a) => a.action === "token.revoke");
    expect(entry).toMatchObject({ target: leaked.id, detail: { enrollmentCodesRevoked: 2 } });
  });

  it("refuses a mint that commits after its token's revocation, and keeps no code", async () => {
    const product = "code-minter-race";
    const op = await mintToken(product, "operator", "late");
    expect((await api("DELETE", `${P(product)}/tokens/${op.id}`, { token: ADMIN })).status).toBe(200);
    // The Worker authenticated `op` before the revocation; its mint reaches the coordinator only now.
    const code = `gfe_${product}_${"A".repeat(43)}`;
    const stub = env.COORDINATOR.getByName(product);
    const outcome = await stub.mintEnrollmentCode(
      product,
      await sha256Hex(code),
      3600,
      "operator:late",
      {},
      op.id,
      "admin",
    );
    expect(outcome).toMatchObject({ ok: false, error: { code: "unauthorized" } });
    expect(await listed(product)).toEqual([]);
    expect((await redeem(product, code, "h")).status).toBe(401);
  });
});
