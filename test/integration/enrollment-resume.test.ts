// An enrollment whose answer the agent lost (killed -9 before its config was written) is resumed by the same code
// with the same client nonce (coordinator access/enrollment-resume): that factory, `resumed: true`, with a NEW token
// (the first stops working), audited `factory.enroll.resume`. The spent code alone — another nonce, or none — gets
// the refusal a spent code always got, word for word, and changes nothing. Refused too once the factory has beaten
// with its token (its config was written), once it was deregistered, under another name (403), past the window (an
// hour after the exchange, the code's expiry if sooner), and once the operator token that minted the code is
// revoked. A nonce outside 22–64 base64url characters is a 400 problem+json naming the field. Anywhere but the
// enroll route a spent code is the unknown code it always was (401 in its words), so its holder learns nothing.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RESUME_WINDOW_MS } from "../../src/durable-objects/coordinator/access/enrollment-resume.ts";
import { authenticate } from "../../src/durable-objects/coordinator/access/tokens.ts";
import { sha256Hex } from "../../src/worker/auth.ts";
import { ADMIN, api, mintToken, P, until } from "./client";

type Answer = { factoryId?: string; token?: string; resumed?: boolean; code?: string; detail?: string };
type Audit = { items: Array<{ action: string; actor: string; target: string; detail: Record<string, unknown> }> };

const NONCE = "n".repeat(43);
const OTHER_NONCE = "o".repeat(43);

const mint = async (product: string, token = ADMIN, json: Record<string, unknown> = {}) => {
  const r = await api<{ id: string; code: string; expiresAt: number }>(
    "POST",
    `${P(product)}/factories/enrollment-codes`,
    { token, json },
  );
  expect(r.status).toBe(201);
  return r.body;
};
const redeem = (product: string, code: string, name: string, nonce?: string) =>
  api<Answer>("POST", `${P(product)}/factories/enroll`, {
    token: code,
    json: { name, ...(nonce !== undefined ? { nonce } : {}) },
  });
const beat = (product: string, token: string) => api("POST", `${P(product)}/factories/heartbeat`, { token, json: {} });
const SPENT = /^enrollment code is not recognised: it was used already/;

