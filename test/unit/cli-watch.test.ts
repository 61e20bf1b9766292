// `gigafactory watch ID` over a real local socket (an SSE feed and the job's REST reads): a log event prints one line
// per log line as `[stream] text`, uncut; budget and children notices read as sentences, not JSON; time fields
// (`expiresAt`, `openUntil`, `notBefore`) as ISO instants, not epoch ms; a job in a stage
// that waits for an operator (core/waiting OPERATOR_STAGES: failed for good, testing, review — the last two used to
// be watched forever) ends the watch with exit 3 and a line saying what it waits for — after the events that
// followed the move, also when --after is past it, and when a 503 met that check (or a job already ended's first
// page read) once (it is retried, each retry said) — while an old
// failure the job was since requeued from does not; a job that had ended before the watch began ends it too (with
// --after past its stage move, or a purged feed, whose missing events it names); help names the NDJSON output and the exit codes (the overview's too, which said 3 only for a failed job).
import { describe, expect, it } from "vitest";
import { EXIT_NEEDS_OPERATOR, eventLine } from "../../src/cli/commands/watch.ts";
import { eventLines } from "../../src/cli/event-text.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

type Ev = { seq: number; type: string; at: number; data: Record<string, unknown> };
const AT = Date.UTC(2026, 0, 1, 12, 0, 0);
const ev = (seq: number, type: string, data: Record<string, unknown>): Ev => ({ seq, type, at: AT + seq, data });
const sse = (events: readonly Ev[]) =>
  events.map((e) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
const stage = (seq: number, from: string, to: string) => ev(seq, "job.stage", { from, to, leaseEpoch: 1 });

const longText = `step 1/20: planning ${"x".repeat(150)}`;
const log = ev(6, "log", {
  factoryId: "fac_1",
  leaseEpoch: 1,
  lines: [
    { stream: "stdout", text: longText, at: AT },
    { stream: "stderr", text: "warning: slow", at: AT },
  ],
});

describe("watch: how events read", () => {
  it("prints one line per log line, with its stream and the whole text", () => {
    const lines = eventLines(log);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^#6 {2}\d\d:\d\d:\d\d {2}log {2}\[stdout\] step 1\/20: planning x+$/);
    expect(lines[0]).toContain(longText);
    expect(lines[1]).toMatch(/log {2}\[stderr\] warning: slow$/);
    expect(eventLine(log)).not.toContain("factoryId");
  });

  it("reads job.budget_exceeded and job.children as sentences, not JSON", () => {
    const over = ev(8, "job.budget_exceeded", {
      limit: "usd",
      used: 1.2,
      max: 1,
      why: "cost $1.20 exceeds the job budget $1.00",
      factoryId: "fac_1",
      leaseEpoch: 1,
    });
    expect(eventLine(over)).toMatch(
      /job\.budget_exceeded {2}stopped over budget: cost \$1\.20 exceeds the job budget \$1\.00 · on fac_1 · epoch 1$/,
    );
    const kids = ev(9, "job.children", { added: ["job_a", "job_b"], total: 3 });
    expect(eventLine(kids)).toMatch(/job\.children {2}added 2 children: job_a, job_b · 3 in all$/);
    for (const line of [eventLine(over), eventLine(kids)]) expect(line).not.toMatch(/[{[]/);
  });

  it("prints times in an event's fields as ISO instants, not epoch ms (R2: expiresAt=1796300328706)", () => {
    const line = eventLine(ev(10, "lease.x", { leaseEpoch: 2, expiresAt: 1_796_300_328_706 }));
    expect(line).toContain("expiresAt=2026-12-03T12:18:48Z");
    const granted = eventLine(ev(10, "lease.granted", { factoryId: "fac_1", expiresAt: 1_796_300_328_706 }));
    expect(granted).toContain("lease to fac_1 · until 2026-12-03T12:18:48Z");
    const other = eventLine(ev(11, "breaker.x", { openUntil: AT, notBefore: AT }));
    expect(other).toContain("openUntil=2026-01-01T12:00:00Z notBefore=2026-01-01T12:00:00Z");
    expect(line).toContain("leaseEpoch=2"); // a count stays a number
  });
});

/** A coordinator whose feed holds `events` and whose job reads as `job` (stage, waiting reason). */
async function feed(events: readonly Ev[], job: Record<string, unknown>) {
  return stubCoordinator((req, reply) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname.endsWith("/events/stream")) {
      const after = Number(url.searchParams.get("after") ?? 0);
      reply.text(200, sse(events.filter((e) => e.seq > after)), "text/event-stream");
    } else if (url.pathname.endsWith("/events")) {
      const after = Number(url.searchParams.get("after") ?? 0);
      reply.json(200, { events: events.filter((e) => e.seq > after), lastSeq: events.at(-1)?.seq ?? 0 });
    } else reply.json(200, { id: "job_1", title: "T", ...job });
  });
}

const needsOperator = {
  stage: "failed",
  waitingReason: {
    code: "needs_operator",
    message: "failed: cost $1.20 exceeds the job budget $1.00 — an operator can requeue or cancel it",
    since: AT,
    detail: {},
  },
};

describe("watch: when it ends", () => {
  it(`ends with exit ${EXIT_NEEDS_OPERATOR} once the job has failed for good and waits for an operator`, async () => {
    const events = [
      stage(1, "building", "failed"), // an old failure: the job was requeued from it
      stage(2, "failed", "queued"),
      stage(3, "queued", "building"),
      ev(4, "job.budget_exceeded", { limit: "usd", why: "cost $1.20 exceeds the job budget $1.00", leaseEpoch: 2 }),
      stage(5, "building", "failed"),
      log,
    ];
    const stub = await feed(events, needsOperator);
    const run = await captureCli(["watch", "job_1", ...connection(stub.url, "p")]);
    expect(run.code).toBe(3);
    const seqs = run.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(" ")[0]);
    expect(seqs).toEqual(["#1", "#2", "#3", "#4", "#5", "#6", "#6"]); // #6 (two log lines) came after the failure
    expect(run.stderr).toContain("job_1 failed and waits for an operator: failed: cost $1.20");
    expect(run.stderr).toContain("gigafactory requeue job_1");
  });

  it("keeps watching past a failure the job is retried from, and ends with 0 when it ships", async () => {
    const events = [stage(1, "building", "failed"), stage(2, "failed", "queued"), stage(3, "testing", "shipped")];
    const stub = await feed(events, { stage: "shipped", waitingReason: null });
    const run = await captureCli(["watch", "job_1", ...connection(stub.url, "p")]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("testing → shipped");
  });

  it("prints NDJSON under --json and still ends with exit 3", async () => {
    const stub = await feed([stage(1, "building", "failed")], needsOperator);
    const run = await captureCli(["watch", "job_1", "--json", ...connection(stub.url, "p")]);
    expect(run.code).toBe(3);
    expect(
      run.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).seq),
    ).toEqual([1]);
    expect(run.stderr).toBe("");
  });

  const waiting = (stageName: string, code: string, message: string) => ({
    stage: stageName,
    waitingReason: { code, message, since: AT, detail: {} },
  });
  const testing = waiting("testing", "testing", "built; waiting for its tests or an operator to ship it");
  const built = [ev(1, "job.submitted", {}), stage(2, "queued", "building"), stage(3, "building", "testing"), log];

  it(`ends with exit ${EXIT_NEEDS_OPERATOR} on a job in testing, saying it waits for an operator to ship it`, async () => {
    const stub = await feed(built, testing);
    const run = await captureCli(["watch", "job_1", ...connection(stub.url, "p")]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain("building → testing");
    expect(run.stdout).toContain("[stderr] warning: slow"); // the event after the move is printed before it ends
    expect(run.stderr).toBe(
      "job_1 is in testing and waits for an operator: built; waiting for its tests or an operator to ship it " +
        "(`gigafactory ship job_1` or `gigafactory reject job_1`)\n",
    );
  });

  it(`ends with exit ${EXIT_NEEDS_OPERATOR} on a job in review, naming the review commands`, async () => {
    const events = [ev(1, "job.submitted", {}), stage(2, "building", "review")];
    const stub = await feed(events, waiting("review", "review_pending", "waiting for review: 0 of 1 approvals"));
    const run = await captureCli(["watch", "job_1", ...connection(stub.url, "p")]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("job_1 is in review and waits for reviewers: waiting for review: 0 of 1 approvals");
    expect(run.stderr).toContain("`gigafactory review approve job_1` or `gigafactory review reject job_1`");
  });

  it("ends at once when --after is past the job's last stage move into testing", async () => {
    const stub = await feed(built, testing);
    const run = await captureCli(["watch", "job_1", "--after", "6", ...connection(stub.url, "p")]);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 3, stdout: "" });
    expect(run.stderr).toContain("job_1 is in testing and waits for an operator");
  });

  it("keeps watching past testing the job has since left, and ends with 0 when it ships", async () => {
    const events = [...built, stage(7, "testing", "shipped")];
    const stub = await feed(events, { stage: "shipped", waitingReason: null });
    const run = await captureCli(["watch", "job_1", ...connection(stub.url, "p")]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("testing → shipped");
  });

  // A watch of a job that had already ended waited for ever (exit 0 was only ever reached by reading a terminal
  // stage move): when --after was at or past that move, or when retention had purged the feed (no events, its last
  // seq kept). A job terminal when the watch starts is followed to the feed's last seq at that moment, then ends.
  const shipped = [ev(1, "job.submitted", {}), stage(2, "testing", "shipped"), ev(3, "artifact.added", { name: "x" })];

  it("ends with 0 at once when --after is past a shipped job's last stage move", async () => {
    const stub = await feed(shipped, { stage: "shipped", waitingReason: null });
    const run = await captureCli(["watch", "job_1", "--after", "2", ...connection(stub.url, "p")]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
    expect(
      run.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(" ")[0]),
    ).toEqual(["#3"]);
  });

  it("still reports an --after past a shipped job's feed as the feed's refusal, not as a quiet exit 0", async () => {
    const stub = await stubCoordinator((req, reply) => {
      const url = new URL(req.url, "http://x");
      if (url.pathname.endsWith("/events/stream"))
        reply.problem(416, { status: 416, code: "after_beyond_feed", title: "x", detail: "past the feed" });
      else if (url.pathname.endsWith("/events")) reply.json(200, { events: [], lastSeq: 3 });
      else reply.json(200, { id: "job_1", title: "T", stage: "shipped", waitingReason: null });
    });
    const run = await captureCli(["watch", "job_1", "--after", "9", ...connection(stub.url, "p")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("after_beyond_feed");
  });

  // It ended without a word, as if the job had never had an event: the reader is told the events are gone, as a gap
  // in a stream is (on stderr: stdout, a script's, stays the events').
  it("ends with 0 at once on a cancelled job whose feed retention purged (no events; its last seq kept), saying so", async () => {
    const stub = await stubCoordinator((req, reply) => {
      const url = new URL(req.url, "http://x");
      if (url.pathname.endsWith("/events/stream")) reply.text(200, ": job feed\n\n", "text/event-stream");
      else if (url.pathname.endsWith("/events")) reply.json(200, { events: [], lastSeq: 9 });
      else reply.json(200, { id: "job_1", title: "T", stage: "cancelled", waitingReason: null });
    });
    const run = await captureCli(["watch", "job_1", ...connection(stub.url, "p")]);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
      code: 0,
      stdout: "",
      // The purge said, then the closing line of a cancelled job (cli/event-text `endingNote`).
      stderr: "… events 1–9 were not received (retention purges an ended job's log)\njob job_1 ended cancelled\n",
    });
    const resumed = await captureCli(["watch", "job_1", "--after", "8", ...connection(stub.url, "p")]);
    expect(resumed.stderr).toBe(
      "… event 9 was not received (retention purges an ended job's log)\njob job_1 ended cancelled\n",
    );
    const atEnd = await captureCli(["watch", "job_1", "--after", "9", ...connection(stub.url, "p")]);
    // Nothing missing, so no gap: only the closing line.
    expect({ code: atEnd.code, stderr: atEnd.stderr }).toEqual({ code: 0, stderr: "job job_1 ended cancelled\n" });
  });

  // The check "does the job stay where an operator must act?" ran once, on the event that moved it there; a 503 from
  // the coordinator in that check reconnected the feed after that event, no later event came to redo it, and the
  // watch waited for ever. A transient failure of the check is retried in place.
  it(`still ends with exit ${EXIT_NEEDS_OPERATOR} when the coordinator answers the check with a 503 once`, async () => {
    let jobReads = 0;
    const moved = built.slice(0, 3); // nothing after the move into testing
    const stub = await stubCoordinator((req, reply) => {
      const url = new URL(req.url, "http://x");
      const after = Number(url.searchParams.get("after") ?? 0);
      if (url.pathname.endsWith("/events/stream")) {
        reply.text(200, sse(moved.filter((e) => e.seq > after)), "text/event-stream");
      } else if (url.pathname.endsWith("/events")) {
        reply.json(200, { events: moved.filter((e) => e.seq > after), lastSeq: 3 });
      } else if (++jobReads === 3) {
        reply.problem(503, { status: 503, code: "unavailable", title: "x", detail: "restarting" });
      } else reply.json(200, { id: "job_1", title: "T", ...testing });
    });
    const run = await captureCli(["watch", "job_1", ...connection(stub.url, "p")]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain("job_1 is in testing and waits for an operator");
  });

  // A page of a job's events is a 503 while events its coordinator still holds cannot all reach the feed (its last
  // seq would read short of the log): the watch of a job already ended asks again, as the operator check does.
  it("ends with 0 on a shipped job when its first page read met a 503 once, saying the retry", async () => {
    let pageReads = 0;
    const stub = await stubCoordinator((req, reply) => {
      const url = new URL(req.url, "http://x");
      const after = Number(url.searchParams.get("after") ?? 0);
      if (url.pathname.endsWith("/events/stream")) {
        reply.text(200, sse(shipped.filter((e) => e.seq > after)), "text/event-stream");
      } else if (url.pathname.endsWith("/events") && ++pageReads === 1) {
        reply.problem(503, { status: 503, code: "unavailable", title: "x", detail: "held events on their way" });
      } else if (url.pathname.endsWith("/events")) {
        reply.json(200, { events: shipped.filter((e) => e.seq > after), lastSeq: 3 });
      } else reply.json(200, { id: "job_1", title: "T", stage: "shipped", waitingReason: null });
    });
    const run = await captureCli(["watch", "job_1", ...connection(stub.url, "p")]);
    expect(run.code, run.stderr).toBe(0);
    // Each retry is said (a watch that waited through an outage in silence looked hung): the cause and the wait.
    expect(run.stderr).toMatch(/^… unavailable: held events on their way; retrying in \d+\.\ds \(attempt 1 of 29\)\n$/);
    expect(run.stdout).toContain("testing → shipped");
    expect(pageReads).toBeGreaterThan(1);
  });

  it("says in its help that --json is NDJSON and what each exit code means", async () => {
    const { commandHelp } = await import("../../src/cli/help.ts");
    const { watch } = await import("../../src/cli/commands/watch.ts");
    const help = commandHelp(watch);
    expect(help).toContain("NDJSON");
    expect(help).toMatch(/exit 3 {2}the job waits for an operator/);
    expect(help).toContain("in testing (`ship ID`");
    expect(help).toMatch(/exit 0 {2}the job reached a terminal stage/);
  });

  it("the overview's exit codes give watch's 3 for every stage that waits for an operator, not only failed", async () => {
    const { overviewHelp } = await import("../../src/cli/help.ts");
    const { COMMANDS } = await import("../../src/cli/registry.ts");
    const lines = overviewHelp(COMMANDS).split("\n");
    const at = lines.findIndex((l) => l.startsWith("Exit codes:"));
    // Two lines since the signals' 130 and 143 joined them (pass 46).
    expect(`${lines[at]} ${lines[at + 1]}`).toBe(
      "Exit codes: 0 ok, 1 failed, 2 usage error, 130 interrupted by Ctrl-C, 143 by SIGTERM (`watch`: 3 when the job " +
        "waits for an operator: review, testing, failed).",
    );
  });
});
