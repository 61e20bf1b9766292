// The stage machine: the transition table is exhaustive, every illegal move is refused with a clear error, and only
// moves that change the queue or end a lease ask for a dispatch pass.
import { describe, expect, it } from "vitest";
import { DomainError, IllegalTransitionError } from "../../src/core/errors.ts";
import { STAGES, type Stage } from "../../src/core/model.ts";
import {
  allowedFrom,
  assertTransition,
  canTransition,
  isTerminal,
  movesDispatch,
  StageTransitionError,
  TRANSITIONS,
} from "../../src/core/stages.ts";

/*
 * The expected lifecycle, written out by hand on purpose: if someone edits the
 * table in stages.ts, this list must be edited too, in review, deliberately.
 */
const EXPECTED_LEGAL: ReadonlyArray<readonly [Stage, Stage]> = [
  ["queued", "blocked"],
  ["queued", "assigned"],
  // A lost run's fenced report that puts the job past its own budget while it waits (policies/late-spend).
  ["queued", "failed"],
  ["queued", "cancelled"],
  ["blocked", "queued"],
  ["blocked", "failed"],
  ["blocked", "review"],
  ["blocked", "testing"],
  ["blocked", "cancelled"],
  ["assigned", "building"],
  ["assigned", "queued"],
  ["assigned", "failed"],
  ["assigned", "cancelled"],
  ["building", "review"],
  ["building", "testing"],
  ["building", "failed"],
  ["building", "queued"],
  ["building", "cancelled"],
  ["review", "testing"],
  ["review", "failed"],
  ["review", "queued"],
  ["review", "cancelled"],
  ["testing", "shipped"],
  ["testing", "failed"],
  ["testing", "cancelled"],
  ["failed", "queued"],
  ["failed", "dead_letter"],
  ["failed", "cancelled"],
  // An operator's requeue of a dead letter (issue 8): the only way out of a terminal stage.
  ["dead_letter", "queued"],
];

const legal = new Set(EXPECTED_LEGAL.map(([from, to]) => `${from}->${to}`));

describe("stage machine table", () => {
  it("covers exactly the ten stages of the data model", () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...STAGES].sort());
    expect(STAGES).toHaveLength(10);
  });

  const matrix = STAGES.flatMap((from) => STAGES.map((to) => [from, to] as const));
  it.each(matrix)("%s -> %s is legal exactly when listed in the expected lifecycle", (from, to) => {
    expect(canTransition(from, to)).toBe(legal.has(`${from}->${to}`));
  });

  it("has no legal pair beyond the expected list (all 100 pairs accounted for)", () => {
    expect(matrix).toHaveLength(100);
    expect(matrix.filter(([f, t]) => canTransition(f, t))).toHaveLength(EXPECTED_LEGAL.length);
  });

  it("lets every non-terminal stage be cancelled; a terminal stage moves only dead_letter → queued (a requeue)", () => {
    for (const stage of STAGES) {
      if (isTerminal(stage)) expect(allowedFrom(stage)).toEqual(stage === "dead_letter" ? ["queued"] : []);
      else expect(allowedFrom(stage)).toContain("cancelled");
    }
  });

  it("says a dead letter is terminal but names the requeue that revives it", () => {
    expect(() => assertTransition("X", "dead_letter", "cancelled")).toThrow(
      "job X cannot move from dead_letter to cancelled (dead_letter is terminal; only an operator's requeue to queued leaves it)",
    );
    expect(() => assertTransition("X", "dead_letter", "queued")).not.toThrow();
  });

  it("treats shipped, dead_letter and cancelled as the only terminal stages", () => {
    expect(STAGES.filter(isTerminal)).toEqual(["shipped", "dead_letter", "cancelled"]);
  });

  it("never allows a self-loop", () => {
    for (const stage of STAGES) expect(canTransition(stage, stage)).toBe(false);
  });

  it("exposes a frozen table so callers cannot add edges at runtime", () => {
    expect(Object.isFrozen(TRANSITIONS)).toBe(true);
    expect(Object.isFrozen(TRANSITIONS.queued)).toBe(true);
  });
});

describe("assertTransition", () => {
  it("returns quietly for a legal move", () => {
    expect(() => assertTransition("j1", "queued", "assigned")).not.toThrow();
  });

  it("refuses a move out of a terminal stage and says the stage is terminal", () => {
    expect(() => assertTransition("X", "shipped", "queued")).toThrow(
      "job X cannot move from shipped to queued (shipped is terminal)",
    );
  });

  it("refuses an unlisted move and lists the allowed targets", () => {
    expect(() => assertTransition("X", "assigned", "review")).toThrow(
      "job X cannot move from assigned to review (allowed: building, queued, failed, cancelled)",
    );
  });

  it("throws an IllegalTransitionError with code illegal_transition, status 409 and details", () => {
    let caught: unknown;
    try {
      assertTransition("j9", "blocked", "building");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StageTransitionError);
    expect(caught).toBeInstanceOf(IllegalTransitionError);
    expect(caught).toBeInstanceOf(DomainError);
    const err = caught as DomainError;
    expect(err.code).toBe("illegal_transition");
    expect(err.status).toBe(409);
    expect(err.details).toEqual({
      jobId: "j9",
      from: "blocked",
      to: "building",
      allowed: ["queued", "failed", "review", "testing", "cancelled"],
    });
  });

  it("explains a no-op move as already being in that stage", () => {
    expect(() => assertTransition("X", "queued", "queued")).toThrow(/already queued; allowed: blocked, assigned/);
  });
});

describe("movesDispatch", () => {
  it("is true for every allowed move into or out of the queue, or out of a lease, and false for the rest", () => {
    for (const from of STAGES) {
      for (const to of TRANSITIONS[from]) {
        const queue = from === "queued" || to === "queued";
        const leaseEnds = (from === "assigned" || from === "building") && to !== "assigned" && to !== "building";
        expect(movesDispatch(from, to), `${from} → ${to}`).toBe(queue || leaseEnds);
      }
    }
    expect(movesDispatch("assigned", "building")).toBe(false); // the seat stays taken, the queue unchanged
    expect(movesDispatch("building", "testing")).toBe(true); // the seat frees
    expect(movesDispatch("testing", "shipped")).toBe(false);
  });
});
