// A waiting reason a newcomer can act on (core/waiting, core/waiting-excluded): a job kept from every factory names
// what the last refusal said — quoted from its last run's result only when a factory gave the job back, on one line,
// cut to MAX_REFUSAL_CHARS — and the fix (`gigafactory requeue ID` clears the exclusions; once a host can run it, when
// every factory refused it); a composite parent with no children says so and names `gigafactory children ID FILE.json`
// instead of "waiting for its children" for ever; a paused budget, a frozen serial key and a quarantined factory each
// name the command that lifts them (a key or id that cannot be pasted into a shell as is reads KEY or ID).
import { describe, expect, it } from "vitest";
import type { Exclusion } from "../../src/core/exclusions.ts";
import type { Factory, Job } from "../../src/core/model.ts";
import type { RouteContext } from "../../src/core/router.ts";
import { type WaitingInputs, waitingReasonOf } from "../../src/core/waiting.ts";
import { MAX_REFUSAL_CHARS, refusalOf } from "../../src/core/waiting-excluded.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = 1_700_000_000_000;
const UNTIL = "2023-11-14T22:13:29Z"; // NOW + 9 s

const job = (over: Partial<Job> = {}): Job =>
  jobFixture(NOW, { id: "job_7", createdAt: NOW - 5000, updatedAt: NOW - 4000, queuedAt: NOW - 3000, ...over });

const box = (id: string): Factory => factoryFixture(NOW, { id, name: id.replace("f", "build-"), seats: 1 });

/** Two factories, each kept from the job by a loss of `kinds[i]`, the job's last run ending with `last`. */
function kept(kinds: Exclusion["kind"][], last?: string): WaitingInputs {
  const factories = kinds.map((_, i) => box(`f${i + 1}`));
  const ctx: RouteContext = {
    now: NOW,
    exclusionOf: (jobId, factoryId) => {
      const kind = kinds[Number(factoryId.slice(1)) - 1] ?? "expired";
      return { jobId, factoryId, strikes: 1, kind, at: NOW - 1, until: NOW + 9000 };
    },
  };
  const connected = new Set(factories.map((f) => f.id));
  return { ctx, factories, connected, ...(last === undefined ? {} : { lastRunMessage: () => last }) };
}

describe("excluded: why, and the fix", () => {
  it("every host refused it: the last refusal's reason and `requeue` once a host can run it", () => {
    const r = waitingReasonOf(
      job(),
      kept(["rejected", "rejected"], "rejected by factory: engine claude not found"),
      NOW,
    );
    expect(r?.code).toBe("excluded");
    expect(r?.message).toBe(
      `kept from build-1, build-2 until ${UNTIL}: each refused the job (the last said: engine claude not found) — ` +
        "once a host can run it, `gigafactory requeue job_7` clears the exclusions",
    );
    expect(r?.detail.lastRefusal).toBe("engine claude not found");
  });

  it("one host, no run message read: the fix alone, in the singular", () => {
    const r = waitingReasonOf(job(), kept(["rejected"]), NOW);
    expect(r?.message).toBe(
      `kept from build-1 until ${UNTIL}: it refused the job — ` +
        "once a host can run it, `gigafactory requeue job_7` clears the exclusion",
    );
    expect(r?.detail).not.toHaveProperty("lastRefusal");
  });

  it("a hand-back or an expiry ends by itself: said, and a requeue makes it sooner", () => {
    const released = waitingReasonOf(job(), kept(["released"], "released by factory: no free seat"), NOW);
    expect(released?.message).toBe(
      `kept from build-1 until ${UNTIL}: it handed the job back (the last said: no free seat) — ` +
        "it is offered again then, or at once after `gigafactory requeue job_7` (it clears the exclusion)",
    );
    const mixed = waitingReasonOf(job(), kept(["expired", "rejected"], "lease expired"), NOW);
    expect(mixed?.message).toBe(
      `kept from build-1, build-2 until ${UNTIL}: each lost the job's lease or gave the job back — ` +
        "it is offered again then, or at once after `gigafactory requeue job_7` (it clears the exclusions)",
    );
  });

  it("quotes only a factory's own hand-back, on one line and bounded", () => {
    // A failed run's message is not why a factory is kept from the job.
    expect(refusalOf("engine exited with code 1: boom")).toBeUndefined();
    expect(refusalOf(undefined)).toBeUndefined();
    expect(refusalOf("released by factory")).toBeUndefined(); // a release that gave no reason
    expect(refusalOf("rejected by factory:  disk\nfull\t ")).toBe("disk full");
    const long = refusalOf(`rejected by factory: ${"x".repeat(1000)}`) ?? "";
    expect(long).toHaveLength(MAX_REFUSAL_CHARS);
    expect(long.endsWith("…")).toBe(true);
  });

  it("reads the last run only for a job kept from every factory", () => {
    let reads = 0;
    const lastRunMessage = () => {
      reads += 1;
      return "rejected by factory: no";
    };
    const free = { ctx: { now: NOW }, factories: [box("f1")], connected: new Set(["f1"]), lastRunMessage };
    expect(waitingReasonOf(job(), free, NOW)?.code).toBe("dispatching");
    expect(reads).toBe(0);
    waitingReasonOf(job(), { ...kept(["rejected"]), lastRunMessage }, NOW);
    expect(reads).toBe(1);
  });
});

