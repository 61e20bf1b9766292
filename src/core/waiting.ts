/**
 * @module core/waiting
 * Why a job is waiting (issue 8 §7): one pure function, `waitingReasonOf`, from the inputs the router reads
 * (RouteContext, the fleet and which factories are connected) plus what the other gates read (dependency stages,
 * children, serial holders, reviews). Null only for a running or terminal job, so a job that cannot run always says
 * why. A queued job's reason comes from the router's own filter (core/waiting-fleet), so it cannot disagree with it.
 */

import { alsoFrozen, alsoPaused } from "./budget-pause.ts";
import { childEnded } from "./composite.ts";
import { counted } from "./counted.ts";
import { depsState, failedDep } from "./dag.ts";
import { type Factory, type Job, LEASED_STAGES, type Stage, TERMINAL_STAGES } from "./model.ts";
import { reviewRoundOf, tallyReviews } from "./review.ts";
import { type RouteContext, rankFactories } from "./router.ts";
import type { SerialHold } from "./serial-holds.ts";
import { backoffReason } from "./waiting-backoff.ts";
import { deadDependencyFix, failedFix, testingFix } from "./waiting-commands.ts";
import { fleetCause, reachableViews } from "./waiting-fleet.ts";
import { fleetReason, gateReason, MAX_NAMED_FACTORIES, names, preemptedReason, reason } from "./waiting-queued.ts";
import type { WaitingReason } from "./waiting-reason.ts";

export { reachableViews, reason };

/** Everything `waitingReasonOf` reads besides the job. Maps are optional: absent means "none known". */
export interface WaitingInputs {
  /** The router's context, exactly as a claim at `ctx.now` builds it. */
  ctx: RouteContext;
  /** Every factory of the product (any status), with live load and computed health. */
  factories: readonly Factory[];
  /** Factories that can take work now: a live WebSocket, or an HTTP poller whose heartbeats are current. */
  connected: ReadonlySet<string>;
  /** Factories whose live WebSocket's agent asked for no new work (a `drain` frame): out of service, not unconnected. */
  draining?: ReadonlySet<string>;
  /** Serial key → id of the job holding it (assigned or building). */
  serialHolders?: ReadonlyMap<string, string>;
  /** Serial key → when an operator froze it (ms): `serial_key_frozen` holds since then, not since the job queued. */
  frozenAt?: ReadonlyMap<string, number>;
  /** Serial key → the live hold of a run stopping after a forced lease loss (core/serial-holds `liveHoldsByKey`). */
  serialStops?: ReadonlyMap<string, SerialHold>;
  /** Dependency id → its stage (undefined: no such job). */
  depStages?: ReadonlyMap<string, Stage | undefined>;
  /** A composite parent's children, counted by stage (every child, however many: an aggregate, not a list). */
  childCounts?: ReadonlyMap<Stage, number>;
  /**
   * The cancelled composite above the job whose cancel cascade is still under way (dispatch's own hold:
   * coordinator/dag/cancel-subtree `cascadeHold`), and when it was cancelled (ms); absent when none is.
   */
  cancelledAbove?: { id: string; at: number };
  /**
   * The result message of the job's last ended run (`rejected by factory: <why>` when a factory refused it), asked
   * only of a job kept from every factory (`excluded`), which then quotes the refusal (core/waiting-excluded).
   */
  lastRunMessage?: () => string | undefined;
}

/**
 * The stages a job stays in until a person acts — nothing automatic moves it on: `review` (reviewers approve or
 * reject), `testing` (an operator ships or rejects it) and `failed` (an operator requeues or cancels it; a failure
 * that retries by itself is back in `queued` within the same unit). `waitingReasonOf` says what each waits for
 * (review_pending, testing, needs_operator or dependency_failed); `gigafactory watch` ends on them with exit 3.
 */
export const OPERATOR_STAGES = ["review", "testing", "failed"] as const satisfies readonly Stage[];
export type OperatorStage = (typeof OPERATOR_STAGES)[number];

/** Whether `stage` is one of OPERATOR_STAGES. */
export function waitsForOperator(stage: Stage): stage is OperatorStage {
  return (OPERATOR_STAGES as readonly Stage[]).includes(stage);
}

/**
 * Why `job` is waiting at `now` (ms), or null while it runs (a leased stage with a holder) or once it is terminal.
 * Any waiting job below a composite whose cancel is still cascading: ancestor_cancelled (dispatch skips it).
 * Queued jobs, most actionable cause first: budget_paused → serial_key_frozen → no_capable_factory →
 * factory_quarantined | factory_draining → no_factory_connected → breaker_open → retry_backoff → serial_key_held → excluded →
 * all_seats_busy → dispatching (a factory ranks: it is about to be assigned). A job requeued by preemption
 * reports `preempted` in place of the four transient causes (backoff, serial held, excluded, seats busy).
 * Other stages: blocked → dependency_failed | deps_unmet | children_running; review → review_pending;
 * testing → testing; failed → dependency_failed | needs_operator. `since` is the cause's own instant when known
 * (preemptedAt), else when the job entered `queued` (queuedAt) or its last write (updatedAt).
 */