describe("a lost enrollment resumed with its nonce", () => {
  it("the same code and nonce: the same factory, resumed, a new token; the first one stops working; audited", async () => {
    const product = "enroll-resume-same";
    const { id: codeId, code } = await mint(product);
    const first = await redeem(product, code, "box-1", NONCE);
    expect(first.status).toBe(201);
    expect(first.body.resumed).toBeUndefined();
    const again = await redeem(product, code, "box-1", NONCE);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ factoryId: first.body.factoryId, resumed: true });
    expect(again.body.token).toMatch(/^gf_enroll-resume-same_/);
    expect(again.body.token).not.toBe(first.body.token);
    expect((await beat(product, first.body.token!)).status).toBe(401);
    expect((await beat(product, again.body.token!)).status).toBe(200);
    const factories = await api<{ factories: Array<{ name: string }> }>("GET", `${P(product)}/factories`, {
      token: ADMIN,
    });
    expect(factories.body.factories.map((f) => f.name)).toEqual(["box-1"]);
    const audit = await until(
      () => api<Audit>("GET", `${P(product)}/history?kind=audit`, { token: ADMIN }),
      (r) => r.body.items.some((a) => a.action === "factory.enroll.resume"),
    );
    expect(audit.body.items.find((a) => a.action === "factory.enroll.resume")).toMatchObject({
      actor: `enrollment:${codeId}`,
      target: first.body.factoryId,
      detail: { name: "box-1", codeId },
    });
  });

  it("another nonce or none: refused as a spent code always was, and the factory's token still works", async () => {
    const product = "enroll-resume-other";
    const { code } = await mint(product);
    const first = await redeem(product, code, "box-1", NONCE);
    expect(first.status).toBe(201);
    for (const nonce of [OTHER_NONCE, undefined]) {
      const refused = await redeem(product, code, "box-1", nonce);
      expect([refused.status, refused.body.code]).toEqual([401, "unauthorized"]);
      expect(refused.body.detail).toMatch(SPENT);
      expect(JSON.stringify(refused.body)).not.toContain(NONCE);
    }
    expect((await beat(product, first.body.token!)).status).toBe(200);
  });

  it("a first exchange without a nonce can never be resumed", async () => {
    const product = "enroll-resume-none";
    const { code } = await mint(product);
    expect((await redeem(product, code, "box-1")).status).toBe(201);
    const refused = await redeem(product, code, "box-1", NONCE);
    expect([refused.status, refused.body.detail]).toEqual([401, expect.stringMatching(SPENT)]);
  });

  it("refused once the factory beat with its token, and under another name (403)", async () => {
    const product = "enroll-resume-connected";
    const { code } = await mint(product);
    const first = await redeem(product, code, "box-1", NONCE);
    const renamed = await redeem(product, code, "box-2", NONCE);
    expect(renamed.status).toBe(403);
    // The nonce proved the caller sent the code first: it is told the name to resume under.
    expect(renamed.body.detail).toBe("this code enrolled box-1, not box-2: resume that enrollment with --name box-1");
    expect((await beat(product, first.body.token!)).status).toBe(200);
    const refused = await redeem(product, code, "box-1", NONCE);
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toMatch(/cannot be resumed: box-1 has connected with its token since/);
    expect((await beat(product, first.body.token!)).status).toBe(200);
  });

  it("refused once the factory was deregistered", async () => {
    const product = "enroll-resume-gone";
    const { code } = await mint(product);
    const first = await redeem(product, code, "box-1", NONCE);
    expect((await api("DELETE", `${P(product)}/factories/${first.body.factoryId}`, { token: ADMIN })).status).toBe(200);
    const refused = await redeem(product, code, "box-1", NONCE);
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toMatch(/deregistered or revoked since/);
  });

  it("refused once the operator token that minted the code is revoked", async () => {
    const product = "enroll-resume-minter";
    const op = await mintToken(product, "operator", "ops");
    const { code } = await mint(product, op.token);
    expect((await redeem(product, code, "box-1", NONCE)).status).toBe(201);
    expect((await api("DELETE", `${P(product)}/tokens/${op.id}`, { token: ADMIN })).status).toBe(200);
    const refused = await redeem(product, code, "box-1", NONCE);
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toMatch(/the operator token that minted the code was revoked/);
  });

  it("resumable for an hour after the exchange, never past the code's expiry", async () => {
    const product = "enroll-resume-window";
    const long = await mint(product, ADMIN, { ttlSeconds: 7200 });
    const short = await mint(product, ADMIN, { ttlSeconds: 600 });
    await redeem(product, long.code, "box-1", NONCE);
    await redeem(product, short.code, "box-2", NONCE);
    const [longHash, shortHash] = [await sha256Hex(long.code), await sha256Hex(short.code)];
    const seen = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const sql = state.storage.sql;
      const until = (hash: string) =>
        sql.exec<{ t: number }>("SELECT resumable_until AS t FROM enrollment_resumes WHERE code_hash = ?", hash).one()
          .t;
      const kind = (hash: string, now: number) => authenticate(sql, hash, now)?.kind ?? "none";
      const [l, s] = [until(longHash), until(shortHash)];
      return { l, s, at: [kind(longHash, l - 1), kind(longHash, l), kind(shortHash, s - 1), kind(shortHash, s)] };
    });
    // An hour after its exchange (which came after the mint): well before the code's expiry, two hours after it.
    expect(seen.l).toBeGreaterThanOrEqual(long.expiresAt - 7200_000 + RESUME_WINDOW_MS);
    expect(seen.l).toBeLessThan(long.expiresAt - 7200_000 + RESUME_WINDOW_MS + 60_000);
    expect(seen.s).toBe(short.expiresAt); // the code's expiry came first
    expect(seen.at).toEqual(["enrollment", "none", "enrollment", "none"]);
  });

  it("a nonce outside 22–64 base64url characters is a 400 naming the field; the code is still unused", async () => {
    const product = "enroll-resume-bounds";
    const { code } = await mint(product);
    for (const nonce of ["a".repeat(21), "a".repeat(65), `${"a".repeat(30)}+/`, `${"a".repeat(30)}é`]) {
      const r = await redeem(product, code, "box-1", nonce);
      expect(r.status).toBe(400);
      expect(r.headers.get("content-type")).toBe("application/problem+json");
      expect(JSON.stringify(r.body)).toContain("nonce");
    }
    expect((await redeem(product, code, "box-1", "a".repeat(64))).status).toBe(201);
  });
});

describe("a spent code outside its enrollment", () => {
  it("is the unknown code it always was — whoami and a feed answer 401 in a spent code's words, not 403", async () => {
    // Were it a credential there, a leaked code's holder would learn it was used within the hour (403 vs 401).
    const product = "enroll-resume-elsewhere";
    const { code } = await mint(product);
    const first = await redeem(product, code, "box-1", NONCE);
    expect(first.status).toBe(201);
    const who = await api<Answer>("GET", `${P(product)}/whoami`, { token: code });
    expect([who.status, who.body.detail]).toEqual([401, expect.stringMatching(SPENT)]);
    const feed = await api<Answer>("GET", `${P(product)}/jobs/job_none/events`, { token: code });
    expect([feed.status, feed.body.detail]).toEqual([401, expect.stringMatching(SPENT)]);
    const live = (await mint(product)).code; // a live code, unspent: still the 403 it gets (it is a credential)
    expect((await api("GET", `${P(product)}/whoami`, { token: live })).status).toBe(403);
  });
});
