// Least privilege: a factory reads only its own jobs, a viewer never learns the webhook's URL. A factory token reads
// only the jobs it holds or held, and a write it sends to any other job (HTTP or socket) is refused without telling
// it that job's epoch or stage; the webhook URL (the credential for many receivers) is neither in a viewer's
// `GET …/webhook` nor in the audit log it may read.

import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, P, submit } from "./client.ts";
import { auditDelivered } from "./history-wait.ts";
import { connectFactory } from "./sockets.ts";

// Least privilege for factory tokens: a factory reads only the jobs it holds or held — never another factory's job, logs, runs, artifacts or feed, the product's job list, fleet or history/audit log.

async function uploadArtifact(product: string, jobId: string, token: string, epoch: number) {
  const bytes = new TextEncoder().encode("secret build log\n");
  const res = await (exports as unknown as { default: Fetcher }).default.fetch(
    `http://gf.test${P(product)}/jobs/${jobId}/artifacts?name=log.txt&leaseEpoch=${epoch}`,
    {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "text/plain",
        "content-length": String(bytes.length),
      },
      body: bytes,
    },
  );
  expect(res.status).toBe(201);
  await res.arrayBuffer();
}

/** Two factories, each holding one job; B's holder uploaded a log artifact. */
async function twoFactories(product: string) {
  const fa = await enroll(product, "fa");
  const fb = await enroll(product, "fb");
  const a = await submit(product, { title: "a's job" });
  const ca = await claim(product, fa.token);
  expect(ca.body.job.id).toBe(a.id);
  const b = await submit(product, { title: "b's job" });
  const cb = await claim(product, fb.token);
  expect(cb.body.job.id).toBe(b.id);
  await uploadArtifact(product, b.id, fb.token, cb.body.lease.leaseEpoch);
  return { fa, fb, a, b, leaseA: ca.body.lease };
}

describe("factory tokens read only their own jobs", () => {
  it("refuses a factory another factory's job, logs, runs, artifacts, ticket and feed (403)", async () => {
    const product = "priv-other";
    const { fa, b } = await twoFactories(product);
    for (const [method, path] of [
      ["GET", `/jobs/${b.id}`],
      ["GET", `/jobs/${b.id}/runs`],
      ["GET", `/jobs/${b.id}/events?after=0`],
      ["GET", `/jobs/${b.id}/artifacts`],
      ["GET", `/jobs/${b.id}/artifacts/log.txt`],
      ["GET", `/jobs/${b.id}/explain`],
      ["POST", `/jobs/${b.id}/events/ticket`],
      ["GET", `/jobs/${b.id}/events/stream`],
    ] as const) {
      const r = await api(method, `${P(product)}${path}`, { token: fa.token });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body).toMatchObject({ code: "forbidden" });
    }
    // The same reads by an admin still work: the job and its artifact are there.
    expect((await api("GET", `${P(product)}/jobs/${b.id}/artifacts/log.txt`, { token: ADMIN })).status).toBe(200);
  });

  it("refuses a factory the product-wide reads: the audit log and other history, the job list, the fleet", async () => {
    const product = "priv-wide";
    const { fa } = await twoFactories(product);
    for (const path of [
      "/history?kind=audit",
      "/history?kind=snapshots",
      "/history?kind=runs",
      "/jobs",
      "/factories",
    ]) {
      const r = await api("GET", `${P(product)}${path}`, { token: fa.token });
      expect(r.status, path).toBe(403);
    }
    // A viewer token still reads the audit log.
    const viewer = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "v" },
    });
    expect((await api("GET", `${P(product)}/history?kind=audit`, { token: viewer.body.token })).status).toBe(200);
  });

  it("tells a factory writing to a job it never held only that it is not the holder: no epoch, no stage", async () => {
    // Found by a security review: the fence compared epochs before holders, so any factory of the product PATCHing,
    // renewing, releasing or uploading to another factory's job was told `409 fenced` with the job's current epoch
    // (and, at that epoch, its stage) — reading, through a refused write, a job it may not read. It is now told
    // `409 not_lease_holder` whatever the epoch, as it was for the right one.
    const product = "priv-write";
    const { fa, b } = await twoFactories(product);
    const before = await api<Record<string, unknown>>("GET", `${P(product)}/jobs/${b.id}`, { token: ADMIN });
    for (const epoch of [0, 1, 2]) {
      for (const [method, path, json] of [
        ["PATCH", `/jobs/${b.id}`, { leaseEpoch: epoch, stage: "building" }],
        ["POST", `/jobs/${b.id}/lease/renew`, { leaseEpoch: epoch }],
        ["POST", `/jobs/${b.id}/lease/release`, { leaseEpoch: epoch }],
      ] as const) {
        const r = await api(method, `${P(product)}${path}`, { token: fa.token, json });
        expect(r.status, `${method} ${path} at ${epoch}`).toBe(409);
        expect(r.body).toMatchObject({ code: "not_lease_holder" });
        expect(JSON.stringify(r.body)).not.toMatch(/current|stage|building|assigned/);
      }
      const up = await (exports as unknown as { default: Fetcher }).default.fetch(
        `http://gf.test${P(product)}/jobs/${b.id}/artifacts?name=x.txt&leaseEpoch=${epoch}`,
        { method: "POST", headers: { authorization: `Bearer ${fa.token}`, "content-length": "1" }, body: "x" },
      );
      expect(up.status, `upload at ${epoch}`).toBe(409);
      expect(await up.text()).not.toMatch(/current|stage/);
    }
    // The same over the factory's socket: each lease frame is answered `not_lease_holder`, with no epoch or stage.
    const { socket } = await connectFactory(product, fa.token);
    for (const [i, frame] of [
      { type: "renew", jobId: b.id, leaseEpoch: 0 },
      { type: "accept", jobId: b.id, leaseEpoch: 1, stage: "building" },
      { type: "progress", jobId: b.id, leaseEpoch: 2, pct: 50 },
      { type: "complete", jobId: b.id, leaseEpoch: 0 },
      { type: "release", jobId: b.id, leaseEpoch: 1 },
    ].entries()) {
      socket.send({ ...frame, id: `f${i}` });
      const answer = await socket.answer<{ type: string; code: string; message: string }>(`f${i}`);
      expect(answer, frame.type).toMatchObject({ type: "error", code: "not_lease_holder" });
      expect(JSON.stringify(answer)).not.toMatch(/current|stage|building|assigned/);
    }
    socket.close();
    expect((await api("GET", `${P(product)}/jobs/${b.id}`, { token: ADMIN })).body).toEqual(before.body);
  });

  it("lets a factory read the job it holds, and still after giving it back; and the queue version", async () => {
    const product = "priv-own";
    const { fa, a, leaseA } = await twoFactories(product);
    for (const path of [
      `/jobs/${a.id}`,
      `/jobs/${a.id}/runs`,
      `/jobs/${a.id}/events?after=0`,
      `/jobs/${a.id}/artifacts`,
    ]) {
      expect((await api("GET", `${P(product)}${path}`, { token: fa.token })).status, path).toBe(200);
    }
    expect((await api("GET", `${P(product)}/queue-state`, { token: fa.token })).status).toBe(200);
    const released = await api("POST", `${P(product)}/jobs/${a.id}/lease/release`, {
      token: fa.token,
      json: { leaseEpoch: leaseA.leaseEpoch },
    });
    expect(released.status).toBe(200);
    const after = await api<{ holderFactoryId?: string }>("GET", `${P(product)}/jobs/${a.id}`, { token: fa.token });
    expect(after.status).toBe(200);
    expect(after.body.holderFactoryId).toBeUndefined();
  });
});