export function waitingReasonOf(job: Job, inputs: WaitingInputs, now: number): WaitingReason | null {
  if (runsOrEnded(job)) return null;
  // Before every other cause: dispatch skips it whatever else holds, and the cascade cancels it next.
  const above = inputs.cancelledAbove;
  if (above) {
    const message = `job ${above.id} above it was cancelled; the cancel reaches this job next — it will not run`;
    return reason("ancestor_cancelled", message, above.at, { ancestorId: above.id });
  }
  if (LEASED_STAGES.includes(job.stage)) return reason("dispatching", "being handed to a factory", job.updatedAt, {});
  switch (job.stage) {
    case "queued":
      return queuedReason(job, inputs, now);
    case "blocked":
      return blockedReason(job, inputs);
    case "review":
      return reviewReason(job);
    case "testing": {
      // Only a job with a review gate was reviewed on its way here; one without went straight from building.
      const built = job.manifest.reviewers > 0 ? "built and approved" : "built";
      const message = `${built}; waiting for an operator (or your CI) to ship or reject it — ${testingFix(job.id)}`;
      return reason("testing", message, job.updatedAt, {});
    }
    case "failed":
      return failedReason(job, inputs.depStages);
    default:
      return reason("needs_operator", `in stage ${job.stage}`, job.updatedAt, {});
  }
}

/** True exactly when `waitingReasonOf` is null: the job holds a lease in a leased stage, or it is terminal. */
export function runsOrEnded(job: Pick<Job, "stage" | "holderFactoryId">): boolean {
  if (TERMINAL_STAGES.includes(job.stage)) return true;
  return LEASED_STAGES.includes(job.stage) && job.holderFactoryId !== undefined && job.holderFactoryId !== "";
}

function queuedReason(job: Job, inputs: WaitingInputs, now: number): WaitingReason {
  const ctx: RouteContext = { ...inputs.ctx, now };
  const gate = gateReason(job, ctx, "hard", inputs.serialHolders, undefined, inputs.frozenAt);
  if (gate && gate.code !== "budget_paused") return gate;
  // Under a paused budget, a frozen key is what the resume would still leave: named after it (`alsoFrozen`).
  const frozen =
    gate && gateReason(job, { ...ctx, budgetPaused: false }, "hard", undefined, undefined, inputs.frozenAt);
  const views = reachableViews(inputs.factories, inputs.connected, inputs.draining);
  const fleet = fleetCause(job, views, ctx);
  const structural = fleetReason(job, fleet, "structural");
  // A job the fleet could not run with the budget open either says so first (core/budget-pause `alsoPaused`).
  if (structural) return gate ? alsoFrozen(alsoPaused(structural, gate), frozen) : structural;
  if (gate) return alsoFrozen(gate, frozen);
  const transient = (): WaitingReason | undefined => {
    if (job.notBefore !== undefined && job.notBefore > now) {
      const backoff = { until: job.notBefore, attempt: job.attempt, maxAttempts: job.maxAttempts };
      return backoffReason(job, backoff, fleet, names, MAX_NAMED_FACTORIES);
    }
    const held = gateReason(job, ctx, "held", inputs.serialHolders, inputs.serialStops);
    return held ?? fleetReason(job, fleet, "transient", inputs.lastRunMessage);
  };
  const waiting = transient();
  if (waiting) return preemptedReason(job, waiting) ?? waiting;
  const best = rankFactories(job, views, ctx).ranked[0];
  const name = best ? best.factoryName : "a factory";
  return reason("dispatching", `about to be assigned to ${name}`, job.queuedAt, {
    // No score: it moves with every ms of aging, and a reason should change only when the situation does (explain has it).
    ...(best ? { factoryId: best.factoryId, factoryName: best.factoryName } : {}),
  });
}

