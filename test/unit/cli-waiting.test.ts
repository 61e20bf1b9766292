// The waiting reason in the terminal: `gigafactory jobs` has a WAITING column (code and message) wrapped under its column to the terminal's width, never cut, and `gigafactory job ID` and `explain ID` a "Waiting:" block — its message in words, its code in brackets — naming the detail (missing capabilities, until when; every
// instant the core names — `until`, `retryAt`, `keptUntil`, a frozen key's `frozenAt` — in UTC).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderExplanation } from "../../src/cli/commands/explain.ts";
import { renderJob } from "../../src/cli/commands/job.ts";
import { JOB_COLUMNS, jobRows } from "../../src/cli/commands/jobs.ts";
import { isInstantKey, renderTable } from "../../src/cli/table.ts";
import { waitingCell, waitingLines } from "../../src/cli/waiting.ts";
import { waitingNote } from "../../src/cli/watch-waiting.ts";
import { DEFAULT_WEIGHTS } from "../../src/core/router.ts";
import { waitingFix } from "../../src/core/waiting-fix.ts";
import type { WaitingReason } from "../../src/core/waiting-reason.ts";
import type { JobSummary, JobView } from "../../src/shared/responses.ts";

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const noGpu: WaitingReason = {
  code: "no_capable_factory",
  message: "waiting for a factory with gpu — none is enrolled",
  since: NOW - 120_000,
  detail: { requires: ["gpu"], missing: ["gpu"] },
};
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
  it("shows code and message, and a dash for a job that runs", () => {
    expect(jobRows([summary], NOW)[0]!.at(-1)).toBe(
      "no_capable_factory: waiting for a factory with gpu — none is enrolled — fix: `gigafactory job job_1` says it",
    );
    expect(waitingCell(null)).toBe("—");
    const table = renderTable(JOB_COLUMNS, jobRows([summary], NOW));
    expect(table.split("\n")[0]).toMatch(/AGE {2}WAITING$/);
  });

  it("wraps the reason under its column so that no line is wider than the terminal, and cuts none of it", () => {
    const rows = jobRows([summary], NOW);
    const lines = renderTable(JOB_COLUMNS, rows, 90).split("\n");
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(90);
    const at = lines[0]!.indexOf("WAITING");
    expect(lines.length).toBeGreaterThan(2);
    const reason = lines
      .slice(1)
      .map((l, i) => (i === 0 ? l.slice(at) : l.trimStart()))
      .join(" ");
    expect(reason).toBe(
      "no_capable_factory: waiting for a factory with gpu — none is enrolled — fix: `gigafactory job job_1` says it",
    );
    for (const line of lines.slice(2)) expect(line.slice(0, at).trim()).toBe("");
  });
});

