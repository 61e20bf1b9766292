// `gigafactory batch submit --wait` over a real local socket has a deadline: --wait-timeout seconds (default 600,
// 0 = no limit) on the CLI's clock, progress on stderr with the time waited, and past it `✘ ERROR timeout` (exit 1)
// naming the items still on their way by file and how to follow them — under --json the error document with the
// answer and the batch as last read. It waited for ever on a batch whose items stayed queued. A --wait-timeout that
// is no number of seconds, or one without --wait, sends nothing (exit 2). Ctrl-C (a real SIGINT to the real process)
// ends the wait the same way, as `✘ ERROR interrupted` (exit 130): under --json it had printed nothing, not even the id.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { BatchView } from "../../src/shared/api-batches.ts";
import { connection, runCli, stubCoordinator } from "../support/cli-harness.ts";
import { startCli, untilCli } from "../support/cli-process.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-batch-wait-"));
const files = ["a.md", "b.md", "c.md"].map((name) => {
  const p = path.join(dir, name);
  writeFileSync(p, `# ${name}\n`);
  return p;
});

const ACCEPTED = { batchId: "b-1", accepted: 3, jobs: 3, idempotencyKeys: ["x", "y", "z"], items: [], rejected: [] };
/** Never done: item 0 has its job, items 1 and 2 stay queued. */
const STUCK: BatchView = {
  id: "b-1",
  createdAt: 1,
  total: 3,
  created: 1,
  existing: 0,
  queued: 2,
  rejected: 0,
  jobs: 3,
  items: [
    { index: 0, status: "created", jobId: "job_0" },
    { index: 1, status: "queued" },
    { index: 2, status: "queued" },
  ],
  done: false,
};

async function coordinator() {
  return stubCoordinator((req, reply) => {
    if (req.method === "POST") return reply.json(202, ACCEPTED);
    reply.json(200, STUCK);
  });
}

/** Runs the CLI on a clock that moves 1 s each time it is read: the deadline comes after a few reads, not seconds. */
async function onMovingClock(argv: string[]) {
  let [stdout, stderr, clock] = ["", "", 1_700_000_000_000];
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: false,
    env: { HOME: "/nonexistent", GIGAFACTORY_CONFIG: "/nonexistent/config.json" },
    now: () => {
      clock += 1000;
      return clock;
    },
  });
  return { code, stdout, stderr };
}

describe("batch submit --wait's deadline", () => {
  it("ends with ✘ ERROR timeout naming the items still on their way, with progress before it (exit 1)", async () => {
    const stub = await coordinator();
    const r = await onMovingClock([
      "batch",
      "submit",
      ...files,
      "--wait",
      "--wait-timeout",
      "3",
      ...connection(stub.url, "shop"),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^… batch b-1: 1 of 3 items have their job, 2 on their way, 0 rejected \(waited 1 s of 3 s\)$/m,
    );
    expect(r.stderr).toMatch(
      new RegExp(
        `^✘ ERROR timeout: batch b-1: 2 of 3 items still on their way after 3 s \\(1 have their job, 0 rejected\\): ` +
          `${files[1]} \\(item 1\\), ${files[2]} \\(item 2\\) / the items are accepted and queued: send nothing again; ` +
          "follow them with `gigafactory batch b-1`, or wait longer with --wait-timeout SECONDS \\(0 = no limit\\)$",
        "m",
      ),
    );
    expect(stub.lines.filter((l) => l.startsWith("POST"))).toHaveLength(1);
  });

  it("under --json prints the error document with the answer and the batch as last read", async () => {
    const stub = await coordinator();
    const r = await onMovingClock([
      "batch",
      "submit",
      ...files,
      "--json",
      "--wait",
      "--wait-timeout",
      "2",
      ...connection(stub.url, "shop"),
    ]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.error).toMatchObject({ code: "timeout", exitCode: 1 });
    expect(doc.batchId).toBe("b-1");
    expect(doc.batch).toEqual(STUCK);
  });

  it("refuses a --wait-timeout that is no number of seconds, or one without --wait, before sending", async () => {
    const stub = await coordinator();
    const bad = await onMovingClock([
      "batch",
      "submit",
      ...files,
      "--wait",
      "--wait-timeout",
      "1m",
      ...connection(stub.url, "shop"),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^✘ ERROR usage: --wait-timeout must be a number of seconds from 0 to 86400/m);
    const alone = await onMovingClock([
      "batch",
      "submit",
      ...files,
      "--wait-timeout",
      "5",
      ...connection(stub.url, "shop"),
    ]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("--wait-timeout bounds --wait");
    expect(stub.lines).toEqual([]);
  });
});

describe("batch submit --wait stopped by Ctrl-C", () => {
  it("ends the wait with ✘ ERROR interrupted (exit 130), and --json still prints the batch's id and its state", async () => {
    const stub = await coordinator();
    const run = startCli(["batch", "submit", ...files, "--wait", "--json", ...connection(stub.url, "shop")]);
    await untilCli(run, "the batch read back", () => stub.lines.some((l) => l.startsWith("GET")));
    run.child.kill("SIGINT");
    const r = await run.exited;
    expect(r.code).toBe(130);
    const doc = JSON.parse(r.stdout);
    expect(doc.error).toMatchObject({ code: "interrupted", exitCode: 130 });
    expect(doc.batchId).toBe("b-1");
    expect(doc.batch).toEqual(STUCK);
    expect(r.stderr).toMatch(
      /^✘ ERROR interrupted: batch b-1: 2 of 3 items still on their way when Ctrl-C came .+ \/ the items are accepted and queued: send nothing again; follow them with `gigafactory batch b-1`$/m,
    );
  });
});
