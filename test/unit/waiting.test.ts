// Why a job waits (core/waiting): one case per code (a job below a cancel still cascading is `ancestor_cancelled`, never
// `dispatching`; a draining fleet is `factory_draining`, never called quarantined; a job failed by a dependency is judged by its deps' stages now, so one requeued since is not called dead; an exclusion says whether the factory's lease expired or it handed back or refused the job), the precedence between causes, and two properties over random jobs, fleets and contexts — a job that cannot run always gets a non-empty reason, and `dispatching` is returned exactly when the router ranks a factory. A breaker reason names only factories whose own breaker is open, and says when `overflow: hold` is what holds the job; each factory's filter reason is its own (`breaker_open` for its breaker, `overflow_hold` for another's, nothing breaker-related for one that lacks the capability). A job only a capability awaiting an operator's approval could run names that factory and `gigafactory factory approve <id>`.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Exclusion } from "../../src/core/exclusions.ts";
import { type Factory, type Job, STAGES, type Stage } from "../../src/core/model.ts";
import { filterReasons, type RouteContext, rankFactories } from "../../src/core/router.ts";
import { reachableViews, type WaitingInputs, waitingReasonOf } from "../../src/core/waiting.ts";
import { MAX_NAMED_FACTORIES } from "../../src/core/waiting-queued.ts";
import { WAITING_CODES } from "../../src/core/waiting-reason.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = 1_700_000_000_000;

const job = (over: Partial<Job> = {}): Job =>
  jobFixture(NOW, {
    manifest: { reviewers: 0 } as Job["manifest"],
    createdAt: NOW - 5000,
    updatedAt: NOW - 4000,
    queuedAt: NOW - 3000,
    ...over,
  });

const factory = (over: Partial<Factory> = {}): Factory =>
  factoryFixture(NOW, { capabilities: ["gpu"], seats: 1, ...over });

function inputs(over: Partial<WaitingInputs> = {}, ctx: Partial<RouteContext> = {}): WaitingInputs {
  return { ctx: { now: NOW, ...ctx }, factories: [factory()], connected: new Set(["f1"]), ...over };
}

const excludedUntil =
  (until: number, kind: Exclusion["kind"] = "expired") =>
  (jobId: string, factoryId: string): Exclusion => ({
    jobId,
    factoryId,
    strikes: 1,
    kind,
    at: NOW - 1,
    until,
  });

describe("an exclusion's reason says what the factory did", () => {
  it.each([
    ["expired", "kept from box-1 until 2023-11-14T22:13:29Z: its lease there expired"],
    ["released", "kept from box-1 until 2023-11-14T22:13:29Z: it handed the job back"],
    ["rejected", "kept from box-1 until 2023-11-14T22:13:29Z: it refused the job"],
  ] as const)("%s", (kind, message) => {
    const r = waitingReasonOf(job(), inputs({}, { exclusionOf: excludedUntil(NOW + 9000, kind) }), NOW);
    // The fix that follows is test/unit/waiting-newcomer.test.ts's.
    expect(r?.message.startsWith(`${message} — `)).toBe(true);
  });
});

