// A write whose credential is retired while its body still arrives is refused when it commits (workerd: real DO
// storage): a factory's report (PATCH …/jobs/{id}) whose body streamed while its token was rotated away is 401 and
// changes nothing — the job keeps its stage and progress, though the rotation kept the factory's lease, so the lease
// fence alone passes it. The same cause as pass48-review's upload, submit and claim: the token is re-checked live in
// the coordinator unit that commits the write (coordinator/access/tokens `assertCallerLive`). So do a bulk batch
// (`POST …/jobs:batch`, up to 8 MiB: its 202 came after the revocation, then its jobs) and a tracker item, whose
// last step before the queue checks the credential (pass 48's read-only review; red before: 202 and a job).
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, mintToken, P, submit } from "./client";
import { heldJson } from "./held-body";

describe("a factory report whose body streamed while its token was rotated away", () => {
  // A user loses: the factory token rotated because it leaked still reports on the job it held — a result, a stage a
  // reviewer trusts — through a PATCH it opened before the rotation and finished after it.
  it("is refused 401 and changes nothing", async () => {
    const product = "p48-rotate-patch";
    const f = await enroll(product, "host-a");
    const job = await submit(product, { title: "x" });
    const c = await claim(product, f.token);
    expect(c.status).toBe(200);
    const report = { leaseEpoch: c.body.lease.leaseEpoch, progress: { pct: 50, note: "sent after the rotation" } };
    const held = heldJson(JSON.stringify(report), 8);
    const pending = (exports as unknown as { default: Fetcher }).default
      .fetch(`http://gf.test${P(product)}/jobs/${job.id}`, {
        method: "PATCH",
        headers: {
          authorization: `Bearer ${f.token}`,
          "content-type": "application/json",
          "content-length": String(held.length),
        },
        body: held.stream,
      })
      .then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));
    await held.holding;
    const rotated = await api("POST", `${P(product)}/factories/${f.factoryId}/token/rotate`, { token: ADMIN });
    expect(rotated.status).toBe(200);
    held.go();
    const late = await pending;
    expect(late.status).toBe(401);
    expect(late.body.code).toBe("unauthorized");
    const after = await api<{ progress?: { note?: string } }>("GET", `${P(product)}/jobs/${job.id}`, { token: ADMIN });
    expect(after.body.progress?.note).not.toBe("sent after the rotation");
  });
});

describe("a batch or tracker item whose body streamed while its operator token was revoked", () => {
  /** POST `path` as `token` with `text` held after its first bytes, revoking `tokenId` meanwhile. */
  async function revokedMidBody(product: string, path: string, tokenId: string, token: string, text: string) {
    const held = heldJson(text, 16);
    const pending = (exports as unknown as { default: Fetcher }).default
      .fetch(`http://gf.test${P(product)}${path}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "content-length": String(held.length),
        },
        body: held.stream,
      })
      .then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));
    await held.holding;
    expect((await api("DELETE", `${P(product)}/tokens/${tokenId}`, { token: ADMIN })).status).toBe(200);
    held.go();
    return pending;
  }

  // A user loses: a fired operator's token queues up to 10,000 jobs that run and spend after it was revoked.
  it("queues nothing: the batch is refused 401", async () => {
    const product = "p48-revoke-batch";
    const op = await mintToken(product, "operator", "leaving");
    const items = [1, 2, 3].map((n) => ({ markdown: `---\ntitle: batch ${n}\n---\nbody` }));
    const late = await revokedMidBody(product, "/jobs:batch", op.id, op.token, JSON.stringify({ items }));
    expect(late.status).toBe(401);
    expect(late.body.code).toBe("unauthorized");
  });

  it("queues nothing: the tracker item is refused 401", async () => {
    const product = "p48-revoke-tracker";
    const op = await mintToken(product, "operator", "leaving");
    const item = { source: "linear", externalId: "ENG-1", title: "from the tracker", body: "do it" };
    const late = await revokedMidBody(product, "/tracker/ingest", op.id, op.token, JSON.stringify(item));
    expect(late.status).toBe(401);
    expect(late.body.code).toBe("unauthorized");
  });
});
