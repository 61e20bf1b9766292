// Faults a hostile security review of pass 48 found, each red until its fix (workerd: real DO storage, D1, R2): a
// credential retired while its artifact upload streams still commits the upload once the bytes are in — a factory
// token rotated away (its leases kept, so the lease fence passes) and an operator token revoked each put an artifact
// on the job after the revocation answered, where "revoking or rotating a token refuses it at once" (README, Security
// model; SPEC §4.8).
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, mintToken, P, submit } from "./client";

/** A body that sends `size` bytes of `fill` in 64 KiB chunks, held once `holdAfter` went through until `go()`. */
function slowBody(size: number, fill: string, holdAfter: number) {
  const chunk = 64 * 1024;
  let sent = 0;
  let reached!: () => void;
  let go!: () => void;
  const holding = new Promise<void>((r) => {
    reached = r;
  });
  const released = new Promise<void>((r) => {
    go = r;
  });
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(ctrl) {
        if (sent >= holdAfter) {
          reached();
          await released;
        }
        const n = Math.min(chunk, size - sent);
        ctrl.enqueue(new TextEncoder().encode(fill.repeat(n)));
        sent += n;
        if (sent >= size) ctrl.close();
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, holding, go };
}

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