describe("waitingReasonOf: one case per code", () => {
  const cases: Array<[string, Job, WaitingInputs, string, Record<string, unknown>?]> = [
    [
      "no factory has gpu",
      job({ requires: ["gpu"] }),
      inputs({ factories: [factory({ capabilities: [] })] }),
      "no_capable_factory",
      { missing: ["gpu"] },
    ],
    ["no factory at all", job(), inputs({ factories: [] }), "no_capable_factory", { missing: [] }],
    [
      "only a quarantined one can",
      job({ requires: ["gpu"] }),
      inputs({ factories: [factory({ status: "quarantined" })] }),
      "factory_quarantined",
    ],
    ["capable but not connected", job({ requires: ["gpu"] }), inputs({ connected: new Set() }), "no_factory_connected"],
    [
      "its agent drains (live socket, no new work)",
      job({ requires: ["gpu"] }),
      inputs({ connected: new Set(), draining: new Set(["f1"]) }),
      "factory_draining",
      { factories: [{ id: "f1", status: "draining" }] },
    ],
    [
      "an operator set its only capable factory draining",
      job({ requires: ["gpu"] }),
      inputs({ factories: [factory({ status: "draining" })] }),
      "factory_draining",
    ],
    [
      "one capable factory drains, the other is quarantined (a release brings that one back)",
      job({ requires: ["gpu"] }),
      inputs({
        factories: [factory({ status: "draining" }), factory({ id: "f2", name: "f2", status: "quarantined" })],
        connected: new Set(["f1", "f2"]),
      }),
      "factory_quarantined",
      {
        factories: [
          { id: "f1", status: "draining" },
          { id: "f2", status: "quarantined" },
        ],
      },
    ],
    ["its seat is taken", job({ requires: ["gpu"] }), inputs({ factories: [factory({ load: 1 })] }), "all_seats_busy"],
    [
      "engine breaker open",
      job({ engine: "claude" }),
      inputs({ factories: [factory({ capabilities: ["engine:claude"] })] }, { openBreakers: new Set(["f1:claude"]) }),
      "breaker_open",
      { engine: "claude" },
    ],
    [
      "serial key held",
      job({ serialKey: "db" }),
      inputs({ serialHolders: new Map([["db", "j0"]]) }, { busySerialKeys: new Set(["db"]) }),
      "serial_key_held",
      { serialKey: "db", holder: "j0" },
    ],
    [
      "serial key frozen",
      job({ serialKey: "db" }),
      inputs({}, { frozenSerialKeys: new Set(["db"]) }),
      "serial_key_frozen",
      { serialKey: "db" },
    ],
    ["retry backoff", job({ notBefore: NOW + 60_000 }), inputs(), "retry_backoff", { until: NOW + 60_000 }],
    ["budget paused", job(), inputs({}, { budgetPaused: true }), "budget_paused"],
    [
      "excluded after a lost lease",
      job(),
      inputs({}, { exclusionOf: excludedUntil(NOW + 9000) }),
      "excluded",
      { until: NOW + 9000 },
    ],
    [
      "excluded after the factory refused the job",
      job(),
      inputs({}, { exclusionOf: excludedUntil(NOW + 9000, "rejected") }),
      "excluded",
      { until: NOW + 9000, factories: [{ id: "f1", kind: "rejected" }] },
    ],
    ["a factory ranks", job({ requires: ["gpu"] }), inputs(), "dispatching", { factoryId: "f1" }],
    [
      "an HTTP factory that is not down",
      job(),
      inputs({ connected: new Set(["f1"]), factories: [factory({ health: "down" })] }),
      "dispatching",
    ],
    [
      "preempted, then seats busy",
      { ...job(), preemptedAt: NOW - 100, preemptedBy: "jc" } as Job,
      inputs({ factories: [factory({ load: 1 })] }),
      "preempted",
      { preemptedBy: "jc", waitingFor: "all_seats_busy" },
    ],
    [
      "deps unmet",
      job({ stage: "blocked", deps: ["a", "b"] }),
      inputs({
        depStages: new Map<string, Stage>([
          ["a", "shipped"],
          ["b", "building"],
        ]),
      }),
      "deps_unmet",
      { waitingOn: ["b"] },
    ],
    [
      "dep cancelled",
      job({ stage: "blocked", deps: ["a"] }),
      inputs({ depStages: new Map<string, Stage>([["a", "cancelled"]]) }),
      "dependency_failed",
      { depId: "a", depStage: "cancelled" },
    ],
    [
      // The dead dep is named, not the first one still open (which said "dependency a is building").
      "dep cancelled while another still builds",
      job({ stage: "blocked", deps: ["a", "b"] }),
      inputs({
        depStages: new Map<string, Stage>([
          ["a", "building"],
          ["b", "cancelled"],
        ]),
      }),
      "dependency_failed",
      { depId: "b", depStage: "cancelled" },
    ],
    [
      "failed by a dependency",
      job({
        stage: "failed",
        lastResult: { outcome: "failure", retryable: false, message: "dependency_failed: a is dead_letter" },
      }),
      inputs(),
      "dependency_failed",
      { depId: "a", depStage: "dead_letter" },
    ],
    [
      "failed by a dependency that is still dead (its stage read now)",
      job({
        stage: "failed",
        deps: ["a"],
        lastResult: { outcome: "failure", retryable: false, message: "dependency_failed: a is dead_letter" },
      }),
      inputs({ depStages: new Map<string, Stage | undefined>([["a", "dead_letter"]]) }),
      "dependency_failed",
      { depId: "a", depStage: "dead_letter" },
    ],
    [
      "failed by a dependency an operator has requeued since: no longer 'a is dead_letter', an operator requeues it",
      job({
        stage: "failed",
        deps: ["a"],
        lastResult: { outcome: "failure", retryable: false, message: "dependency_failed: a is dead_letter" },
      }),
      inputs({ depStages: new Map<string, Stage | undefined>([["a", "queued"]]) }),
      "needs_operator",
      { deps: [{ id: "a", stage: "queued" }] },
    ],
    [
      "failed by a dependency since requeued while another dep is dead now: that one is named",
      job({
        stage: "failed",
        deps: ["a", "b"],
        lastResult: { outcome: "failure", retryable: false, message: "dependency_failed: a is dead_letter" },
      }),
      inputs({
        depStages: new Map<string, Stage | undefined>([
          ["a", "shipped"],
          ["b", "cancelled"],
        ]),
      }),
      "dependency_failed",
      { depId: "b", depStage: "cancelled" },
    ],
    [
      "composite parent",
      job({ stage: "blocked", kind: "composite" }),
      inputs({
        childCounts: new Map<Stage, number>([
          ["shipped", 1],
          ["building", 1],
        ]),
      }),
      "children_running",
      { done: 1, total: 2 },
    ],
    [
      // The parent's gate (core/composite childEnded) waits for a child in testing to ship: not done.
      "composite parent whose children are in testing",
      job({ stage: "blocked", kind: "composite" }),
      inputs({
        childCounts: new Map<Stage, number>([
          ["testing", 2],
          ["cancelled", 1],
        ]),
      }),
      "children_running",
      { done: 1, total: 3 },
    ],
    [
      "review 1 of 2",
      job({
        stage: "review",
        manifest: { reviewers: 2 } as Job["manifest"],
        reviews: [{ reviewer: "tok_a", reviewerName: "ann", verdict: "approve", at: NOW }],
      }),
      inputs(),
      "review_pending",
      { required: 2, approvals: 1 },
    ],
    ["testing", job({ stage: "testing" }), inputs(), "testing"],
    [
      "queued below a composite whose cancel is still cascading, a capable factory idle",
      job(),
      inputs({ cancelledAbove: { id: "job_p", at: NOW - 100 } }),
      "ancestor_cancelled",
      { ancestorId: "job_p" },
    ],
    [
      "failed for good",
      job({ stage: "failed", lastResult: { outcome: "failure", message: "boom" } }),
      inputs(),
      "needs_operator",
    ],
  ];
  it.each(cases)("%s", (_name, j, inp, code, detail) => {
    const r = waitingReasonOf(j, inp, NOW);
    expect(r?.code).toBe(code);
    expect(r?.message.length).toBeGreaterThan(0);
    if (detail) expect(r?.detail).toMatchObject(detail);
  });

  it("says a job in testing was approved only when it had reviewers", () => {
    // The commands that follow are test/unit/waiting-commands.test.ts's.
    expect(waitingReasonOf(job({ stage: "testing" }), inputs(), NOW)?.message).toMatch(
      /^built; waiting for an operator \(or your CI\) to ship or reject it — /,
    );
    const reviewed = job({ stage: "testing", manifest: { reviewers: 2 } as Job["manifest"] });
    expect(waitingReasonOf(reviewed, inputs(), NOW)?.message).toMatch(
      /^built and approved; waiting for an operator \(or your CI\) to ship or reject it — /,
    );
  });

  it("names the missing capability in plain words", () => {
    const r = waitingReasonOf(job({ requires: ["gpu"] }), inputs({ factories: [] }), NOW);
    expect(r?.message).toBe("waiting for a factory with gpu — none is enrolled");
  });

  it("says how many enrolled factories lack a capability none has, not that none is enrolled", () => {
    // "waiting for a factory with gpu — none is enrolled" beside four enrolled factories read as an empty fleet.
    const four = ["f1", "f2", "f3", "f4"].map((id) => factory({ id, name: `box-${id}`, capabilities: ["os:linux"] }));
    const r = waitingReasonOf(job({ requires: ["gpu"] }), inputs({ factories: four }), NOW);
    expect(r?.message).toBe("waiting for a factory with gpu — none of the 4 enrolled factories has it");
    expect(r?.detail).toMatchObject({ requires: ["gpu"], missing: ["gpu"] });
  });

  it("names the closest factory when each capability exists but never together", () => {
    const fs = [
      factory({ id: "a", name: "a", capabilities: ["gpu"] }),
      factory({ id: "b", name: "b", capabilities: ["os:mac"] }),
    ];
    const r = waitingReasonOf(job({ requires: ["gpu", "os:mac"] }), inputs({ factories: fs }), NOW);
    expect(r?.detail).toMatchObject({ missing: ["os:mac"], closest: { id: "a", missing: ["os:mac"] } });
  });

  it("dates serial_key_frozen from the freeze when it came after the job queued, else from the queue", () => {
    const frozen = (at: number) =>
      waitingReasonOf(
        job({ serialKey: "db" }),
        inputs({ frozenAt: new Map([["db", at]]) }, { frozenSerialKeys: new Set(["db"]) }),
        NOW,
      );
    expect(frozen(NOW - 1000)).toMatchObject({ code: "serial_key_frozen", since: NOW - 1000 });
    expect(frozen(NOW - 9000)).toMatchObject({ code: "serial_key_frozen", since: NOW - 3000 }); // queued after it
  });

  it("is null while running and once terminal", () => {
    expect(waitingReasonOf(job({ stage: "building", holderFactoryId: "f1" }), inputs(), NOW)).toBeNull();
    for (const stage of ["shipped", "dead_letter", "cancelled"] as const) {
      expect(waitingReasonOf(job({ stage }), inputs(), NOW)).toBeNull();
    }
  });
});

