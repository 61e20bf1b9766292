// A run a lease expiry ended, in words: when the coordinator saw its holder's link end during the run (`linkLostAt`),
// `gigafactory job ID`'s RUNS and the dashboard's runs table say "gpu-1 lost its link at T; its lease expired at T'"
// (the CLI in UTC as its STARTED column, the page in local time as its other times) — "timeout: lease expired" alone
// read like the job's own time limit. With no link loss seen, its holder's last heartbeat (`lastHeartbeatAt`) is said
// instead: "gpu-1's last heartbeat at T; its lease expired at T'" (a beat on another day with dates: UTC, local). The
// outcome word stays `timeout` in the CLI; a run without either field, or one that ended otherwise, reads as before.
// Its DURATION runs to that last sign of life, not to the lease's expiry ("30s, link lost", "… to last heartbeat"):
// a run killed after ~21 s read "1m 32s" (pass 43).
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { clock, when } from "../../dashboard/format.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { runResultWords, runSpanWords } from "../../dashboard/runs.js";
import { renderJob } from "../../src/cli/commands/job.ts";
import type { Run } from "../../src/shared/responses.ts";
import { jobFixture } from "../support/fixtures.ts";

const LOST = Date.UTC(2026, 11, 6, 18, 37, 59, 400);
const ENDED = Date.UTC(2026, 11, 6, 18, 38, 54, 900);
const BEAT = Date.UTC(2026, 11, 6, 18, 37, 24, 100);
const job = jobFixture(LOST - 60_000, { id: "job_9" });
const names = new Map([["fac_g", "gpu-1"]]);
const name = (id: string | undefined) => names.get(id ?? "") ?? id;

const expired = (over: Partial<Run> = {}): Run => ({
  jobId: "job_9",
  attempt: 1,
  factoryId: "fac_g",
  leaseEpoch: 1,
  startedAt: LOST - 30_000,
  endedAt: ENDED,
  result: { outcome: "timeout", message: "lease expired" },
  linkLostAt: LOST,
  ...over,
});

describe("the CLI's RUNS", () => {
  it("says the holder lost its link and when its lease expired, in UTC", () => {
    const text = renderJob(job, [expired()], ENDED + 1000, undefined, names);
    expect(text).toContain("timeout: gpu-1 lost its link at 18:37:59Z; its lease expired at 18:38:54Z");
  });

  it("says the holder's last heartbeat when no link loss was seen, and the link loss where both are set", () => {
    const { linkLostAt: _, ...beat } = expired({ lastHeartbeatAt: BEAT });
    const text = renderJob(job, [beat], ENDED + 1000, undefined, names);
    expect(text).toContain("timeout: gpu-1's last heartbeat at 18:37:24Z; its lease expired at 18:38:54Z");
    const both = renderJob(job, [expired({ lastHeartbeatAt: BEAT })], ENDED + 1000, undefined, names);
    expect(both).toContain("timeout: gpu-1 lost its link at 18:37:59Z; its lease expired at 18:38:54Z");
  });

  it("says a heartbeat on an earlier UTC day with its date, and the expiry's", () => {
    const { linkLostAt: _, ...beat } = expired({ lastHeartbeatAt: BEAT - 86_400_000 });
    const text = renderJob(job, [beat], ENDED + 1000, undefined, names);
    expect(text).toContain(
      "timeout: gpu-1's last heartbeat at 2026-12-05T18:37:24Z; its lease expired at 2026-12-06T18:38:54Z",
    );
  });

  it("reads as before without the field", () => {
    const { linkLostAt: _, ...plain } = expired();
    const text = renderJob(job, [plain], ENDED + 1000, undefined, names);
    expect(text).toContain("timeout: lease expired");
    expect(text).not.toContain("lost its link");
    expect(text).toContain("1m 25s"); // start to the expiry: nothing says when the run was last alive
  });

  it("gives a run a lease expiry ended its duration to its last sign of life, not to the expiry", () => {
    expect(renderJob(job, [expired()], ENDED + 1000, undefined, names)).toContain("30s, link lost");
    const { linkLostAt: _, ...beat } = expired({ lastHeartbeatAt: LOST - 9000 });
    expect(renderJob(job, [beat], ENDED + 1000, undefined, names)).toContain("21s to last heartbeat");
    // A heartbeat from before the run started says nothing of it: the span to the expiry, as before.
    const stale = { ...beat, lastHeartbeatAt: LOST - 60_000 };
    expect(renderJob(job, [stale], ENDED + 1000, undefined, names)).toContain("1m 25s");
  });
});

describe("the dashboard's runs table", () => {
  it("says the holder lost its link and when its lease expired, in the page's time", () => {
    expect(runResultWords(expired(), name)).toBe(
      `gpu-1 lost its link at ${clock(LOST)}; its lease expired at ${clock(ENDED)}`,
    );
  });

  it("says the holder's last heartbeat when no link loss was seen, in the page's time (with dates a day apart)", () => {
    const { linkLostAt: _, ...beat } = expired({ lastHeartbeatAt: BEAT });
    expect(runResultWords(beat, name)).toBe(
      `gpu-1's last heartbeat at ${clock(BEAT)}; its lease expired at ${clock(ENDED)}`,
    );
    expect(runResultWords(expired({ lastHeartbeatAt: BEAT }), name)).toContain("gpu-1 lost its link at");
    const early = { ...beat, lastHeartbeatAt: BEAT - 2 * 86_400_000 };
    expect(runResultWords(early, name)).toBe(
      `gpu-1's last heartbeat at ${when(early.lastHeartbeatAt)}; its lease expired at ${when(ENDED)}`,
    );
  });

  it("says the result's message otherwise", () => {
    const { linkLostAt: _, ...plain } = expired();
    expect(runResultWords(plain, name)).toBe("lease expired");
    expect(runResultWords(expired({ result: { outcome: "failure", message: "rc 1" } }), name)).toBe("rc 1");
    expect(runResultWords({ ...plain, result: undefined }, name)).toBe("");
  });

  it("gives a run a lease expiry ended its duration to its last sign of life, not to the expiry", () => {
    expect(runSpanWords(expired())).toBe("30 s, link lost");
    const { linkLostAt: _, ...beat } = expired({ lastHeartbeatAt: LOST - 9000 });
    expect(runSpanWords(beat)).toBe("21 s to last heartbeat");
    expect(runSpanWords({ ...beat, lastHeartbeatAt: LOST - 60_000 })).toBe("1 min 26 s"); // rounded, as the page's durations are
    expect(runSpanWords({ ...beat, endedAt: undefined })).toBe("—");
  });
});
