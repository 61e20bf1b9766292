// `gigafactory watch ID` says why a job moved where a stage event carries the move's result (coordinator/jobs/rows):
// `building → failed — failure: engine exited with code 1: boom`, on one line, cut to 160 columns; a success or a move
// with no result reads as before. A watch that ends on a dead letter or a cancel (exit 0, as documented) closes with a
// line on stderr saying so and why (the last failure, or the cancel's own result — never an older failure's), also
// when it printed no move of it (a job that had ended before the watch, --after past its move); one that ends on a
// ship prints none. Over a real local socket (an SSE feed and the job's REST reads).
import { describe, expect, it } from "vitest";
import { eventLine } from "../../src/cli/commands/watch.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

type Ev = { seq: number; type: string; at: number; data: Record<string, unknown> };
const AT = Date.UTC(2026, 0, 1, 12, 0, 0);
const boom = { outcome: "failure", rc: 1, message: "engine exited with code 1: boom" };
const stage = (seq: number, from: string, to: string, result?: Record<string, unknown>): Ev => ({
  seq,
  type: "job.stage",
  at: AT + seq,
  data: { from, to, leaseEpoch: 1, attempt: 1, ...(result ? { result } : {}) },
});
const sse = (events: readonly Ev[]) =>
  events.map((e) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");

/** A coordinator whose feed holds `events` and whose job reads in `stage` (waiting for nothing), its last result `last`. */
async function feed(events: readonly Ev[], stageNow: string, last?: Record<string, unknown>) {
  return stubCoordinator((req, reply) => {
    const url = new URL(req.url, "http://x");
    const after = Number(url.searchParams.get("after") ?? 0);
    if (url.pathname.endsWith("/events/stream"))
      reply.text(200, sse(events.filter((e) => e.seq > after)), "text/event-stream");
    else if (url.pathname.endsWith("/events"))
      reply.json(200, { events: events.filter((e) => e.seq > after), lastSeq: events.at(-1)?.seq ?? 0 });
    else reply.json(200, { id: "job_1", title: "T", stage: stageNow, waitingReason: null, lastResult: last ?? null });
  });
}

describe("watch: a stage move's reason", () => {
  it("follows a failed or cancelled move, bounded and on one line", () => {
    expect(eventLine(stage(3, "building", "failed", boom))).toMatch(
      /job\.stage {2}building → failed — failure: engine exited with code 1: boom$/,
    );
    expect(eventLine(stage(4, "queued", "cancelled", { outcome: "cancelled", message: "cancelled by ana" }))).toMatch(
      /queued → cancelled — cancelled by ana$/, // not "cancelled: cancelled by ana"
    );
    expect(eventLine(stage(5, "building", "failed", { outcome: "timeout" }))).toMatch(/→ failed — timeout$/);
    expect(eventLine(stage(6, "building", "failed", { outcome: "failure", rc: 137 }))).toMatch(/— failure: rc 137$/);
    const preempted = { outcome: "preempted", message: "preempted by job_9" };
    expect(eventLine(stage(7, "building", "queued", preempted))).toMatch(/→ queued — preempted by job_9$/);
    const released = { outcome: "handed_back", message: "released by factory: draining" };
    expect(eventLine(stage(8, "building", "queued", released))).toMatch(
      /→ queued — handed_back: released by factory: draining$/,
    );
    const trace = { outcome: "failure", message: `Error: boom\n${"    at frame (x.ts:1:1)\n".repeat(40)}` };
    const long = eventLine(stage(9, "building", "failed", trace));
    expect(long.split("\n")).toHaveLength(1);
    expect(long.slice(long.indexOf("— ") + 2)).toHaveLength(160); // the reason, cut to 160 columns
    expect(long.endsWith("…")).toBe(true);
  });

  it("is absent for a success and for a move that carries no result", () => {
    expect(eventLine(stage(9, "building", "testing", { outcome: "success", rc: 0 }))).toMatch(/building → testing$/);
    expect(eventLine(stage(10, "assigned", "building"))).toMatch(/assigned → building$/);
  });
});

describe("watch: the closing line", () => {
  it("says a dead letter and its last failure (exit 0)", async () => {
    const events = [
      stage(1, "building", "failed", boom),
      stage(2, "failed", "queued", boom),
      stage(3, "building", "failed", boom),
      stage(4, "failed", "dead_letter"), // an older coordinator's: no result on the dead letter itself
    ];
    const stub = await feed(events, "dead_letter");
    const run = await captureCli(["watch", "job_1", ...connection(stub.url, "p")]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("building → failed — failure: engine exited with code 1: boom");
    expect(run.stderr.trim()).toBe(
      "job job_1 ended in dead_letter: its attempts are used up — failure: engine exited with code 1: boom " +
        "(`gigafactory requeue job_1` runs it again with fresh attempts)",
    );
  });

  it("says a cancel with its own reason, not an older failure's", async () => {
    const cancelled = { outcome: "cancelled", message: "cancelled by ana" };
    const events = [stage(1, "building", "failed", boom), stage(2, "failed", "cancelled", cancelled)];
    const stub = await feed(events, "cancelled");
    const run = await captureCli(["watch", "job_1", ...connection(stub.url, "p")]);
    expect(run.code).toBe(0);
    expect(run.stderr.trim()).toBe("job job_1 ended cancelled — cancelled by ana");
    const bare = await feed([stage(1, "building", "failed", boom), stage(2, "failed", "cancelled")], "cancelled");
    expect((await captureCli(["watch", "job_1", ...connection(bare.url, "p")])).stderr.trim()).toBe(
      "job job_1 ended cancelled",
    );
  });

  it("says a dead letter the watch printed no move of (--after past it), from the job's last result", async () => {
    const events = [stage(1, "building", "failed", boom), stage(2, "failed", "dead_letter", boom)];
    const stub = await feed(events, "dead_letter", boom);
    const run = await captureCli(["watch", "job_1", "--after", "2", ...connection(stub.url, "p")]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("job job_1 ended in dead_letter: its attempts are used up — failure: engine exited");
  });

  it("is not printed for a shipped job", async () => {
    const stub = await feed([stage(1, "testing", "shipped", { outcome: "success", rc: 0 })], "shipped");
    const run = await captureCli(["watch", "job_1", ...connection(stub.url, "p")]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
  });
});