describe("precedence: the most actionable cause first", () => {
  it("no capable factory (a budget pause named after it), then budget pause, frozen key, then the backoff", () => {
    const j = job({ requires: ["gpu"], serialKey: "k", notBefore: NOW + 1000 });
    const none = { factories: [] };
    // A pause the resume of which would still leave the job waiting says the fleet's cause first (pass 41).
    const both = waitingReasonOf(j, inputs(none, { budgetPaused: true, frozenSerialKeys: new Set(["k"]) }), NOW);
    expect(both?.code).toBe("no_capable_factory");
    expect(both?.detail).toHaveProperty("budgetPaused");
    const gpu = { factories: [factory({ capabilities: ["gpu"] })] };
    expect(waitingReasonOf(j, inputs(gpu, { budgetPaused: true, frozenSerialKeys: new Set(["k"]) }), NOW)?.code).toBe(
      "budget_paused",
    );
    expect(waitingReasonOf(j, inputs(none, { frozenSerialKeys: new Set(["k"]) }), NOW)?.code).toBe("serial_key_frozen");
    expect(waitingReasonOf(j, inputs(none, { busySerialKeys: new Set(["k"]) }), NOW)?.code).toBe("no_capable_factory");
    expect(waitingReasonOf(j, inputs({}, { busySerialKeys: new Set(["k"]) }), NOW)?.code).toBe("retry_backoff");
  });

  it("a seat that may free beats an exclusion elsewhere", () => {
    const fs = [factory({ id: "a", load: 1 }), factory({ id: "b" })];
    const ex = (jobId: string, factoryId: string) =>
      factoryId === "b" ? excludedUntil(NOW + 5)(jobId, factoryId) : undefined;
    const r = waitingReasonOf(
      job(),
      inputs({ factories: fs, connected: new Set(["a", "b"]) }, { exclusionOf: ex }),
      NOW,
    );
    expect(r?.code).toBe("all_seats_busy");
  });
});

