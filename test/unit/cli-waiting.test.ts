// The waiting reason in the terminal: `gigafactory jobs` has a short WAITING cell (code and message up to what ends the
// wait, at most 60 columns; a `testing` row's ~190-character reason with two commands ran rows to ~300 columns) and a
// note pointing to `job ID` when one is cut, and `gigafactory job ID` and `explain ID` a "Waiting:" block naming the
// detail (missing capabilities, until when) and the commands.
import { describe, expect, it } from "vitest";
import { renderExplanation } from "../../src/cli/commands/explain.ts";
import { renderJob } from "../../src/cli/commands/job.ts";
import { JOB_COLUMNS, jobRows } from "../../src/cli/commands/jobs.ts";
import { renderTable, width } from "../../src/cli/table.ts";
import { waitingCell, waitingLines } from "../../src/cli/waiting.ts";
import { DEFAULT_WEIGHTS } from "../../src/core/router.ts";
import type { WaitingReason } from "../../src/core/waiting-reason.ts";
import type { JobSummary, JobView } from "../../src/shared/responses.ts";
import { runCli, stubCoordinator } from "../support/cli-harness.ts";

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const noGpu: WaitingReason = {
  code: "no_capable_factory",
  message: "waiting for a factory with gpu — none is enrolled",
  since: NOW - 120_000,
  detail: { requires: ["gpu"], missing: ["gpu"] },
};
/** The coordinator's `testing` reason (core/waiting): two commands after its " — ". */
const TESTING: WaitingReason = {
  code: "testing",
  message:
    "built; waiting for an operator (or your CI) to ship or reject it — `gigafactory ship job_0mxc6m72abcd` ships " +
    "it, `gigafactory reject job_0mxc6m72abcd` fails it",
  since: NOW,
  detail: {},
};
/** One reason of each code, as the coordinator words it (the longest forms: names, commands, a cause). */
const EVERY_CODE: WaitingReason[] = [
  TESTING,
  ...(
    [
      ["no_capable_factory", "no factory has all of gpu, lang:rust (closest: demo-gpu lacks lang:rust)"],
      [
        "no_factory_connected",
        "no factory that can run it is connected (demo-a, demo-b; left after draining: demo-c) — start the agent on its host (`gigafactory-agent run`, as `gigafactory enroll NAME` printed it); `gigafactory factories` says when each was last seen",
      ],
      ["all_seats_busy", "every seat is busy on demo-a, demo-b, demo-c and 4 more"],
      ["deps_unmet", "waiting for 2 of job_0mxc6m72aaaa, job_0mxc6m72bbbb, job_0mxc6m72cccc to ship"],
      [
        "dependency_failed",
        "dependency job_0mxc6m72aaaa is failed — `gigafactory requeue job_0mxc6m72aaaa`, then `gigafactory requeue job_1`",
      ],
      ["children_running", "3 of 12 children done; 9 running or waiting (building 4, queued 5)"],
      ["serial_key_held", "serial key repo/main is held by job job_0mxc6m72aaaa; it runs after"],
      [
        "serial_key_frozen",
        "serial key release-train is frozen — `gigafactory serial unfreeze release-train` lets its jobs run",
      ],
      ["retry_backoff", "retrying after its backoff, at 2026-01-02T03:06:05Z"],
      ["review_pending", "waiting for 2 approvals (1 of 2 so far: alice) — `gigafactory approve job_1` approves it"],
      ["budget_paused", "the product's budget is paused — `gigafactory budget resume` lets jobs run"],
      [
        "factory_quarantined",
        "every factory that can run it is out of service: demo-a (quarantined) — `gigafactory factory release fac_0mxc6m72aaaa` returns demo-a",
      ],
      [
        "factory_draining",
        "every factory that can run it is draining (finishing its work, taking none): demo-a, demo-b",
      ],
      [
        "breaker_open",
        "engine codex is broken on demo-a, demo-b; the overflow policy (hold) keeps the job off every other factory until they close",
      ],
      ["preempted", "preempted by job_0mxc6m72aaaa — every seat is busy on demo-a"],
      [
        "excluded",
        "kept from demo-a until 2026-01-02T03:06:05Z: its lease expired twice — `gigafactory factories` says whether it is back",
      ],
      ["dispatching", "about to be assigned to demo-a"],
      [
        "ancestor_cancelled",
        "job job_0mxc6m72aaaa above it was cancelled; the cancel reaches this job next — it will not run",
      ],
      [
        "needs_operator",
        "failed: tests failed rc=1 — `gigafactory requeue job_1` runs it again, `gigafactory cancel job_1` drops it",
      ],
    ] as const
  ).map(([code, message]) => ({ code, message, since: NOW, detail: {} })),
];
const summary = {
  id: "job_1",
  stage: "queued",
  priority: "high",
  title: "Train the model",
  attempt: 0,
  maxAttempts: 3,
  createdAt: NOW - 120_000,
  waitingReason: noGpu,
} as unknown as JobSummary;
/** `summary` as a whole job document, as `gigafactory job ID` reads it. */
const whole = {
  ...summary,
  bodyMd: "",
  requires: [],
  prefers: [],
  budget: {},
  deps: [],
  kind: "task",
  leaseEpoch: 0,
  updatedAt: NOW,
};

