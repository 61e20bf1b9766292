// The CLI's commands that report one result per item under --json — `ship|requeue|cancel|approve|reject ID…` and
// `submit FILE…` — give an item refused with a 429 or 503 that says when to come back its `retryAfterSeconds` (the
// coordinator's problem's, else the answer's Retry-After), as the whole command's error document does
// (cli/failure-report), so a script retries that item after the wait and not at once; an item refused otherwise has
// none (over a real local socket). Each item carries the Retry-After of its own answer: the header was read from the
// last 429 or 503 the run's client had seen, so a proxy's 503 without one carried another job's 60 s.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { captureCli, connection, runCli, stubCoordinator } from "../support/cli-harness.ts";

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

  it("ship ID…: each item refused by a proxy carries its own answer's Retry-After, none when it named none", async () => {
    // Through the CLI's injected fetch, so the order is set, not raced: job_bare's 503 (no Retry-After) arrives
    // first, job_long's 429 ("60") next, and job_bare's body ends only once job_long's was read — the last wait the
    // run had seen when job_bare was told was job_long's.
    let endBare = () => {};
    let bareArrived = () => {};
    const bareHead = new Promise<void>((r) => {
      bareArrived = r;
    });
    const answer = async (input: string | URL | Request): Promise<Response> => {
      const id = /\/jobs\/([^/]+)\/actions\//.exec(String(input instanceof Request ? input.url : input))?.[1];
      const html = { "content-type": "text/html" };
      if (id === "job_bare") {
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            endBare = () => {
              c.enqueue(new TextEncoder().encode("<html>busy</html>"));
              c.close();
            };
          },
        });
        bareArrived();
        return new Response(body, { status: 503, headers: html });
      }
      await bareHead;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          c.enqueue(new TextEncoder().encode("<html>slow down</html>"));
          c.close();
          endBare();
        },
      });
      return new Response(body, { status: 429, headers: { ...html, "retry-after": "60" } });
    };
    let stdout = "";
    const code = await runCli(["ship", "job_bare", "job_long", "--json", ...connection("http://127.0.0.1:8787", "p")], {
      stdout: (t) => {
        stdout += t;
      },
      stderr: () => {},
      stderrIsTTY: false,
      env: { HOME: "/nonexistent", GIGAFACTORY_CONFIG: "/nonexistent/config.json" },
      now: () => 1_700_000_060_000,
      fetch: answer as typeof fetch,
    });
    expect(code).toBe(1);
    const items = JSON.parse(stdout) as Array<{ id: string; error: Record<string, unknown> }>;
    const waits = Object.fromEntries(items.map((i) => [i.id, i.error.retryAfterSeconds]));
    expect(waits).toEqual({ job_bare: undefined, job_long: 60 });
  });
});