// ---- properties -------------------------------------------------------------------------

const caps = fc.subarray(["gpu", "os:mac", "engine:claude"]);
const arbFactory = fc.record({
  id: fc.constantFrom("a", "b", "c", "d"),
  capabilities: caps,
  seats: fc.integer({ min: 0, max: 2 }),
  load: fc.integer({ min: 0, max: 2 }),
  health: fc.constantFrom("ok", "degraded", "down"),
  status: fc.constantFrom("active", "draining", "quarantined", "revoked"),
});
const arbCase = fc.record({
  stage: fc.constantFrom(...STAGES),
  requires: fc.subarray(["gpu", "os:mac"]),
  engine: fc.option(fc.constant("claude"), { nil: undefined }),
  serialKey: fc.option(fc.constant("k"), { nil: undefined }),
  notBefore: fc.option(fc.integer({ min: NOW - 1000, max: NOW + 1000 }), { nil: undefined }),
  holder: fc.boolean(),
  factories: fc.uniqueArray(arbFactory, { selector: (f) => f.id, maxLength: 4 }),
  connected: fc.subarray(["a", "b", "c", "d"]),
  busy: fc.boolean(),
  frozen: fc.boolean(),
  budgetPaused: fc.boolean(),
  breakers: fc.subarray(["a:claude", "b:claude"]),
  overflow: fc.constantFrom<"route" | "hold">("route", "hold"),
  excluded: fc.subarray(["a", "b", "c"]),
  cascading: fc.boolean(),
});

