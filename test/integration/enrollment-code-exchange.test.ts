// An enrollment code is exchanged once, in its own product, while it is live (coordinator/access/enrollment, worker
// auth): two hosts exchanging one code at once end with exactly one factory (the other 401 problem+json, its name
// still free); a code sent on another product's path is 403 there, enrolls nothing there and stays usable at home;
// and the code's expiry is one instant for every check — live 1 ms before `expiresAt`, refused at `expiresAt` exactly
// by the Worker's lookup (access/tokens `authenticate`), the exchange, the list and a revocation alike.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { consumeEnrollmentCode, listEnrollmentCodes } from "../../src/durable-objects/coordinator/access/enrollment.ts";
import { authenticate } from "../../src/durable-objects/coordinator/access/tokens.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import { sha256Hex } from "../../src/worker/auth.ts";
import { ADMIN, api, createProduct, P } from "./client";

const mint = async (product: string) => {
  const r = await api<{ id: string; code: string; expiresAt: number }>(
    "POST",
    `${P(product)}/factories/enrollment-codes`,
    { token: ADMIN, json: {} },
  );
  expect(r.status).toBe(201);
  return r.body;
};
const redeem = (product: string, code: string, name: string) =>
  api<{ factoryId?: string; code?: string; detail?: string }>("POST", `${P(product)}/factories/enroll`, {
    token: code,
    json: { name },
  });
const factoryNames = async (product: string) =>
  (await api<{ factories: Array<{ name: string }> }>("GET", `${P(product)}/factories`, { token: ADMIN })).body.factories
    .map((f) => f.name)
    .sort();

describe("an enrollment code's exchange", () => {
  it("two hosts at once: exactly one is enrolled, the other is refused 401 and its name stays free", async () => {
    const product = "code-exchange-race";
    const { code } = await mint(product);
    const answers = await Promise.all(["host-a", "host-b"].map((name) => redeem(product, code, name)));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 401]);
    const loser = answers.find((a) => a.status === 401)!;
    expect(loser.headers.get("content-type")).toBe("application/problem+json");
    expect(loser.body.code).toBe("unauthorized");
    expect(JSON.stringify(loser.body)).not.toContain(code);
    const names = await factoryNames(product);
    expect(names).toHaveLength(1);
    const free = names[0] === "host-a" ? "host-b" : "host-a";
    expect((await redeem(product, (await mint(product)).code, free)).status).toBe(201);
  });

  it("a code used already is refused as a code, not as a token the host never had", async () => {
    const product = "code-used-twice";
    const { code } = await mint(product);
    expect((await redeem(product, code, "first")).status).toBe(201);
    const again = await redeem(product, code, "second");
    expect([again.status, again.body.code]).toEqual([401, "unauthorized"]);
    expect(again.body.detail).toMatch(/^enrollment code is not recognised: it was used already/);
  });

  it("on another product's path: 403 there, nothing enrolled there, still usable in its own product", async () => {
    const home = "code-exchange-home";
    const other = "code-exchange-other";
    await createProduct(other);
    const { code } = await mint(home);
    const refused = await redeem(other, code, "h1");
    expect(refused.status).toBe(403);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(JSON.stringify(refused.body)).not.toContain(code);
    expect(await factoryNames(other)).toEqual([]);
    expect((await redeem(home, code, "h1")).status).toBe(201);
  });

  it("expires at one instant for every check: live 1 ms before expiresAt, refused at expiresAt exactly", async () => {
    const product = "code-exchange-expiry";
    const { id, code, expiresAt } = await mint(product);
    const hash = await sha256Hex(code);
    const seen = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const sql = state.storage.sql;
      const at = (now: number) => {
        const tx: Tx = { sql, productId: product, now };
        let exchange: string;
        // Inside a transaction that is rolled back: the code is judged, never used up.
        try {
          state.storage.transactionSync(() => {
            consumeEnrollmentCode(tx, hash, { name: "h1", seats: 1 });
            throw new Error("rollback");
          });
          exchange = "?";
        } catch (err) {
          exchange = (err as Error).message === "rollback" ? "taken" : "refused";
        }
        return {
          authenticated: authenticate(sql, hash, now)?.kind ?? "none",
          exchange,
          listed: listEnrollmentCodes(sql, now).some((c) => c.id === id),
        };
      };
      return { before: at(expiresAt - 1), at: at(expiresAt) };
    });
    expect(seen.before).toEqual({ authenticated: "enrollment", exchange: "taken", listed: true });
    expect(seen.at).toEqual({ authenticated: "none", exchange: "refused", listed: false });
    // Still live by the real clock (an hour's code): the judging above used nothing up.
    expect((await redeem(product, code, "h1")).status).toBe(201);
  });
});
