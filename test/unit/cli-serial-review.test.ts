// `gigafactory serial list|freeze|unfreeze` and `review approve|reject` / `reviews` over a real local socket: the
// key travels URL-encoded, the reason and comment in the body (never a reviewer name), --json prints the API's
// documents, human output says k of N (and what the review round is — the instant its build was queued, not a count —
// with the `--round` command that sends it back to fence a verdict) and who froze what, and a missing --reason is a usage error (exit 2),
// as is a KEY no serial key can be (`..`, which the URL resolved away: a 404 whose fix said to check --url).
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const GATE = {
  key: "repo/main",
  holder: "job_h",
  queue: ["job_b", "job_a"],
  queueLength: 2,
  frozen: { by: "operator:alice", reason: "INC-7", at: 1_700_000_000_000 },
};
const VIEW = {
  jobId: "job_r",
  stage: "review",
  round: 1_699_999_000_000,
  required: 2,
  approvals: 1,
  approvers: ["tok_a"],
  reviews: [
    {
      reviewer: "tok_a",
      reviewerName: "alice",
      verdict: "approve",
      at: 1_700_000_000_000,
      comment: "ok",
      counted: true,
    },
  ],
};

/** A stand-in coordinator answering the serial and review routes, recording each request and body. */
async function coordinator(): Promise<{ url: string; seen: Array<{ line: string; body: unknown }> }> {
  const { url, seen } = await stubCoordinator(({ method, url }, reply) => {
    if (url.startsWith("/api/v1/products/p/serial?")) return reply.json(200, { keys: [GATE] });
    if (url.includes("/serial/")) return reply.json(200, url.endsWith("/unfreeze") ? { ...GATE, frozen: null } : GATE);
    if (method === "GET") return reply.json(200, VIEW);
    return reply.json(200, { ...VIEW, job: { id: "job_r", stage: "review" } });
  });
  return { url, seen };
}

const cli = (url: string, ...argv: string[]) => captureCli([...argv, ...connection(url, "p")]);

describe("gigafactory serial", () => {
  it("refuses a KEY no serial key can be (`..`, a control character) as a usage error, sending nothing", async () => {
    const { url, seen } = await coordinator();
    for (const [command, key] of [
      ["freeze", ".."],
      ["unfreeze", "."],
      ["freeze", "a\tb"],
    ] as const) {
      const r = await cli(url, "serial", command, key, "--reason", "r");
      expect(r.code, key).toBe(2);
      expect(r.stderr.startsWith(`✘ ERROR usage: ${JSON.stringify(key)} is not a serial key: a serial key `)).toBe(
        true,
      );
      expect(r.stderr.endsWith(` / see \`gigafactory serial ${command} --help\`\n`), r.stderr).toBe(true);
    }
    expect(seen).toEqual([]);
  });

  it("freezes and unfreezes a URL-encoded key with its reason, and lists the gates", async () => {
    const { url, seen } = await coordinator();
    const frozen = await cli(url, "serial", "freeze", "repo/main", "--reason", "INC-7");
    expect(frozen).toMatchObject({
      code: 0,
      stdout: "✔ frozen — repo/main: frozen by operator:alice: INC-7; holder job_h; 2 queued\n",
    });
    const thawed = await cli(url, "serial", "unfreeze", "repo/main", "--json");
    expect(JSON.parse(thawed.stdout)).toMatchObject({ key: "repo/main", frozen: null });
    const list = await cli(url, "serial", "list");
    expect(list.stdout).toMatch(/repo\/main\s+job_h\s+2\s+job_b\s+operator:alice .*: INC-7/);
    expect(JSON.parse((await cli(url, "serial", "list", "--json")).stdout)).toEqual({ keys: [GATE] });
    expect(seen.slice(0, 3)).toEqual([
      { line: "POST /api/v1/products/p/serial/repo%2Fmain/freeze", body: { reason: "INC-7" } },
      { line: "POST /api/v1/products/p/serial/repo%2Fmain/unfreeze", body: {} },
      { line: "GET /api/v1/products/p/serial?limit=200", body: undefined },
    ]);
  });

  it("refuses a freeze without --reason as a usage error, sending nothing", async () => {
    const { url, seen } = await coordinator();
    const r = await cli(url, "serial", "freeze", "repo/main");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^✘ ERROR usage: serial freeze needs --reason/);
    expect(seen).toEqual([]);
  });
});

describe("gigafactory review", () => {
  it("approves and rejects with a comment (no reviewer name), and shows k of N with who approved", async () => {
    const { url, seen } = await coordinator();
    const ok = await cli(url, "review", "approve", "job_r", "--comment", "lgtm");
    expect(ok).toMatchObject({ code: 0, stdout: "✔ approved: job job_r is now review; 1 of 2 approvals\n" });
    await cli(url, "review", "reject", "job_r", "--round", "1699999000000");
    const shown = await cli(url, "reviews", "job_r");
    // The round is an instant, not a count: said as one ("round 1699999000000" read as the 1.7-trillionth round),
    // with the command that sends it back whole, as --round takes it.
    expect(shown.stdout).toMatch(/^1 of 2 approvals \(job job_r, review\)\n/);
    expect(shown.stdout.split("\n")[1]).toBe(
      "round: the build queued at 2023-11-14T21:56:40Z — `gigafactory review approve job_r --round 1699999000000` " +
        "fences a verdict to it (refused once the job is requeued)",
    );
    expect(shown.stdout).not.toMatch(/(?<!--)round \d/); // a bare "round N" but in the --round command
    expect(shown.stdout).toMatch(/alice \(tok_a\)\s+approve\s+yes\s+ok/);
    expect(seen.map((s) => [s.line, s.body])).toEqual([
      ["POST /api/v1/products/p/jobs/job_r/reviews", { verdict: "approve", comment: "lgtm" }],
      ["POST /api/v1/products/p/jobs/job_r/reviews", { verdict: "reject", round: 1_699_999_000_000 }],
      ["GET /api/v1/products/p/jobs/job_r/reviews", undefined],
    ]);
  });
});
