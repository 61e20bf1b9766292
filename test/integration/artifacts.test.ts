// Artifacts: bytes in R2 (each upload its own epoch-keyed object), a pointer with size and sha256; only the current lease holder — checked again when the pointer is committed — or an operator uploads; downloads never run in a browser; a delete's feed event comes after the job's earlier events.
import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, eventsOf, P, submit } from "./client";
import { slowBody } from "./held-body";
import { expireLeaseNow } from "./state.ts";

async function upload(product: string, jobId: string, token: string, name: string, bytes: Uint8Array, epoch?: number) {
  const q = `name=${name}${epoch === undefined ? "" : `&leaseEpoch=${epoch}`}`;
  const res = await (exports as unknown as { default: Fetcher }).default.fetch(
    `http://gf.test${P(product)}/jobs/${jobId}/artifacts?${q}`,
    {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "text/plain",
        "content-length": String(bytes.byteLength),
      },
      body: bytes,
    },
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function sha256(bytes: Uint8Array) {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("artifacts", () => {
  it("round-trips bytes with size and sha256, lists and deletes", async () => {
    const product = "art-roundtrip";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "x" });
    const c = await claim(product, f.token);
    const bytes = new TextEncoder().encode("hello log\n".repeat(1000));
    const up = await upload(product, job.id, f.token, "log.txt", bytes, c.body.lease.leaseEpoch);
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({
      name: "log.txt",
      size: bytes.byteLength,
      sha256: await sha256(bytes),
      contentType: "text/plain",
    });
    const list = await api<{ artifacts: Array<{ name: string }> }>("GET", `${P(product)}/jobs/${job.id}/artifacts`, {
      token: ADMIN,
    });
    expect(list.body.artifacts.map((a) => a.name)).toEqual(["log.txt"]);
    const res = await (exports as unknown as { default: Fetcher }).default.fetch(
      `http://gf.test${P(product)}/jobs/${job.id}/artifacts/log.txt`,
      { headers: { authorization: `Bearer ${ADMIN}` } },
    );
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    expect(res.headers.get("x-content-sha256")).toBe(await sha256(bytes));
    const del = await api("DELETE", `${P(product)}/jobs/${job.id}/artifacts/log.txt`, { token: ADMIN });
    expect(del.status).toBe(200);
    const gone = await api("GET", `${P(product)}/jobs/${job.id}/artifacts/log.txt`, { token: ADMIN });
    expect(gone.status).toBe(404);
  });

  it("refuses an artifact over the size limit with 413, storing nothing", async () => {
    const product = "art-limit";
    const job = await submit(product, { title: "x" });
    const res = await (exports as unknown as { default: Fetcher }).default.fetch(
      `http://gf.test${P(product)}/jobs/${job.id}/artifacts?name=big.bin`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}`, "content-length": String(26 * 1024 * 1024) },
        body: "x",
      },
    );
    expect(res.status).toBe(413);
    const list = await api<{ artifacts: unknown[] }>("GET", `${P(product)}/jobs/${job.id}/artifacts`, { token: ADMIN });
    expect(list.body.artifacts).toHaveLength(0);
  });

  it("refuses an upload from a factory that does not hold the current lease (fenced)", async () => {
    const product = "art-fence";
    const a = await enroll(product, "a");
    const b = await enroll(product, "b");
    const job = await submit(product, { title: "x" });
    const c = await claim(product, a.token);
    const bytes = new TextEncoder().encode("zombie");
    expect((await upload(product, job.id, b.token, "x.txt", bytes, c.body.lease.leaseEpoch)).body).toMatchObject({
      code: "not_lease_holder",
    });
    expect((await upload(product, job.id, a.token, "x.txt", bytes, c.body.lease.leaseEpoch - 1)).body).toMatchObject({
      code: "fenced",
    });
    expect((await upload(product, job.id, a.token, "x.txt", bytes)).status).toBe(400);
  });

  // An operator's upload is not fenced on a lease: a leaseEpoch it names was ignored (201), letting the operator
  // believe the upload waited on that lease; it is refused 400 naming it, and nothing is stored.
  it("refuses an operator's upload that names a leaseEpoch (only a factory's is fenced)", async () => {
    const product = "art-operator-epoch";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "x" });
    const c = await claim(product, f.token);
    const bytes = new TextEncoder().encode("by hand");
    const refused = await upload(product, job.id, ADMIN, "x.txt", bytes, c.body.lease.leaseEpoch);
    expect([refused.status, refused.body.code]).toEqual([400, "validation_failed"]);
    expect(String(refused.body.detail)).toContain("leaseEpoch is a factory's");
    const listed = await api<{ artifacts: unknown[] }>("GET", `${P(product)}/jobs/${job.id}/artifacts`, {
      token: ADMIN,
    });
    expect(listed.body.artifacts).toEqual([]);
    expect((await upload(product, job.id, ADMIN, "x.txt", bytes)).status).toBe(201);
  });
});

function startUpload(
  product: string,
  jobId: string,
  token: string,
  name: string,
  size: number,
  body: ReadableStream,
  epoch: number,
) {
  return (exports as unknown as { default: Fetcher }).default
    .fetch(`http://gf.test${P(product)}/jobs/${jobId}/artifacts?name=${name}&leaseEpoch=${epoch}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/plain", "content-length": String(size) },
      body,
    })
    .then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));
}

