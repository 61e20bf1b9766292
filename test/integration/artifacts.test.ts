// Artifacts: bytes in R2, pointer with size and sha256; only the current lease holder or an operator uploads.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, P, submit } from "./client";

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
});
