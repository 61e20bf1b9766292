// The Worker's refusals say a count of one in the singular (core/counted), as the CLI, the agent and the dashboard
// already do: an artifact of 1 byte asked for a range past its end read "(1 bytes)", and a bulk item with one child
// "a composite job (1 children)" (an upload short at one byte, "upload was 1 bytes": artifact-storage-failures).
// Through the real Worker in workerd; what each refusal is (416, 400) is unchanged.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN, api, P, submit } from "./client.ts";

const fetchWorker = (path: string, init: RequestInit = {}) =>
  (exports as unknown as { default: Fetcher }).default.fetch(`http://gf.test${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN}`, ...(init.headers as Record<string, string>) },
  });

/** An operator's upload of `text` as `name`. */
async function upload(product: string, jobId: string, name: string, text: string) {
  const res = await fetchWorker(`${P(product)}/jobs/${jobId}/artifacts?name=${name}`, {
    method: "POST",
    headers: { "content-length": String(text.length), "content-type": "text/plain" },
    body: text,
  });
  return { status: res.status, body: (await res.json()) as { detail?: string } };
}

describe("a count of one in a refusal", () => {
  it("an artifact of 1 byte, asked for a range past its end: (1 byte)", async () => {
    const product = "count-words-range";
    const job = await submit(product, { title: "x" });
    expect((await upload(product, job.id, "one.txt", "x")).status).toBe(201);
    const res = await fetchWorker(`${P(product)}/jobs/${job.id}/artifacts/one.txt`, { headers: { range: "bytes=5-" } });
    const { detail } = (await res.json()) as { detail: string };
    expect(res.status).toBe(416);
    expect(detail).toContain("past the end of one.txt (1 byte): ask for one before it");
  });

  it("a bulk item with one child: a composite job (1 child)", async () => {
    const product = "count-words-bulk";
    const items = [{ manifest: { title: "parent", children: [{ title: "kid" }] } }];
    const r = await api<{ rejected: Array<{ detail: string }> }>("POST", `${P(product)}/jobs:batch`, {
      token: ADMIN,
      json: { items },
    });
    expect(r.status).toBe(202);
    expect(r.body.rejected[0]?.detail).toMatch(/^item 0 is a composite job \(1 child\): /);
  });
});