async function download(product: string, jobId: string, name: string) {
  return (exports as unknown as { default: Fetcher }).default.fetch(
    `http://gf.test${P(product)}/jobs/${jobId}/artifacts/${name}`,
    { headers: { authorization: `Bearer ${ADMIN}` } },
  );
}

async function r2Keys(product: string, jobId: string) {
  return (await env.ARTIFACTS.list({ prefix: `${product}/${jobId}/` })).objects.map((o) => o.key);
}

describe("artifacts: stale writers are fenced when the pointer is committed", () => {
  it("a zombie's slow upload at an old epoch cannot replace the new holder's artifact (409 fenced, bytes deleted)", async () => {
    const product = "art-zombie-slow";
    const a = await enroll(product, "a");
    const b = await enroll(product, "b");
    const job = await submit(product, { title: "x" });
    const first = await claim(product, a.token);
    const size = 2 * 1024 * 1024;
    // Held once 1 MiB went through: far past any transport buffer, so the upload has passed its lease check.
    const slow = slowBody(size, "z", 1024 * 1024);
    const zombie = startUpload(product, job.id, a.token, "log.txt", size, slow.stream, first.body.lease.leaseEpoch);
    await slow.holding;

    await expireLeaseNow(product, job.id);
    const second = await claim(product, b.token);
    expect(second.body.job.id).toBe(job.id);
    const mine = new TextEncoder().encode("the new holder's log\n");
    expect((await upload(product, job.id, b.token, "log.txt", mine, second.body.lease.leaseEpoch)).status).toBe(201);

    slow.go();
    const late = await zombie;
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: "fenced" });
    const res = await download(product, job.id, "log.txt");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(mine);
    const keys = await r2Keys(product, job.id);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toContain(`/${second.body.lease.leaseEpoch}/`);
  });

  it("a zombie's upload that ends after its lease was lost is fenced even before anyone else uploads", async () => {
    const product = "art-zombie-alone";
    const a = await enroll(product, "a");
    const job = await submit(product, { title: "x" });
    const first = await claim(product, a.token);
    const size = 2 * 1024 * 1024;
    const slow = slowBody(size, "z", 1024 * 1024);
    const zombie = startUpload(product, job.id, a.token, "diff.patch", size, slow.stream, first.body.lease.leaseEpoch);
    await slow.holding;
    await expireLeaseNow(product, job.id);
    slow.go();
    expect((await zombie).body).toMatchObject({ code: "fenced" });
    const list = await api<{ artifacts: unknown[] }>("GET", `${P(product)}/jobs/${job.id}/artifacts`, { token: ADMIN });
    expect(list.body.artifacts).toHaveLength(0);
    expect(await r2Keys(product, job.id)).toEqual([]);
  });
});