type Case = typeof arbCase extends fc.Arbitrary<infer T> ? T : never;

function build(c: Case) {
  const j = job({
    stage: c.stage,
    requires: c.requires,
    engine: c.engine,
    serialKey: c.serialKey,
    notBefore: c.notBefore,
    holderFactoryId: c.holder ? "a" : undefined,
  });
  const ctx: RouteContext = {
    now: NOW,
    busySerialKeys: new Set(c.busy ? ["k"] : []),
    frozenSerialKeys: new Set(c.frozen ? ["k"] : []),
    budgetPaused: c.budgetPaused,
    openBreakers: new Set(c.breakers),
    overflow: c.overflow,
    exclusionOf: (jobId, fid) => (c.excluded.includes(fid) ? excludedUntil(NOW + 10)(jobId, fid) : undefined),
  };
  const factories = c.factories.map((f) => factory({ ...f, name: f.id }) as Factory);
  const cancelledAbove = c.cascading ? { id: "job_p", at: NOW - 10 } : undefined;
  return { j, inp: { ctx, factories, connected: new Set(c.connected), ...(cancelledAbove ? { cancelledAbove } : {}) } };
}

describe("properties", () => {
  it("a job that cannot be assigned now and is neither running nor terminal always has a reason", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { j, inp } = build(c);
        const r = waitingReasonOf(j, inp, NOW);
        const running = (j.stage === "assigned" || j.stage === "building") && j.holderFactoryId !== undefined;
        const terminal = j.stage === "shipped" || j.stage === "dead_letter" || j.stage === "cancelled";
        if (running || terminal) return r === null;
        return r !== null && r.message.length > 0 && WAITING_CODES.includes(r.code);
      }),
      { numRuns: 2000 },
    );
  });

  it("dispatching iff the job is queued, due, below no cancel cascade, and the router ranks some factory", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { j, inp } = build({ ...c, stage: "queued" });
        const ranked = rankFactories(j, reachableViews(inp.factories, inp.connected), inp.ctx).ranked;
        const due = j.notBefore === undefined || j.notBefore <= NOW;
        const r = waitingReasonOf(j, inp, NOW);
        // Below a cascade still under way dispatch skips it (dag/cancel-subtree cascadeHold): never "dispatching".
        return (r?.code === "dispatching") === (due && !c.cascading && ranked.length > 0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("breakers under overflow: hold", () => {
  const claude = (id: string): Factory => factory({ id, name: id, capabilities: ["engine:claude"] });
  const both = { factories: [claude("F1"), claude("F2")], connected: new Set(["F1", "F2"]) };

  it("names only the factory whose own breaker is open, and says the hold policy keeps the job off the other", () => {
    const r = waitingReasonOf(
      job({ engine: "claude" }),
      inputs(both, { overflow: "hold", openBreakers: new Set(["F2:claude"]) }),
      NOW,
    );
    expect(r?.code).toBe("breaker_open");
    expect(r?.message).toBe(
      "engine claude's breaker on F2 is open; the overflow policy (hold) keeps the job off every other factory until it " +
        "closes — `gigafactory settings set overflow=route` lets it run elsewhere",
    );
    expect(r?.detail).toMatchObject({ engine: "claude", factories: [{ id: "F2", name: "F2" }], overflow: "hold" });
  });

  it("with every breaker open (or overflow: route) it names them all and mentions no hold", () => {
    const r = waitingReasonOf(
      job({ engine: "claude" }),
      inputs(both, { overflow: "hold", openBreakers: new Set(["F1:claude", "F2:claude"]) }),
      NOW,
    );
    expect(r?.message).toBe(
      "engine claude's breakers hold it on F1 (open), F2 (open) — a trial job's success closes one and the job runs",
    );
    expect(r?.detail).not.toHaveProperty("overflow");
  });

  it("names exactly the factories whose own breaker for the job's engine is open", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { j, inp } = build({ ...c, stage: "queued", engine: "claude" });
        const r = waitingReasonOf(j, inp, NOW);
        if (r?.code !== "breaker_open") return;
        const named = (r.detail.factories as Array<{ id: string }>).map((f) => f.id);
        for (const id of named) expect(c.breakers).toContain(`${id}:claude`);
        expect(r.detail.overflow === "hold").toBe(r.message.includes("overflow policy (hold)"));
        if (c.overflow === "route") expect(r.detail).not.toHaveProperty("overflow");
      }),
      { numRuns: 2000 },
    );
  });
});

