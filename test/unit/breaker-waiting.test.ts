// A job's `breaker_open` wait gives the breaker's state and what ends it: "open until T (UTC, to the second), then
// one trial job" with `detail.until` (ms), or "half-open: trial job J is running" with no end while the trial is out
// (it said "is broken" in both); the dashboard's job page reads the job again at that `until` (dashboard/wait-end),
// and under `overflow: hold` it names the setting that lets the job run elsewhere.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { waitEnd } from "../../dashboard/wait-end.js";
import type { Factory } from "../../src/core/model.ts";
import type { BreakerDetail } from "../../src/core/route-filter.ts";
import type { RouteContext } from "../../src/core/router.ts";
import { waitingReasonOf } from "../../src/core/waiting.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = Date.UTC(2026, 11, 6, 18, 39, 34, 262);
const UNTIL = NOW + 20_000; // 18:39:54.262

const gpu = factoryFixture(NOW, { id: "gpu", name: "demo-gpu", capabilities: ["gpu"], seats: 1 });
const docker = factoryFixture(NOW, { id: "docker", name: "demo-docker", capabilities: [] });

function waiting(detail: BreakerDetail, overflow: "route" | "hold", fleet: Factory[] = [gpu]) {
  const ctx: RouteContext = {
    now: NOW,
    overflow,
    openBreakers: new Set(["gpu:*"]),
    breakers: new Map([["gpu:*", { ...detail, factory: gpu }]]),
  };
  return waitingReasonOf(jobFixture(NOW), { ctx, factories: fleet, connected: new Set(fleet.map((f) => f.id)) }, NOW);
}

describe("a breaker's wait in words", () => {
  it("open: until when, then one trial job; the detail's until is the instant the job page reads it again", () => {
    const r = waiting({ openUntil: UNTIL }, "route");
    expect(r?.code).toBe("breaker_open");
    expect(r?.message).toBe(
      "the default engine's breaker on demo-gpu is open until 2026-12-06T18:39:54Z, then one trial job — a trial job's success " +
        "closes it and the job runs",
    );
    expect(r?.detail).toMatchObject({ until: UNTIL, factories: [{ id: "gpu", name: "demo-gpu", until: UNTIL }] });
    expect(waitEnd({ stage: "queued", waitingReason: r }, NOW)).toBe(UNTIL);
  });

  it("half-open with its trial out: names the trial job and has no end to read at", () => {
    const r = waiting({ openUntil: NOW - 1, trialJobId: "job_trial" }, "route");
    expect(r?.message).toBe(
      "the default engine's breaker on demo-gpu is half-open: trial job job_trial is running — a trial job's success closes it " +
        "and the job runs",
    );
    expect(r?.detail).not.toHaveProperty("until");
    expect(r?.detail).toMatchObject({ factories: [{ id: "gpu", trialJobId: "job_trial" }] });
  });

  it("under overflow: hold, names the setting that lets the job run elsewhere", () => {
    const r = waiting({ openUntil: UNTIL }, "hold", [gpu, docker]);
    expect(r?.message).toBe(
      "the default engine's breaker on demo-gpu is open until 2026-12-06T18:39:54Z, then one trial job; the overflow policy " +
        "(hold) keeps the job off every other factory until it closes — `gigafactory settings set overflow=route` " +
        "lets it run elsewhere",
    );
    expect(r?.detail).toMatchObject({ until: UNTIL, overflow: "hold" });
  });
});