describe("jobs: the WAITING column", () => {
  it("shows code and message up to what ends the wait, and a dash for a job that runs", () => {
    expect(jobRows([summary], NOW)[0]!.at(-1)).toBe("no_capable_factory: waiting for a factory with gpu");
    expect(waitingCell(null)).toBe("—");
    const table = renderTable(JOB_COLUMNS, jobRows([summary], NOW));
    expect(table.split("\n")[0]).toMatch(/AGE {2}WAITING$/);
  });

  it("keeps every code's cell short: one line, at most 60 columns, no command in it", () => {
    for (const reason of EVERY_CODE) {
      const [row] = jobRows([{ ...summary, waitingReason: reason }], NOW);
      const cell = row!.at(-1)!;
      expect(width(cell), cell).toBeLessThanOrEqual(60);
      expect(cell, cell).not.toContain("`");
      expect(cell.startsWith(`${reason.code}: `), cell).toBe(true);
      const lines = renderTable(JOB_COLUMNS, [row!], 132).split("\n");
      expect(lines, cell).toHaveLength(2);
    }
  });

  it("says under the table, once, where the whole reason is when a cell was cut", async () => {
    const { url } = await stubCoordinator((_req, reply) =>
      reply.json(200, { jobs: [summary, { ...summary, id: "job_2", stage: "testing", waitingReason: TESTING }] }),
    );
    let stdout = "";
    let stderr = "";
    const argv = ["jobs", "--url", url, "--token", "t", "--product", "p"];
    const io = {
      stdout: (t: string) => {
        stdout += t;
      },
      stderr: (t: string) => {
        stderr += t;
      },
      stderrIsTTY: false,
      now: () => NOW,
    };
    expect(await runCli(argv, { ...io, env: { HOME: "/nonexistent", GIGAFACTORY_CONFIG: "/nonexistent/c" } })).toBe(0);
    expect(stdout.trimEnd().split("\n")).toHaveLength(3);
    expect(stdout).toContain("2m  testing: built; waiting for an operator (or your CI) to shi…\n");
    expect(stderr).toBe("WAITING is cut short: `gigafactory job ID` says the whole reason and what ends the wait\n");
  });
});

describe("job: the Waiting block", () => {
  it("names the code, the message, since when and the detail", () => {
    const text = waitingLines(noGpu, NOW);
    expect(text).toContain("Waiting: no_capable_factory — waiting for a factory with gpu — none is enrolled");
    expect(text).toContain("since 2026-01-02T03:02:05Z (2m ago)");
    expect(text).toContain("missing: gpu");
  });

  it("renders instants as UTC and records by name", () => {
    const r: WaitingReason = {
      code: "excluded",
      message: "kept from box-1",
      since: NOW,
      detail: {
        until: NOW + 60_000,
        factories: [{ id: "fac_1", name: "box-1", kind: "expired", until: NOW + 60_000 }],
      },
    };
    const text = waitingLines(r, NOW);
    expect(text).toContain("until: 2026-01-02T03:05:05Z");
    expect(text).toContain("factories: box-1 (kind expired, until 2026-01-02T03:05:05Z)");
  });

  it('renders a record with no name or id (a failed job\'s lastResult) by its outcome, never as "?"', () => {
    const r: WaitingReason = {
      code: "needs_operator",
      message: "failed: over budget — an operator can requeue or cancel it",
      since: NOW,
      detail: {
        lastResult: { outcome: "budget_exceeded", retryable: false, message: "over budget" },
        other: { retryable: true },
      },
    };
    const text = waitingLines(r, NOW);
    expect(text).toContain("lastResult: budget_exceeded (retryable false, message over budget)");
    expect(text).toContain("other: retryable true");
    expect(text).not.toContain("?");
  });

  it("`gigafactory job ID` shows a failed job's last result once, not again in the Waiting block", () => {
    const failed = {
      ...whole,
      stage: "failed",
      lastResult: { outcome: "budget_exceeded", retryable: false, message: "over budget" },
      waitingReason: {
        code: "needs_operator",
        message: "failed: over budget — an operator can requeue or cancel it",
        since: NOW,
        detail: { lastResult: { outcome: "budget_exceeded", retryable: false, message: "over budget" } },
      },
    } as unknown as JobView;
    const text = renderJob(failed, [], NOW);
    expect(text).toContain("Waiting: needs_operator");
    expect(text.match(/budget_exceeded/g)).toHaveLength(1);
  });

  it("is part of `gigafactory job ID` and absent for a running job", () => {
    const job = whole as unknown as JobView;
    expect(renderJob(job, [], NOW)).toContain("Waiting: no_capable_factory");
    expect(renderJob({ ...job, waitingReason: null }, [], NOW)).not.toContain("Waiting:");
  });
});

describe("explain: the Waiting block", () => {
  it("heads the explanation when the job waits", () => {
    const text = renderExplanation({
      jobId: "job_1",
      stage: "queued",
      priority: "high",
      at: NOW,
      routingPolicy: null,
      weights: DEFAULT_WEIGHTS,
      urgency: 2,
      holderFactoryId: null,
      ranked: [],
      rejected: [],
      exclusions: [],
      waitingReason: noGpu,
      preemption: { preemptedAt: null, preemptedBy: null, wouldPreempt: null, notBecause: "not_critical" },
    });
    expect(text.split("\n")[1]).toBe("Waiting: no_capable_factory — waiting for a factory with gpu — none is enrolled");
  });
});