// One reason, one fix wherever it is read (a newcomer, pass 42): `jobs` said `review_pending: waiting for review: 0 of 1
// approval` with no command while `watch` gave `gigafactory review approve …`; `—` for a dead-lettered job while `job`
// gave its requeue; and no hint of the `no_capable_factory` fix that `job` and `watch` print.
describe("jobs, job and watch: the same fix for the same wait", () => {
  const review: WaitingReason = {
    code: "review_pending",
    message: "waiting for review: 0 of 1 approval",
    since: NOW,
    detail: { required: 1, approvals: 0, approvedBy: [] },
  };
  const approve = "`gigafactory review approve job_1` approves it, `gigafactory review reject job_1` sends it back";

  it("review_pending: the cell, the Waiting block and watch's note name the review commands", () => {
    const inReview = { ...summary, stage: "review", waitingReason: review } as JobSummary;
    expect(jobRows([inReview], NOW)[0]!.at(-1)).toBe(
      `review_pending: waiting for review: 0 of 1 approval — fix: ${approve}`,
    );
    expect(renderJob({ ...whole, ...inReview } as JobView, [], NOW)).toContain(`  fix: ${approve}`);
    expect(waitingNote("job_1", review, waitingFix(review, "job_1"))).toContain(`— fix: ${approve}`);
  });

  it("dead_letter: the cell says the requeue `job` says", () => {
    const dead = { ...summary, stage: "dead_letter", waitingReason: null } as unknown as JobSummary;
    expect(jobRows([dead], NOW)[0]!.at(-1)).toBe(
      "dead_letter: attempts used up — fix: `gigafactory requeue job_1` runs it again with fresh attempts",
    );
    expect(renderJob({ ...whole, ...dead } as JobView, [], NOW)).toContain(
      "fix: `gigafactory requeue job_1` runs it again with fresh attempts",
    );
  });

  it("a short fix is said whole in the cell; a reason with none says none", () => {
    const short = { ...noGpu, detail: {} };
    expect(waitingCell(short, { id: "job_1", stage: "queued" })).toMatch(
      / — fix: enroll a factory: `gigafactory enroll NAME`/,
    );
    const busy: WaitingReason = { code: "all_seats_busy", message: "every seat is busy", since: NOW, detail: {} };
    expect(waitingCell(busy, { id: "job_1", stage: "queued" })).toBe("all_seats_busy: every seat is busy");
  });
});

describe("job: the Waiting block", () => {
  it("names the code, the message, since when and the detail", () => {
    const text = waitingLines(noGpu, NOW);
    expect(text).toContain("Waiting: waiting for a factory with gpu — none is enrolled  [no_capable_factory]");
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

  it("renders a retry's retryAt and keptUntil as UTC, as every instant the core's reasons name", () => {
    const backoff: WaitingReason = {
      code: "retry_backoff",
      message: "retrying after its backoff",
      since: NOW,
      detail: { until: NOW + 60_000, attempt: 1, maxAttempts: 3, keptUntil: NOW + 120_000 },
    };
    expect(waitingLines(backoff, NOW)).toContain("keptUntil: 2026-01-02T03:06:05Z");
    const down = { ...backoff, code: "no_factory_connected", detail: { retryAt: NOW + 60_000 } } as WaitingReason;
    expect(waitingLines(down, NOW)).toContain("retryAt: 2026-01-02T03:05:05Z");
    // Every key the core's waiting reasons write that names a time by its suffix is read as one.
    const core = ["waiting.ts", "waiting-queued.ts", "waiting-fleet.ts", "waiting-backoff.ts", "waiting-excluded.ts"]
      .map((f) => readFileSync(new URL(`../../src/core/${f}`, import.meta.url), "utf8"))
      .join("\n");
    const keys = new Set([...core.matchAll(/\b([a-z]\w*(?:At|Until|Before))\??:/g)].map((m) => m[1] ?? ""));
    expect([...keys].filter((k) => !isInstantKey(k))).toEqual([]);
    expect(keys).toContain("keptUntil");
  });

  it("names a frozen key a paused budget's wait carries after it: the key, and when it froze in UTC", () => {
    const paused: WaitingReason = {
      code: "budget_paused",
      message: "the product's budget is paused by an operator; and serial key repo-a is frozen",
      since: NOW,
      detail: { pausedBy: "operator", serialKeyFrozen: { serialKey: "repo-a", frozenAt: NOW - 60_000 } },
    };
    expect(waitingLines(paused, NOW)).toContain("  serialKeyFrozen: serialKey repo-a, frozenAt 2026-01-02T03:03:05Z");
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
    expect(text).toContain("[needs_operator]");
    expect(text.match(/budget_exceeded/g)).toHaveLength(1);
  });

  it("is part of `gigafactory job ID` and absent for a running job", () => {
    const job = whole as unknown as JobView;
    expect(renderJob(job, [], NOW)).toContain("  [no_capable_factory]");
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
    expect(text.split("\n")[1]).toBe(
      "Waiting: waiting for a factory with gpu — none is enrolled  [no_capable_factory]",
    );
  });
});
