// `gigafactory ship|requeue|cancel|approve|reject ID…` on several jobs over a real local socket: one request per job,
// a line per job and the tally (`✔ 2 shipped, ✘ 1 refused`), each refusal a `✘ ERROR` line naming its job, exit 1
// when any was refused, `--json` one entry per id in order; the ids from standard input (`-`, as `jq -r` writes
// them), each once; a bad id among them or `--round` with several ids sends nothing; an empty pipe does nothing and
// exits 0; and after an answer that is no job, nothing more is sent to that URL.
import { describe, expect, it } from "vitest";
import { captureCli, connection, runCli, stubCoordinator } from "../support/cli-harness.ts";

/** A coordinator where job_bad is refused (409 invalid_transition) and every other job ships. */
async function coordinator() {
  return stubCoordinator((req, reply) => {
    const id = /\/jobs\/([^/]+)\/actions\//.exec(req.url)?.[1] ?? "";
    if (id === "job_bad") {
      return reply.problem(409, {
        type: "https://gigafactory.dev/problems/invalid_transition",
        title: "Conflict",
        detail: "cannot ship a job in queued",
        code: "invalid_transition",
      });
    }
    reply.json(200, { id, stage: "shipped" });
  });
}

/** Runs the CLI with `input` on standard input. */
async function withStdin(argv: string[], input: string) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: false,
    env: { HOME: "/nonexistent", GIGAFACTORY_CONFIG: "/nonexistent/config.json" },
    now: () => 1_700_000_060_000,
    stdin: async function* () {
      yield new TextEncoder().encode(input);
    },
  });
  return { code, stdout, stderr };
}

describe("job actions on several ids", () => {
  it("acts on each, prints a line per job and the tally, and exits 1 when one was refused", async () => {
    const stub = await coordinator();
    const r = await captureCli(["ship", "job_a", "job_bad", "job_c", ...connection(stub.url, "shop")]);
    expect(r.code).toBe(1);
    expect(stub.lines.sort()).toEqual(
      ["job_a", "job_bad", "job_c"].map((id) => `POST /api/v1/products/shop/jobs/${id}/actions/ship`).sort(),
    );
    const out = r.stdout.trim().split("\n");
    expect(out).toEqual([
      "✔ ship: job job_a is now shipped",
      "✔ ship: job job_c is now shipped",
      "✔ 2 shipped, ✘ 1 refused",
    ]);
    expect(r.stderr).toMatch(/^✘ ERROR invalid_transition: job job_bad: cannot ship a job in queued \/ .+$/m);
  });

  it("gives one --json entry per id, in the order given", async () => {
    const stub = await coordinator();
    const r = await captureCli(["cancel", "job_c", "job_bad", "job_a", "--json", ...connection(stub.url, "shop")]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as Array<{ id: string; job?: unknown; error?: { code: string } }>;
    expect(doc.map((e) => e.id)).toEqual(["job_c", "job_bad", "job_a"]);
    expect(doc[0]).toEqual({ id: "job_c", job: { id: "job_c", stage: "shipped" } });
    expect(doc[1]!.error).toMatchObject({ code: "invalid_transition", message: "cannot ship a job in queued" });
  });

  it("reads the ids from standard input (`-`), each once, as `jq -r '.jobs[].id'` writes them", async () => {
    const stub = await coordinator();
    const r = await withStdin(["ship", "-", ...connection(stub.url, "shop")], "job_a\njob_c\r\n job_a\n\n");
    expect(r.code).toBe(0);
    expect(stub.lines.sort()).toEqual([
      "POST /api/v1/products/shop/jobs/job_a/actions/ship",
      "POST /api/v1/products/shop/jobs/job_c/actions/ship",
    ]);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("✔ 2 shipped");
  });

  it("an empty pipe does nothing and exits 0; --json gives []", async () => {
    const stub = await coordinator();
    const r = await withStdin(["ship", "-", ...connection(stub.url, "shop")], "\n");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("no job ids on standard input: nothing shipped");
    const j = await withStdin(["ship", "-", "--json", ...connection(stub.url, "shop")], "");
    expect(JSON.parse(j.stdout)).toEqual([]);
    expect(stub.lines).toEqual([]);
  });

  it("sends nothing when an id is malformed, or --round is given with several ids", async () => {
    const stub = await coordinator();
    const bad = await withStdin(["ship", "-", ...connection(stub.url, "shop")], "job_a\njob a/../x\n");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^✘ ERROR usage: "a\/\.\.\/x" is not a job id; nothing was sent \/ /m);
    const round = await captureCli(["approve", "job_a", "job_c", "--round", "7", ...connection(stub.url, "shop")]);
    expect(round.code).toBe(2);
    expect(round.stderr).toContain("--round names one job's review round");
    expect(stub.lines).toEqual([]);
  });

  it("sends nothing more once an answer is not a job (the URL is no coordinator)", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { hello: "world" }));
    const ids = Array.from({ length: 30 }, (_, i) => `job_${i}`);
    const r = await captureCli(["ship", ...ids, ...connection(stub.url, "shop")]);
    expect(r.code).toBe(1);
    // The first 8 were in flight together; none after the first foreign answer was sent.
    expect(stub.lines.length).toBeLessThanOrEqual(8);
    expect(r.stderr).toMatch(/✘ ERROR not_sent: job job_29: not sent: the answer for job job_\d+ was not a job/);
  });

  it("keeps one id as before: the job's own line, and the job itself under --json", async () => {
    const stub = await coordinator();
    const r = await captureCli(["ship", "job_a", "--json", ...connection(stub.url, "shop")]);
    expect(JSON.parse(r.stdout)).toEqual({ id: "job_a", stage: "shipped" });
    const one = await captureCli(["ship", "job_a", ...connection(stub.url, "shop")]);
    expect(one.stdout.trim()).toBe("✔ ship: job job_a is now shipped");
  });
});
