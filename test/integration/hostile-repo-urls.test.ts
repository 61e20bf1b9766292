// A manifest's `repo` with a malformed percent-escape in its user name (`https://%ZZ@host/x`) is refused with a 400
// problem+json wherever a manifest enters — a single submit, a bulk item, a tracker ingest — and creates nothing.
// Found by a security review: core/repo-url decoded the user name with decodeURIComponent, which throws URIError
// on such an escape; zod does not catch a refinement's exception, so every one of these answered 500.
import { describe, expect, it } from "vitest";
import { ADMIN, api, P } from "./client";

const HOSTILE_REPOS = [
  "https://%ZZ@example.com/app.git",
  "ssh://%E0%A4%A@example.com/app.git",
  "git://%@example.com/x",
];

type Problem = { code?: string; detail?: string; type?: string; title?: string };

async function queueVersion(product: string): Promise<unknown> {
  return (await api("GET", `${P(product)}/queue-state`, { token: ADMIN })).body;
}

describe("a repo URL whose user name holds a malformed percent-escape", () => {
  it("is a 400 on POST …/jobs (JSON and markdown), never a 500, and nothing is created", async () => {
    const product = "hostile-repo-single";
    await api("GET", `${P(product)}/queue-state`, { token: ADMIN });
    const before = await queueVersion(product);
    for (const repo of HOSTILE_REPOS) {
      const json = await api<Problem>("POST", `${P(product)}/jobs`, {
        token: ADMIN,
        json: { manifest: { title: "t", repo } },
      });
      expect(json.status, `${repo}: ${JSON.stringify(json.body)}`).toBe(400);
      expect(json.headers.get("content-type")).toContain("application/problem+json");
      expect(json.body.code).toBe("invalid_manifest");
      const md = await api<Problem>("POST", `${P(product)}/jobs`, {
        token: ADMIN,
        text: `---\ntitle: t\nrepo: "${repo}"\n---\nbody\n`,
        headers: { "content-type": "text/markdown" },
      });
      expect(md.status, `${repo} (markdown): ${JSON.stringify(md.body)}`).toBe(400);
    }
    expect(await queueVersion(product)).toEqual(before);
    const list = await api<{ jobs: unknown[] }>("GET", `${P(product)}/jobs`, { token: ADMIN });
    expect(list.body.jobs).toEqual([]);
  });

  it("refuses the bulk item alone (the others are accepted) and is a 400 on tracker ingest", async () => {
    const product = "hostile-repo-bulk";
    const bulk = await api<{ accepted: number; rejected: Array<{ index: number; status: number; code: string }> }>(
      "POST",
      `${P(product)}/jobs:batch`,
      {
        token: ADMIN,
        json: { items: [{ manifest: { title: "fine" } }, { manifest: { title: "bad", repo: HOSTILE_REPOS[0] } }] },
      },
    );
    expect(bulk.status, JSON.stringify(bulk.body)).toBe(202);
    expect(bulk.body.accepted).toBe(1);
    expect(bulk.body.rejected).toEqual([expect.objectContaining({ index: 1, status: 400 })]);

    const ingest = await api<Problem>("POST", `${P(product)}/tracker/ingest`, {
      token: ADMIN,
      json: { source: "github", externalId: "1", title: "t", repo: HOSTILE_REPOS[0] },
    });
    expect(ingest.status, JSON.stringify(ingest.body)).toBe(400);
    expect(ingest.headers.get("content-type")).toContain("application/problem+json");
  });
});
