// A retired credential acts no more, even through a request that began before (pass 48's hostile review, workerd:
// real DO storage, D1, R2): an artifact upload streaming when its factory token is rotated away (its leases kept) or
// its operator token revoked, a submission whose JSON body is still coming when its operator token is revoked, and a
// claim whose body is still coming when its factory token is rotated away are each refused 401 at commit, nothing
// kept — the credential is re-checked in the unit that commits the write (README, Security model; SPEC §4.8). One
// viewer token cannot take every watcher slot of a job's feed (a per-token bound), so the admin still gets a stream;
// and HEAD …/events/stream refuses a ticket whose token was revoked (401), as its GET does.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_WATCHERS } from "../../src/durable-objects/job-feed.ts";
import { ADMIN, api, claim, enroll, mintToken, P, submit } from "./client";
import { heldJson, slowBody } from "./held-body";
import { openSocket, type TestSocket } from "./sockets";

/** An upload whose body is `body` (`size` bytes), as `token`; at `epoch` when a factory's. */
function startUpload(
  product: string,
  jobId: string,
  token: string,
  name: string,
  size: number,
  body: ReadableStream,
  epoch?: number,
) {
  const q = `name=${name}${epoch === undefined ? "" : `&leaseEpoch=${epoch}`}`;
  return (exports as unknown as { default: Fetcher }).default
    .fetch(`http://gf.test${P(product)}/jobs/${jobId}/artifacts?${q}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/plain", "content-length": String(size) },
      body,
    })
    .then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));
}

async function artifactNames(product: string, jobId: string): Promise<string[]> {
  const r = await api<{ artifacts: Array<{ name: string }> }>("GET", `${P(product)}/jobs/${jobId}/artifacts`, {
    token: ADMIN,
  });
  return r.body.artifacts.map((a) => a.name);
}

const SIZE = 2 * 1024 * 1024;
/** Held once 1 MiB went through: far past any transport buffer, so the upload has passed its authentication. */
const HOLD_AFTER = 1024 * 1024;

describe("pass 48 review: a retired credential's upload in flight", () => {
  // A user loses: the token they rotated because it leaked still writes the job's artifacts (a patch, a report a
  // reviewer or CI trusts) for as long as an upload it began beforehand keeps streaming — the lease fence passes,
  // since a rotation keeps the factory's leases.
  it("a factory upload begun before its token was rotated is refused when it commits after the rotation", async () => {
    const product = "p48-rotate-upload";
    const f = await enroll(product, "host-a");
    const job = await submit(product, { title: "x" });
    const c = await claim(product, f.token);
    expect(c.status).toBe(200);
    const slow = slowBody(SIZE, "z", HOLD_AFTER);
    const pending = startUpload(product, job.id, f.token, "diff.patch", SIZE, slow.stream, c.body.lease.leaseEpoch);
    await slow.holding;

    const rotated = await api("POST", `${P(product)}/factories/${f.factoryId}/token/rotate`, { token: ADMIN });
    expect(rotated.status).toBe(200);
    // The old token is refused at once for anything new…
    expect((await api("GET", `${P(product)}/queue-state`, { token: f.token })).status).toBe(401);
    slow.go();
    const late = await pending;
    // …and so must be the write it began before: nothing committed under it.
    expect(late.status).toBe(401);
    expect(await artifactNames(product, job.id)).toEqual([]);
  });

  // A user loses: a fired operator's token, revoked, still lands an artifact on any job of the product (uploadedBy
  // naming that token) through an upload it started before the revocation and finishes at leisure.
  it("an operator upload begun before its token was revoked is refused when it commits after the revocation", async () => {
    const product = "p48-revoke-upload";
    const op = await mintToken(product, "operator", "leaving");
    const job = await submit(product, { title: "x" });
    const slow = slowBody(SIZE, "o", HOLD_AFTER);
    const pending = startUpload(product, job.id, op.token, "report.txt", SIZE, slow.stream);
    await slow.holding;

    expect((await api("DELETE", `${P(product)}/tokens/${op.id}`, { token: ADMIN })).status).toBe(200);
    expect((await api("GET", `${P(product)}/jobs`, { token: op.token })).status).toBe(401);
    slow.go();
    const late = await pending;
    expect(late.status).toBe(401);
    expect(await artifactNames(product, job.id)).toEqual([]);
  });
});

describe("pass 48 review: a retired credential's write whose body is still coming", () => {
  // A user loses: a revoked operator token still submits work (spending the product's budget on engines that run
  // whatever it says) through a request it opened before the revocation and whose body it sends afterwards.
  it("a job submitted by an operator token revoked while its body streamed is refused", async () => {
    const product = "p48-revoke-submit";
    const op = await mintToken(product, "operator", "leaving");
    const text = JSON.stringify({ manifest: { title: "sent after the revocation" }, bodyMd: "x".repeat(4096) });
    const held = heldJson(text, 64);
    const pending = (exports as unknown as { default: Fetcher }).default
      .fetch(`http://gf.test${P(product)}/jobs`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${op.token}`,
          "content-type": "application/json",
          "content-length": String(held.length),
        },
        body: held.stream,
      })
      .then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));
    await held.holding;
    expect((await api("DELETE", `${P(product)}/tokens/${op.id}`, { token: ADMIN })).status).toBe(200);
    held.go();
    const late = await pending;
    expect(late.status).toBe(401);
    const jobs = await api<{ jobs: Array<{ title: string }> }>("GET", `${P(product)}/jobs`, { token: ADMIN });
    expect(jobs.body.jobs.map((j) => j.title)).toEqual([]);
  });
  // A user loses: the factory token they rotated because it leaked still takes a job — its repo, its body, its lease
  // — through a claim it opened before the rotation and finished after it.
  it("a claim whose body streamed while its factory token was rotated away takes no job", async () => {
    const product = "p48-rotate-claim";
    const f = await enroll(product, "host-a");
    const job = await submit(product, { title: "the secret work" });
    const held = heldJson(JSON.stringify({ leaseTtlSeconds: 60 }), 4);
    const pending = (exports as unknown as { default: Fetcher }).default
      .fetch(`http://gf.test${P(product)}/claim`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${f.token}`,
          "content-type": "application/json",
          "content-length": String(held.length),
        },
        body: held.stream,
      })
      .then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));
    await held.holding;
    expect((await api("POST", `${P(product)}/factories/${f.factoryId}/token/rotate`, { token: ADMIN })).status).toBe(
      200,
    );
    held.go();
    const late = await pending;
    expect(late.status).toBe(401);
    const after = await api<{ stage: string }>("GET", `${P(product)}/jobs/${job.id}`, { token: ADMIN });
    expect(after.body.stage).toBe("queued");
  });
});

describe("pass 48 review: one read-only token and a job's live feed", () => {
  // A user loses: one viewer token (a read-only role: a dashboard left open, a script, a leaked CI token) takes every
  // watcher slot of a job's feed, and the operators and the admin watching it — the people who must act on it — are
  // refused 429 for as long as it holds them (it re-opens each stream as it drops). The cap counts streams, not who.
  it("a single viewer token cannot hold every watcher slot of a job's feed: the admin still gets a stream", async () => {
    const product = "p48-feed-hog";
    const viewer = await mintToken(product, "viewer", "dashboard");
    const job = await submit(product, { title: "watched" });
    const path = `${P(product)}/jobs/${job.id}/events`;
    const held: TestSocket[] = [];
    try {
      for (let i = 0; i < MAX_WATCHERS; i++) {
        try {
          held.push(await openSocket(`${path}/ws`, { authorization: `Bearer ${viewer.token}` }));
        } catch {
          break; // refused: a per-token bound (the fix) stops the hoarding here
        }
      }
      const admin = await api<{ code?: string }>("GET", `${path}/ws`, {
        token: ADMIN,
        headers: { upgrade: "websocket" },
      });
      expect(admin.status).not.toBe(429);
    } finally {
      for (const s of held) s.close();
    }
  });
});

describe("pass 48 review: a feed ticket of a revoked token", () => {
  // A user loses little, but a revoked credential is answered as a live one: a ticket of a revoked viewer token is
  // taken by HEAD …/events/stream (200 with the stream's headers, 404 once the job is gone), where its GET is 401.
  it("HEAD …/events/stream refuses a ticket whose token was revoked, as its GET does", async () => {
    const product = "p48-ticket-head";
    const viewer = await mintToken(product, "viewer", "reader");
    const job = await submit(product, { title: "x" });
    const t = await api<{ ticket: string }>("POST", `${P(product)}/jobs/${job.id}/events/ticket`, {
      token: viewer.token,
    });
    expect(t.status).toBe(201);
    expect((await api("DELETE", `${P(product)}/tokens/${viewer.id}`, { token: ADMIN })).status).toBe(200);
    const url = `${P(product)}/jobs/${job.id}/events/stream?ticket=${encodeURIComponent(t.body.ticket)}`;
    expect((await api("GET", url)).status).toBe(401);
    expect((await api("HEAD", url)).status).toBe(401);
  });
});
