// A product keeps at most MAX_LIVE_CODES enrollment codes live at once (coordinator/access/enrollment): nothing bounded
// them, so an operator token — a leaked one too — could mint codes without end, each live up to 7 days, growing the
// list the Enrollment page and `gigafactory enrollment-codes` read whole and what that token's revocation sweeps in one
// unit. Past the cap a mint is 429 limit_exceeded problem+json (with `max`), nothing kept; used, revoked and expired
// codes do not count, so revoking one makes room at once.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_LIVE_CODES } from "../../src/durable-objects/coordinator/access/enrollment.ts";
import { ADMIN, api, mintToken, P } from "./client";

type Listed = { codes: Array<{ id: string }> };
const product = "code-cap";
const mint = (token = ADMIN) =>
  api<{ id: string; code: string; max?: number }>("POST", `${P(product)}/factories/enrollment-codes`, {
    token,
    json: {},
  });
const listed = async () =>
  (await api<Listed>("GET", `${P(product)}/factories/enrollment-codes`, { token: ADMIN })).body.codes;

/** `n` codes written straight into the coordinator's table, in `state` (minting MAX_LIVE_CODES by HTTP is slow). */
async function seed(n: number, state: "live" | "used" | "revoked" | "expired") {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, s) => {
    const now = Date.now();
    for (let i = 0; i < n; i++) {
      s.storage.sql.exec(
        `INSERT INTO enrollment_codes(id, code_hash, created_at, expires_at, used_at, revoked_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, 'admin')`,
        `enr_seed_${state}_${i}`,
        `hash_seed_${state}_${i}`,
        now,
        state === "expired" ? now - 1 : now + 3_600_000,
        state === "used" ? now : null,
        state === "revoked" ? now : null,
      );
    }
  });
}

describe("live enrollment codes are capped", () => {
  it("refuses the mint past the cap with 429 problem+json, keeps nothing, and makes room when one is revoked", async () => {
    const operator = await mintToken(product, "operator", "minter");
    expect((await mint()).status).toBe(201); // the coordinator and its table exist from here
    await seed(MAX_LIVE_CODES - 2, "live");
    // Dead codes (awaiting the cron's prune) do not count.
    for (const state of ["used", "revoked", "expired"] as const) await seed(5, state);
    expect((await mint(operator.token)).status).toBe(201);
    expect(await listed()).toHaveLength(MAX_LIVE_CODES);

    for (const token of [ADMIN, operator.token]) {
      const refused = await mint(token);
      expect(refused.status).toBe(429);
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
      expect(refused.body).toMatchObject({ code: "limit_exceeded", max: MAX_LIVE_CODES });
      expect(refused.body.code).not.toMatch(/^gfe_/);
    }
    expect(await listed()).toHaveLength(MAX_LIVE_CODES);

    const revoked = await api("DELETE", `${P(product)}/factories/enrollment-codes/enr_seed_live_0`, { token: ADMIN });
    expect(revoked.body).toMatchObject({ changed: true });
    expect((await mint(operator.token)).status).toBe(201);
    expect((await mint()).status).toBe(429);
  });
});