// A viewer cannot learn the webhook's URL: `GET …/webhook` is operator-only, and the audit log, which viewers read,
// names only the URL's origin (whether it changed is still recorded). Many receivers (Slack, Discord, Teams,
// Zapier) take the secret in the URL's path or query, so for them the URL is the credential. Found by a security
// review: `webhook.set` and `webhook.delete` audited the whole URL (and the previous one), which any viewer token
// read through `GET …/history?kind=audit` while the same token was refused `GET …/webhook` with 403.

const SECRET_URL = "https://hooks.example.com/services/T0AAA/B0BBB/PathSecretXYZ?token=QuerySecretXYZ";
const NEXT_URL = "https://hooks.example.com/services/T0AAA/B0BBB/OtherPathSecret";

describe("the webhook URL in the audit log", () => {
  it("names only the origin, to every reader, while the operator still reads the whole URL", async () => {
    const product = "wh-url-audit";
    const put = (url: string) =>
      api("PUT", `${P(product)}/webhook`, { token: ADMIN, json: { url, secret: "sixteen-chars-secret" } });
    expect((await put(SECRET_URL)).status).toBe(200);
    expect((await put(NEXT_URL)).status).toBe(200);
    expect((await api("DELETE", `${P(product)}/webhook`, { token: ADMIN })).status).toBe(200);
    const viewer = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "v" },
    });
    // Read as the viewer once all the coordinator wrote is in D1 (history-wait `auditDelivered`): waiting for three
    // entries missed a fourth landing later.
    const audit = await auditDelivered(product, { token: viewer.body.token });
    const entries = audit.filter((i) => i.action.startsWith("webhook."));
    expect(entries.map((e) => e.action)).toEqual(["webhook.set", "webhook.set", "webhook.delete"]);
    const text = JSON.stringify(entries);
    for (const secret of ["PathSecretXYZ", "QuerySecretXYZ", "OtherPathSecret", "T0AAA"])
      expect(text).not.toContain(secret);
    expect(entries[0]?.detail).toMatchObject({ url: "https://hooks.example.com/…" });
    expect(entries[1]?.detail).toMatchObject({ url: "https://hooks.example.com/…", urlChanged: true });

    // The operator, who may read the webhook, still gets it whole.
    expect((await put(SECRET_URL)).status).toBe(200);
    expect((await api("GET", `${P(product)}/webhook`, { token: ADMIN })).body).toMatchObject({ url: SECRET_URL });
  });
});
