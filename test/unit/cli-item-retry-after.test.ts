// The CLI's commands that report one result per item under --json — `ship|requeue|cancel|approve|reject ID…` and
// `submit FILE…` — give an item refused with a 429 or 503 that says when to come back its `retryAfterSeconds` (the
// coordinator's problem's, else the answer's Retry-After), as the whole command's error document does
// (cli/failure-report), so a script retries that item after the wait and not at once; an item refused otherwise has
// none (over a real local socket).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const dir = mkdtempSync(join(tmpdir(), "gf-item-wait-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const overloaded = {
  type: "https://gigafactory.dev/problems/unavailable",
  title: "Service Unavailable",
  status: 503,
  code: "unavailable",
  detail: "the product's coordinator is overloaded",
  retryAfterSeconds: 7,
};
const conflict = {
  type: "https://gigafactory.dev/problems/invalid_transition",
  title: "Conflict",
  status: 409,
  code: "invalid_transition",
  detail: "cannot ship a job in queued",
};

describe("per-item --json failures that say when to come back", () => {
  it("ship ID…: the item refused 503 carries retryAfterSeconds, the one refused 409 none", async () => {
    const stub = await stubCoordinator((req, reply) => {
      const id = /\/jobs\/([^/]+)\/actions\//.exec(req.url)?.[1] ?? "";
      if (id === "job_busy") return reply.text(503, JSON.stringify(overloaded), "application/problem+json");
      if (id === "job_bad") return reply.problem(409, conflict);
      reply.json(200, { id, stage: "shipped" });
    });
    const run = await captureCli(["ship", "job_a", "job_busy", "job_bad", "--json", ...connection(stub.url, "p")]);
    expect(run.code).toBe(1);
    const [a, busy, bad] = JSON.parse(run.stdout) as Array<{ id: string; error?: Record<string, unknown> }>;
    expect(a).toEqual({ id: "job_a", job: { id: "job_a", stage: "shipped" } });
    expect(busy?.error).toMatchObject({ code: "unavailable", retryAfterSeconds: 7 });
    expect(String(busy?.error?.fix)).toMatch(/^try again in 7 s/);
    expect(bad?.error?.code).toBe("invalid_transition");
    expect(bad?.error).not.toHaveProperty("retryAfterSeconds");
  });

  it("submit FILE…: a file refused by a gateway's 429 carries its Retry-After, the one that went in none", async () => {
    const files = ["in", "limited"].map((title) => {
      const path = join(dir, `${title}.md`);
      writeFileSync(path, `---\ntitle: ${title}\n---\n`);
      return path;
    });
    const stub = await stubCoordinator((req, reply) => {
      const title = /title: (\w+)/.exec(req.text)?.[1] ?? "";
      if (title === "limited")
        return reply.text(429, "<html>Rate limited.</html>", "text/html", { "retry-after": "60" });
      reply.json(201, { id: `job_${title}`, title, stage: "queued" });
    });
    const run = await captureCli(["submit", ...files, "--json", ...connection(stub.url, "p")]);
    expect(run.code).toBe(1);
    const [went, limited] = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    expect(went).toMatchObject({ file: files[0], result: "created" });
    expect(limited).toMatchObject({ file: files[1], error: { code: "http_429", retryAfterSeconds: 60 } });
  });
});
