// The dashboard timeline's one-line summaries (dashboard/timeline.js `summarize`): the coordinator's budget and
// children notices read as sentences naming the factory by name, not as the event's raw JSON; an artifact's size reads
// in B/KiB/MiB as the artifacts panel shows it, not as a raw count of bytes. The line above a timeline that dropped
// its oldest rows or log lines to keep its caps (`droppedNotice`) says how many — before, they vanished silently. A
// stage move shows a result only when it is that move's own — into failed, dead_letter or cancelled from a live stage,
// or back to queued from a run (a retry) — so events stored while the coordinator carried the job's last result on
// every move read right: attempt 2's start showed "· failure: engine exited with code 1: boom". A review's
// approvals count in the singular for a quorum of one ("0 of 1 approval"), as the CLI and the waiting reason say. A
// lease expiry whose holder's link was seen to end says so and when ("box-1 lost its link at 18:37:59"); one with no
// link loss seen, its holder's last heartbeat ("box-1's last heartbeat at 18:37:24").
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { clock } from "../../dashboard/format.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { summarize } from "../../dashboard/timeline.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { droppedNotice } from "../../dashboard/timeline-notices.js";

const name = (id: string | undefined) => (id === "fac_1" ? "box-1" : String(id));
const ev = (type: string, data: Record<string, unknown>) => ({ seq: 1, type, at: 0, data });

describe("dashboard timeline", () => {
  it("says a lease expiry's holder lost its link, and when, where the coordinator saw it", () => {
    const at = Date.UTC(2026, 11, 6, 18, 37, 59);
    const lost = ev("lease.lost", { factoryId: "fac_1", leaseEpoch: 1, why: "expired", linkLostAt: at });
    expect(summarize(lost, name)).toBe(`lease lost by box-1 · epoch 1 · expired · box-1 lost its link at ${clock(at)}`);
    const paused = ev("lease.lost", { factoryId: "fac_1", leaseEpoch: 1, why: "expired" });
    expect(summarize(paused, name)).toBe("lease lost by box-1 · epoch 1 · expired");
  });

  it("says a lease expiry's holder's last heartbeat, and when, where no link loss was seen", () => {
    const beat = Date.UTC(2026, 11, 6, 18, 37, 24);
    const silent = ev("lease.lost", { factoryId: "fac_1", leaseEpoch: 1, why: "expired", lastHeartbeatAt: beat });
    expect(summarize(silent, name)).toBe(
      `lease lost by box-1 · epoch 1 · expired · box-1's last heartbeat at ${clock(beat)}`,
    );
    const both = ev("lease.lost", {
      factoryId: "fac_1",
      leaseEpoch: 1,
      why: "expired",
      lastHeartbeatAt: beat,
      linkLostAt: beat + 5000,
    });
    expect(summarize(both, name)).toBe(
      `lease lost by box-1 · epoch 1 · expired · box-1 lost its link at ${clock(beat + 5000)}`,
    );
  });

  it("reads an artifact's size with its unit", () => {
    const e = ev("artifact.added", { name: "report.txt", size: 5_242_880, contentType: "text/plain" });
    expect(summarize(e, name)).toBe("report.txt · 5.0 MiB · text/plain");
  });

  it("reads job.budget_exceeded as the stop and its reason", () => {
    const e = ev("job.budget_exceeded", {
      limit: "usd",
      used: 1.2,
      max: 1,
      why: "cost $1.20 exceeds the job budget $1.00",
      factoryId: "fac_1",
      leaseEpoch: 2,
    });
    expect(summarize(e, name)).toBe(
      "stopped over budget: cost $1.20 exceeds the job budget $1.00 · on box-1 · epoch 2",
    );
  });

  it("reads job.children as the children added", () => {
    expect(summarize(ev("job.children", { added: ["job_a", "job_b"], total: 3 }), name)).toBe(
      "added 2 children: job_a, job_b · 3 in all",
    );
    expect(summarize(ev("job.child_failed", { childId: "job_a", childStage: "dead_letter" }), name)).toBe(
      "child job_a is dead_letter",
    );
  });

  it("counts a review's approvals in the singular for a quorum of one, as the CLI and the waiting reason do", () => {
    const review = (approvals: number, required: number) =>
      summarize(ev("job.review", { verdict: "approve", reviewerName: "alice", required, approvals }), name);
    expect(review(0, 1)).toBe("approve by alice · 0 of 1 approval");
    expect(review(1, 2)).toBe("approve by alice · 1 of 2 approvals");
  });

  it("says how many older events and log lines the caps dropped, and nothing when none were", () => {
    expect(droppedNotice(0, 0)).toBe("");
    expect(droppedNotice(1, 0)).toBe("1 older event not shown");
    expect(droppedNotice(1234, 0)).toBe("1,234 older events not shown");
    expect(droppedNotice(0, 200)).toBe("200 older log lines not shown");
    expect(droppedNotice(3, 1)).toBe("3 older events and 1 older log line not shown");
  });

  it("shows a stage move's result only when the move is the one that ended the run", () => {
    const result = { outcome: "failure", message: "engine exited with code 1: boom" };
    const move = (from: string, to: string) =>
      summarize(ev("job.stage", { from, to, leaseEpoch: 2, attempt: 2, holderFactoryId: "fac_1", result }), name);
    // The newcomer's line: attempt 2's start carried attempt 1's failure.
    expect(move("assigned", "building")).toBe("assigned → building · on box-1 · epoch 2 · attempt 2");
    expect(move("building", "testing")).toBe("building → testing · on box-1 · epoch 2 · attempt 2");
    expect(move("failed", "queued")).toBe("failed → queued · on box-1 · epoch 2 · attempt 2"); // an operator's requeue
    expect(move("failed", "cancelled")).toBe("failed → cancelled · on box-1 · epoch 2 · attempt 2");
    for (const [from, to] of [
      ["building", "failed"],
      ["building", "dead_letter"],
      ["building", "cancelled"],
      ["building", "queued"],
      ["assigned", "queued"],
    ])
      expect(move(from!, to!)).toBe(
        `${from} → ${to} · on box-1 · epoch 2 · attempt 2 · failure: engine exited with code 1: boom`,
      );
  });
});
