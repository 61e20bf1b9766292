// The waits a person ends name the command that ends them (core/waiting-commands), as the other operator waits do:
// `testing` (ship or reject), `needs_operator` (requeue — with --budget-usd after a budget stop — or cancel),
// `dependency_failed` (requeue the dependency, then the job; a cancelled one: cancel the job) and
// `no_factory_connected` (start the agent). Each command a message names is one the CLI parses as printed, and the
// move it asks for is one the stage machine allows from the stage it is named in.
import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/cli/args.ts";
import { COMMANDS } from "../../src/cli/registry.ts";
import type { Factory, Job, Stage } from "../../src/core/model.ts";
import { REJECTABLE } from "../../src/core/review.ts";
import { canTransition } from "../../src/core/stages.ts";
import { waitingReasonOf } from "../../src/core/waiting.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = 1_700_000_000_000;
const job = (over: Partial<Job>): Job =>
  jobFixture(NOW, { id: "job_w1", manifest: { reviewers: 0 } as Job["manifest"], queuedAt: NOW - 3000, ...over });
const down: Factory = factoryFixture(NOW, { id: "f1", name: "gpu-box", capabilities: ["gpu"], seats: 1 });
const failure = (message: string, outcome: "failure" | "budget_exceeded" = "failure") => ({
  lastResult: { outcome, retryable: false, message },
});

/** The `gigafactory …` commands a message names, as words (placeholders filled in as a person would). */
function commandsIn(message: string): string[][] {
  return [...message.matchAll(/`gigafactory ([^`]+)`/g)].map((m) => m[1]!.replace(/\bN\b/, "5").split(" "));
}

/** What a command does to the job (or dependency) it names, from the stage it is in. */
function legal(words: string[], stage: Stage): boolean {
  const [verb] = words;
  if (verb === "ship") return canTransition(stage, "shipped");
  if (verb === "reject") return REJECTABLE.includes(stage);
  if (verb === "requeue") return canTransition(stage, "queued");
  if (verb === "cancel") return canTransition(stage, "cancelled");
  return true; // a read (`factories`)
}

describe("a wait a person ends names the command that ends it", () => {
  it.each<[string, Job, Map<string, Stage | undefined>, string, Record<string, Stage>]>([
    ["testing", job({ stage: "testing" }), new Map(), "testing", { job_w1: "testing" }],
    ["failed", job({ stage: "failed", ...failure("tests failed") }), new Map(), "needs_operator", { job_w1: "failed" }],
    [
      "failed on its budget",
      job({ stage: "failed", ...failure("spent $1.20 of $1.00", "budget_exceeded") }),
      new Map(),
      "needs_operator",
      { job_w1: "failed" },
    ],
    [
      "failed by a dead-lettered dependency",
      job({ stage: "failed", deps: ["job_d"], ...failure("dependency_failed: job_d is dead_letter") }),
      new Map([["job_d", "dead_letter"]]),
      "dependency_failed",
      { job_w1: "failed", job_d: "dead_letter" },
    ],
    [
      "failed by a cancelled dependency",
      job({ stage: "failed", deps: ["job_d"], ...failure("dependency_failed: job_d is cancelled") }),
      new Map([["job_d", "cancelled"]]),
      "dependency_failed",
      { job_w1: "failed" },
    ],
    [
      "blocked on a failed dependency",
      job({ stage: "blocked", deps: ["job_d"] }),
      new Map([["job_d", "failed"]]),
      "dependency_failed",
      { job_w1: "failed", job_d: "failed" }, // the settle walk fails it next: requeued from there
    ],
    [
      "failed when a dependency was dead, met again since",
      job({ stage: "failed", deps: ["job_d"], ...failure("dependency_failed: job_d is dead_letter") }),
      new Map([["job_d", "queued"]]),
      "needs_operator",
      { job_w1: "failed" },
    ],
  ])("%s", (_what, j, depStages, code, stages) => {
    const r = waitingReasonOf(j, { ctx: { now: NOW }, factories: [], connected: new Set(), depStages }, NOW);
    expect(r?.code).toBe(code);
    const commands = commandsIn(r?.message ?? "");
    expect(commands.length).toBeGreaterThan(0);
    for (const words of commands) {
      const parsed = parseCommandLine(words, COMMANDS);
      expect(parsed.command?.path.join(" ")).toBe(words.slice(0, parsed.command?.path.length).join(" "));
      const id = parsed.positionals[0];
      expect(legal(words, stages[id ?? ""] ?? "failed"), `${words.join(" ")} in ${stages[id ?? ""]}`).toBe(true);
    }
    if (j.lastResult?.outcome === "budget_exceeded")
      expect(r?.message).toContain("`gigafactory requeue job_w1 --budget-usd N`");
  });

  it("no_factory_connected: start the agent on its host; `factories` says when each was last seen", () => {
    const r = waitingReasonOf(
      job({ stage: "queued", requires: ["gpu"] }),
      { ctx: { now: NOW }, factories: [down], connected: new Set() },
      NOW,
    );
    expect(r?.code).toBe("no_factory_connected");
    expect(r?.message).toContain("`gigafactory-agent run`");
    for (const words of commandsIn(r?.message ?? "")) expect(parseCommandLine(words, COMMANDS).command).toBeDefined();
  });
});