describe("each factory's own breaker reason under overflow: hold", () => {
  it("its own breaker is breaker_open, another's is overflow_hold, and an incapable factory gets neither", () => {
    const ctx = { now: NOW, overflow: "hold" as const, openBreakers: new Set(["F1:fail"]) };
    const j = job({ engine: "fail" });
    const fail = ["engine:fail"];
    expect(filterReasons(j, factory({ id: "F1", capabilities: fail }), ctx)).toEqual(["breaker_open:fail"]);
    expect(filterReasons(j, factory({ id: "F2", capabilities: fail }), ctx)).toEqual(["overflow_hold:fail"]);
    expect(filterReasons(j, factory({ id: "docker", capabilities: ["has:docker"] }), ctx)).toEqual([
      "missing_capability:engine:fail",
    ]);
  });

  it("property: breaker_open:<engine> exactly where the factory's own breaker is open", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { j, inp } = build({ ...c, stage: "queued", engine: "claude" });
        for (const f of inp.factories) {
          const reasons = filterReasons(j, f, inp.ctx);
          expect(reasons.includes("breaker_open:claude")).toBe(c.breakers.includes(`${f.id}:claude`));
          if (reasons.some((r) => r.startsWith("missing_capability:")))
            expect(reasons.some((r) => r.startsWith("overflow_hold:"))).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("a capability awaiting approval", () => {
  const box = (id: string, pending: string[]) =>
    factory({ id, name: `box-${id}`, capabilities: ["os:linux"], pendingCapabilities: pending });

  it("names the factory one approval makes capable and the command that approves it", () => {
    const fs = [box("f1", []), box("f2", ["engine:triv"]), box("f3", ["engine:triv", "gpu"])];
    const r = waitingReasonOf(job({ engine: "triv" }), inputs({ factories: fs }), NOW);
    expect(r?.code).toBe("no_capable_factory");
    expect(r?.message).toBe(
      "waiting for an operator to approve engine:triv on box-f2 (or on box-f3) — run `gigafactory factory approve f2`",
    );
    expect(r?.detail).toMatchObject({
      missing: ["engine:triv"],
      pendingApproval: [
        { id: "f2", name: "box-f2", capabilities: ["engine:triv"] },
        { id: "f3", name: "box-f3", capabilities: ["engine:triv"] },
      ],
    });
  });

  it("says the enrolled factory lacks them when the pending capabilities would not be enough", () => {
    const r = waitingReasonOf(
      job({ engine: "triv", requires: ["gpu"] }),
      inputs({ factories: [box("f1", ["gpu"])] }),
      NOW,
    );
    expect(r?.message).toBe("waiting for a factory with gpu, engine:triv — the 1 enrolled factory lacks them");
    expect(r?.detail).not.toHaveProperty("pendingApproval");
  });
});

describe("bounded detail", () => {
  it("names at most MAX_NAMED_FACTORIES factories and counts the rest", () => {
    const fs = Array.from({ length: 12 }, (_, i) => factory({ id: `f${i}`, name: `box-${i}`, load: 1 }));
    const r = waitingReasonOf(job(), inputs({ factories: fs, connected: new Set(fs.map((f) => f.id)) }), NOW);
    expect(r?.code).toBe("all_seats_busy");
    expect(r?.detail).toMatchObject({ factoryCount: 12 });
    expect((r?.detail.factories as unknown[]).length).toBe(MAX_NAMED_FACTORIES);
    expect(r?.message).toMatch(/and 7 more$/);
  });
});