describe("a composite parent with no children", () => {
  it("says it has none and how to give it some", () => {
    const parent = job({ stage: "blocked", kind: "composite" });
    const none = waitingReasonOf(parent, { ...kept([]), childCounts: new Map() }, NOW);
    expect(none?.code).toBe("children_running");
    expect(none?.message).toBe("has no children yet: give it some with `gigafactory children job_7 FILE.json`");
    expect(none?.detail).toMatchObject({ done: 0, total: 0 });
    // No count read at all reads the same: no child is known.
    expect(waitingReasonOf(parent, kept([]), NOW)?.message).toBe(none?.message);
    const some = waitingReasonOf(parent, { ...kept([]), childCounts: new Map([["building", 1]]) }, NOW);
    expect(some?.message).toBe("waiting for its children: 0 of 1 done");
  });
});

describe("the other holds an operator lifts name the command", () => {
  const free = (ctx: Partial<RouteContext> = {}, factories = [box("f1")]): WaitingInputs => ({
    ctx: { now: NOW, ...ctx },
    factories,
    connected: new Set(factories.map((f) => f.id)),
  });

  it("budget_paused: where to read why, and how to lift it", () => {
    const r = waitingReasonOf(job(), free({ budgetPaused: true }), NOW);
    expect(r?.code).toBe("budget_paused");
    expect(r?.message).toBe(
      "the product's budget is paused — `gigafactory budget` says who paused it and what lifts the pause",
    );
  });

  it("serial_key_frozen: the unfreeze, with the key when it can be pasted as is", () => {
    const frozen = (key: string) =>
      waitingReasonOf(job({ serialKey: key }), free({ frozenSerialKeys: new Set([key]) }), NOW)?.message;
    expect(frozen("deploy-a")).toBe(
      "serial key deploy-a is frozen — `gigafactory serial unfreeze deploy-a` lets its jobs run",
    );
    expect(frozen("a b; rm -rf ~")).toBe(
      "serial key a b; rm -rf ~ is frozen — `gigafactory serial unfreeze KEY` lets its jobs run",
    );
  });

  it("factory_quarantined: the release of the first quarantined one", () => {
    const held = { ...box("f2"), status: "quarantined" as const };
    const draining = { ...box("f1"), status: "draining" as const };
    const r = waitingReasonOf(job(), free({}, [draining, held]), NOW);
    expect(r?.code).toBe("factory_quarantined");
    expect(r?.message).toBe(
      "every factory that can run it is out of service: build-1 (draining), build-2 (quarantined) — " +
        "`gigafactory factory release f2` returns build-2",
    );
  });
});