function blockedReason(job: Job, inputs: WaitingInputs): WaitingReason {
  const deps = job.deps.map((id) => ({ id, stage: inputs.depStages?.get(id) ?? null }));
  if (deps.length > 0) {
    const state = depsState(
      job.depsMode,
      deps.map((d) => d.stage ?? undefined),
    );
    const open = deps.filter((d) => d.stage !== "shipped");
    // The dep the gate's own rule names (core/dag `failedDep`, as in the job's `dependency_failed` message): a dead
    // one. The first open dep was named before, so "a (building), b (cancelled)" said "dependency a is building".
    const dead = failedDep(
      job.depsMode,
      deps.map((d) => ({ id: d.id, stage: d.stage ?? undefined })),
    );
    if (dead) {
      const depStage = dead.depStage === "unknown" ? null : dead.depStage;
      const fix = deadDependencyFix(job.id, dead.depId, dead.depStage);
      return reason("dependency_failed", `dependency ${dead.depId} is ${dead.depStage} — ${fix}`, job.updatedAt, {
        depId: dead.depId,
        depStage,
        deps,
      });
    }
    if (state === "waiting") {
      const list = open.map((d) => `${d.id} (${d.stage ?? "unknown"})`).join(", ");
      const need = job.depsMode === "any" ? "any one of" : "";
      return reason("deps_unmet", `waiting for ${need ? `${need} ` : ""}${list} to ship`, job.updatedAt, {
        mode: job.depsMode,
        deps,
        waitingOn: open.map((d) => d.id),
      });
    }
  }
  if (job.kind !== "composite") {
    // Its gate is met but the unblocking has not landed yet (it does in the unit that settles the last dep).
    return reason("deps_unmet", "dependencies met; moving to the queue", job.updatedAt, {
      mode: job.depsMode,
      deps: [],
      waitingOn: [],
    });
  }
  // "Done" is the parent's own gate's word for it (core/composite childEnded: shipped, or dead), so the reason
  // cannot count a child in testing as done while the gate still waits for it to ship.
  const stages = [...(inputs.childCounts ?? new Map<Stage, number>())];
  const total = stages.reduce((n, [, k]) => n + k, 0);
  const done = stages.reduce((n, [stage, k]) => n + (childEnded(stage) ? k : 0), 0);
  // None at all: "waiting for its children" of a parent submitted without any held it for ever, and said nothing of
  // the one step that gives it some.
  const message =
    total > 0
      ? `waiting for its children: ${done} of ${total} done`
      : `has no children yet: give it some with \`gigafactory children ${job.id} FILE.json\``;
  return reason("children_running", message, job.updatedAt, { done, total, byStage: Object.fromEntries(stages) });
}

function reviewReason(job: Job): WaitingReason {
  // The review gate's own count (core/review), so the board can never disagree with the quorum.
  const tally = tallyReviews(job.reviews, reviewRoundOf(job));
  const required = tally.required;
  const approvedBy = tally.approvers.map((r) => ({ reviewer: r.reviewer, name: r.reviewerName ?? r.reviewer }));
  const k = tally.approvals;
  const tail = k > 0 ? ` (approved by ${approvedBy.map((a) => a.name).join(", ")})` : "";
  const message =
    required > 0
      ? `waiting for review: ${k} of ${counted(required, "approval")}${tail}`
      : `waiting for an operator to approve or reject${tail}`;
  return reason("review_pending", message, job.updatedAt, { required, approvals: k, approvedBy });
}

/**
 * A failed job. One its gate failed (`dependency_failed: <dep> is <stage>`) is judged by the gate's own rule over
 * its deps' stages now (`depStages`, when read): the message is history, and a dep an operator has requeued since is
 * no longer dead — "dependency X is dead_letter" of an X back in the queue sent the operator to requeue X again.
 * With its gate possible again, it waits for an operator to requeue it (`needs_operator`).
 */
function failedReason(job: Job, depStages?: ReadonlyMap<string, Stage | undefined>): WaitingReason {
  const msg = job.lastResult?.message ?? "";
  const dep = /^dependency_failed: (\S+) is (\S+)/.exec(msg);
  if (dep) {
    const [, firstId = "", firstStage = ""] = dep;
    const deps = depStages && job.deps.map((id) => ({ id, stage: depStages.get(id) }));
    const dead = deps ? failedDep(job.depsMode, deps) : { depId: firstId, depStage: firstStage };
    if (dead) {
      const fix = deadDependencyFix(job.id, dead.depId, dead.depStage);
      return reason("dependency_failed", `dependency ${dead.depId} is ${dead.depStage} — ${fix}`, job.updatedAt, {
        depId: dead.depId,
        depStage: dead.depStage,
      });
    }
    const now = (deps ?? []).map((d) => `${d.id} (${d.stage})`).join(", ");
    return reason(
      "needs_operator",
      `failed when dependency ${firstId} was ${firstStage}; its dependencies can be met again (${now}) — ` +
        failedFix(job.id, job.lastResult, false),
      job.updatedAt,
      { lastResult: job.lastResult, deps: deps ?? [] },
    );
  }
  const why = msg ? `failed: ${msg}` : "failed";
  return reason("needs_operator", `${why} — ${failedFix(job.id, job.lastResult)}`, job.updatedAt, {
    ...(job.lastResult ? { lastResult: job.lastResult } : {}),
  });
}
