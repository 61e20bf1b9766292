// Guarantee 8 — isolation: tokens are scoped to one product, revocation and rotation take effect at once.
// The admin secret is read as the token it is: a trailing newline from `echo T | wrangler secret put` is not part of it.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/worker/app.ts";
import { ADMIN, api, claim, enroll, P, submit } from "./client.ts";

describe("auth", () => {
  it("answers 401 problem+json without a token or with a bad one", async () => {
    for (const token of [undefined, "", "nope", "gf_auth-x_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]) {
      const r = await api("GET", `${P("auth-x")}/jobs`, token === undefined ? {} : { token });
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ code: "unauthorized", title: expect.any(String), detail: expect.any(String) });
    }
  });

  it("refuses a factory token of one product on another with 403, and changes nothing there", async () => {
    const a = await enroll("auth-a", "fa");
    await submit("auth-b", { title: "b's job" });
    const r = await claim("auth-b", a.token);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: "forbidden" });
    const jobs = await api<{ jobs: Array<{ stage: string }> }>("GET", `${P("auth-b")}/jobs`, { token: ADMIN });
    expect(jobs.body.jobs.map((j) => j.stage)).toEqual(["queued"]);
  });

  it("refuses an operator token of one product on another", async () => {
    const minted = await api<{ token: string }>("POST", `${P("auth-op-a")}/tokens`, {
      token: ADMIN,
      json: { role: "operator", name: "ann" },
    });
    expect(minted.status).toBe(201);
    const own = await api("POST", `${P("auth-op-a")}/jobs`, {
      token: minted.body.token,
      json: { manifest: { title: "ok" } },
    });
    expect(own.status).toBe(201);
    const other = await api("POST", `${P("auth-op-b")}/jobs`, {
      token: minted.body.token,
      json: { manifest: { title: "no" } },
    });
    expect(other.status).toBe(403);
    const list = await api<{ jobs: unknown[] }>("GET", `${P("auth-op-b")}/jobs`, { token: ADMIN });
    expect(list.body.jobs).toHaveLength(0);
  });

  it("enforces roles: a viewer reads but cannot submit; only admin mints tokens", async () => {
    const product = "auth-roles";
    const viewer = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "v" },
    });
    expect((await api("GET", `${P(product)}/jobs`, { token: viewer.body.token })).status).toBe(200);
    const submit = await api("POST", `${P(product)}/jobs`, {
      token: viewer.body.token,
      json: { manifest: { title: "x" } },
    });
    expect(submit.status).toBe(403);
    const op = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "operator", name: "o" },
    });
    const mint = await api("POST", `${P(product)}/tokens`, {
      token: op.body.token,
      json: { role: "operator", name: "x" },
    });
    expect(mint.status).toBe(403);
    const f = await enroll(product, "f");
    expect(
      (await api("POST", `${P(product)}/jobs`, { token: f.token, json: { manifest: { title: "x" } } })).status,
    ).toBe(403);
    expect((await claim(product, op.body.token)).status).toBe(403);
  });

  it("refuses a revoked factory token at once and requeues what it held", async () => {
    const product = "auth-revoke";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "x" });
    await claim(product, f.token);
    const revoked = await api("POST", `${P(product)}/factories/${f.factoryId}/token/revoke`, { token: ADMIN });
    expect(revoked.body).toMatchObject({ status: "revoked" });
    const r = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: f.token,
      json: { leaseEpoch: 1, stage: "building" },
    });
    expect(r.status).toBe(401);
    const j = await api("GET", `${P(product)}/jobs/${job.id}`, { token: ADMIN });
    expect(j.body).toMatchObject({ stage: "queued", leaseEpoch: 2 });
  });

  it("a rotated token replaces the old one at once", async () => {
    const product = "auth-rotate";
    const f = await enroll(product, "f");
    const rotated = await api<{ token: string }>("POST", `${P(product)}/factories/${f.factoryId}/token/rotate`, {
      token: ADMIN,
    });
    expect((await api("POST", `${P(product)}/factories/heartbeat`, { token: f.token, json: {} })).status).toBe(401);
    expect(
      (await api("POST", `${P(product)}/factories/heartbeat`, { token: rotated.body.token, json: {} })).status,
    ).toBe(200);
  });

  it("a revoked operator token is refused at once", async () => {
    const product = "auth-revoke-op";
    const op = await api<{ token: string; id: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "operator", name: "o" },
    });
    expect((await api("GET", `${P(product)}/jobs`, { token: op.body.token })).status).toBe(200);
    await api("DELETE", `${P(product)}/tokens/${op.body.id}`, { token: ADMIN });
    expect((await api("GET", `${P(product)}/jobs`, { token: op.body.token })).status).toBe(401);
  });

  it("stores only hashes: no token secret appears anywhere in the coordinator's storage", async () => {
    const product = "auth-hash";
    const f = await enroll(product, "f");
    const op = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "v" },
    });
    // Both secrets in use, so that anything kept per request (a session, a cache, an audit row) is written too.
    expect((await api("GET", `${P(product)}/jobs`, { token: op.body.token })).status).toBe(200);
    expect((await claim(product, f.token)).status).toBe(204);
    // Every table there is, not a list of the ones expected to matter: a secret written to a table added later (or
    // one nobody thought of) must fail this test. `_cf_*` are workerd's own; its KV half is read through list().
    const { tables, dump } = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, s) => {
      const names = s.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'")
        .toArray()
        .map((r) => r.name);
      const rows = names.map((t) => JSON.stringify(s.storage.sql.exec(`SELECT * FROM "${t}"`).toArray()));
      rows.push(JSON.stringify([...(await s.storage.list()).entries()]));
      return { tables: names, dump: rows.join("\n") };
    });
    expect(tables).toEqual(expect.arrayContaining(["factories", "tokens", "meta", "outbox", "enrollment_codes"]));
    for (const secret of [f.token, op.body.token]) {
      expect(dump).not.toContain(secret);
      // The secret part alone: base64url may itself hold "_", so cut the known `gf_<product>_` prefix, not at a "_".
      expect(dump).not.toContain(secret.slice(`gf_${product}_`.length));
    }
  });

  it("takes the admin secret without the newline a piped `wrangler secret put` stores, for requests and tickets", async () => {
    // `echo "$T" | npx wrangler secret put GIGAFACTORY_ADMIN_TOKEN` stores "T\n" (wrangler keeps stdin whole), and a
    // bearer header can never carry the newline: the deployment's admin was refused with a bare 401, for good.
    const product = "auth-admin-newline";
    const job = await submit(product, { title: "x" });
    const op = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "operator", name: "o" },
    });
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const call = (secret: string, token: string, path: string, method = "GET") =>
      buildApp().fetch(
        new Request(`http://gf.test${P(product)}${path}`, { method, headers: { authorization: `Bearer ${token}` } }),
        { ...env, GIGAFACTORY_ADMIN_TOKEN: secret },
        ctx,
      );
    expect((await call(`${ADMIN}\n`, ADMIN, "/jobs")).status).toBe(200);
    expect((await call(`${ADMIN}\n`, ADMIN, `/jobs/${job.id}/events/ticket`, "POST")).status).toBe(201);
    // A secret of whitespace alone is unset: no ticket is signed with a key anyone could guess.
    const blank = await call(" \n", op.body.token, `/jobs/${job.id}/events/ticket`, "POST");
    expect(blank.status).toBe(403);
    expect(await blank.json()).toMatchObject({ code: "forbidden" });
  });
});