describe("artifacts: each upload its own object", () => {
  it("a re-upload of the same name replaces the pointer and deletes the bytes it replaced", async () => {
    const product = "art-replace";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "x" });
    const c = await claim(product, f.token);
    const epoch = c.body.lease.leaseEpoch;
    await upload(product, job.id, f.token, "log.txt", new TextEncoder().encode("first"), epoch);
    const [firstKey] = await r2Keys(product, job.id);
    const second = new TextEncoder().encode("second");
    expect((await upload(product, job.id, f.token, "log.txt", second, epoch)).status).toBe(201);
    const keys = await r2Keys(product, job.id);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toBe(firstKey);
    expect(new Uint8Array(await (await download(product, job.id, "log.txt")).arrayBuffer())).toEqual(second);
  });
});

describe("artifacts: served so a browser cannot run them", () => {
  async function operatorUpload(product: string, jobId: string, name: string, contentType: string, text: string) {
    const res = await api("POST", `${P(product)}/jobs/${jobId}/artifacts?name=${name}`, {
      token: ADMIN,
      text,
      headers: { "content-type": contentType, "content-length": String(new TextEncoder().encode(text).byteLength) },
    });
    expect(res.status).toBe(201);
  }

  it("serves text/html as an attachment with nosniff, never as a page", async () => {
    const product = "art-html";
    const job = await submit(product, { title: "x" });
    await operatorUpload(product, job.id, "page.html", "text/html", "<script>alert(1)</script>");
    const res = await download(product, job.id, "page.html");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="page.html"');
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(await res.text()).toBe("<script>alert(1)</script>");
  });

  it("serves an SVG image as an attachment too, and logs and images inline with nosniff", async () => {
    const product = "art-safe-list";
    const job = await submit(product, { title: "x" });
    await operatorUpload(product, job.id, "chart.svg", "image/svg+xml", "<svg onload='alert(1)'/>");
    await operatorUpload(product, job.id, "log.txt", "text/plain", "hello");
    await operatorUpload(product, job.id, "diff.patch", "text/x-diff; charset=utf-8", "+a");
    await operatorUpload(product, job.id, "shot.png", "image/png", "png");
    const svg = await download(product, job.id, "chart.svg");
    expect(svg.headers.get("content-disposition")).toBe('attachment; filename="chart.svg"');
    expect(svg.headers.get("x-content-type-options")).toBe("nosniff");
    for (const [name, type] of [
      ["log.txt", "text/plain; charset=utf-8"],
      ["diff.patch", "text/plain; charset=utf-8"],
      ["shot.png", "image/png"],
    ]) {
      const res = await download(product, job.id, name!);
      expect(res.headers.get("content-type")).toBe(type);
      expect(res.headers.get("content-disposition")).toBe(`inline; filename="${name}"`);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      await res.arrayBuffer();
    }
  });
});

// A pointer's event is appended by the JobFeed itself, while the coordinator's events reach the feed through its
// outbox, held up to FEED_HOLD_MS while nobody reads the feed (core/feed-hold). The commit ships the job's held
// events first; the delete did not, so a job cancelled and then stripped of an artifact read `artifact.deleted`
// before `job.stage → cancelled` in its feed — seq order against the order things happened.
describe("artifacts: a pointer's event keeps the feed's order", () => {
  it("a delete ships the job's held events first: they come before its artifact.deleted", async () => {
    const product = "art-delete-order";
    const job = await submit(product, { title: "x" });
    const text = "bytes";
    const up = await api("POST", `${P(product)}/jobs/${job.id}/artifacts?name=a.txt`, {
      token: ADMIN,
      text,
      headers: { "content-type": "text/plain", "content-length": String(text.length) },
    });
    expect(up.status).toBe(201);
    // The coordinator restarts: the feeds it counted as read are forgotten, so the cancel's events are held.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => state.abort("restart")).catch(() => {});
    expect((await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} })).status).toBe(
      200,
    );
    expect((await api("DELETE", `${P(product)}/jobs/${job.id}/artifacts/a.txt`, { token: ADMIN })).status).toBe(200);
    const types = (await eventsOf(product, job.id, 5)).map((e) => e.type);
    expect(types.indexOf("job.stage")).toBeGreaterThan(-1);
    expect(types.indexOf("artifact.deleted")).toBeGreaterThan(types.lastIndexOf("job.stage"));
  });
});
