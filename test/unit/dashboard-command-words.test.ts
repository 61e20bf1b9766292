// The CLI commands the server's words name, said on the dashboard as its own button or page where it has one
// (dashboard/command-words.js): a failed job's reason said "`gigafactory requeue job_1` runs it again" right above
// the job page's requeue button, and a frozen key's "`gigafactory serial unfreeze deploy`" beside the Jobs page's
// Unfreeze. The messages here are the core's own (core/waiting-commands, budget-pause, breaker-waiting,
// webhook-failing), so a reworded fix is read as the page reads it; and every command the coordinator's words name
// (scanned from src/) is either said as a control of the dashboard's or one the dashboard has none for.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { commandHere, commandPieces, commandText } from "../../dashboard/command-words.js";
import { breakerWords } from "../../src/core/breaker-waiting.ts";
import { warningText } from "../../src/core/budget-alerts.ts";
import { budgetPausedWords, exhaustedFix } from "../../src/core/budget-pause.ts";
import { DISCONNECTED_FIX, deadDependencyFix, failedFix, testingFix } from "../../src/core/waiting-commands.ts";
import { waitingFix } from "../../src/core/waiting-fix.ts";
import { webhookFailingAlert } from "../../src/core/webhook-failing.ts";

const onPage = { jobId: "job_1", onJobPage: true };
const onBoard = { jobId: "job_1" };

describe("dashboard: a command the dashboard can do, said as its own control", () => {
  it("says a job's own actions as the buttons below on its page, and as a link to its page elsewhere", () => {
    expect(commandText(failedFix("job_1", undefined), onPage)).toBe(
      "the requeue button below runs it again, the cancel button below drops it",
    );
    expect(commandText(testingFix("job_1"), onPage)).toBe(
      "the ship button below ships it, the reject button below fails it",
    );
    const raise = failedFix("job_1", { outcome: "budget_exceeded", retryable: false, message: "over" });
    expect(commandText(raise, onPage)).toBe(
      "the requeue button below with a higher Job budget $ runs it again, the cancel button below drops it",
    );
    const board = commandPieces(failedFix("job_1", undefined), onBoard);
    expect(board.filter((p: { href?: string }) => p.href)).toEqual([
      { text: "requeue on its page", href: "#/jobs/job_1" },
      { text: "cancel on its page", href: "#/jobs/job_1" },
    ]);
  });

  it("says a review's verdicts (the waiting fix of review_pending) as the review card's buttons, or a link to them", () => {
    const reason = { code: "review_pending", message: "waiting for 1 more approval", since: 0, detail: {} };
    const fix = waitingFix(reason as Parameters<typeof waitingFix>[0], "job_1") as string;
    expect(commandText(fix, onPage)).toBe(
      "the Approve button in the review card below approves it, the Reject button in the review card below sends it back",
    );
    expect(commandPieces(fix, onBoard).filter((p: { href?: string }) => p.href)).toEqual([
      { text: "Approve in the review card on its page", href: "#/jobs/job_1" },
      { text: "Reject in the review card on its page", href: "#/jobs/job_1" },
    ]);
    expect(commandText(fix, { ...onPage, mayAct: false })).toContain("an operator's Approve in the review card");
  });

  it("links a dependency's requeue to its page, and keeps a placeholder's command", () => {
    expect(commandText(deadDependencyFix("job_1", "dep_9", "failed"), onPage)).toBe(
      "requeue on dep_9's page, then the requeue button below",
    );
    expect(commandPieces(deadDependencyFix("job_1", "dep_9", "failed"), onPage)[0]).toEqual({
      text: "requeue on dep_9's page",
      href: "#/jobs/dep_9",
    });
    // A dependency id a shell would not take is DEP in the words: no page to link, the command stays.
    expect(commandText(deadDependencyFix("job_1", "d p", "failed"), onPage)).toBe(
      "`gigafactory requeue DEP`, then the requeue button below",
    );
    // The reason's own job, its id not pastable: ID is this page's job.
    expect(commandText("`gigafactory cancel ID` drops it", onPage)).toBe("the cancel button below drops it");
  });

  it("points the budget's, the overflow's, the fleet's and the dead letters' commands at their pages", () => {
    const spent = exhaustedFix({ period: "month", periodEnd: Date.UTC(2026, 11, 31) });
    expect(commandText(spent)).toBe(
      "it lifts when the month ends at 2026-12-31T00:00:00Z; Set budget on the Budget page raises the ceiling, " +
        "Resume on the Budget page runs on over it",
    );
    expect(commandText(budgetPausedWords(undefined).message)).toBe(
      "the product's budget is paused — the Budget page says who paused it and what lifts the pause",
    );
    const held = breakerWords(
      {
        code: "breaker_open",
        engine: "sample",
        held: true,
        factories: [{ id: "f1", name: "gpu-1", until: Date.UTC(2026, 11, 31) }],
      },
      (l) => l.map((f) => f.name).join(", "),
    );
    expect(commandPieces(held.message).at(-2)).toEqual({
      text: "Overflow: route on the Settings page",
      href: "#/settings",
    });
    expect(commandText(DISCONNECTED_FIX)).toBe(
      "start the agent on its host (`gigafactory-agent run`, as `gigafactory enroll NAME` printed it); " +
        "the Fleet page says when each was last seen",
    );
    expect(commandText("waiting for an operator to approve gpu on box-7 — run `gigafactory factory approve f7`")).toBe(
      "waiting for an operator to approve gpu on box-7 — press Approve on the Fleet page",
    );
    expect(commandText(webhookFailingAlert(2, "503", "hooks.example").message)).toMatch(
      /Check the receiver at hooks\.example, then redrive them: Redrive on the Dead letters page$/,
    );
    expect(commandText(warningText({ spentUsd: 8, ceilingUsd: 10 } as never) ?? "")).not.toContain("gigafactory");
  });

  it("tells a role offered no operator's control whose control it is, not a button or a press it does not have", () => {
    const viewer = { ...onPage, mayAct: false };
    expect(commandText(failedFix("job_1", undefined), viewer)).toBe(
      "an operator's requeue runs it again, an operator's cancel drops it",
    );
    const raise = failedFix("job_1", { outcome: "budget_exceeded", retryable: false, message: "over" });
    expect(commandText(raise, viewer)).toBe(
      "an operator's requeue with a higher job budget runs it again, an operator's cancel drops it",
    );
    // Its page is still worth a look: linked, the action said as an operator's.
    expect(commandPieces(deadDependencyFix("job_1", "dep_9", "failed"), viewer).slice(0, 2)).toEqual([
      { text: "an operator's " },
      { text: "requeue on dep_9's page", href: "#/jobs/dep_9" },
    ]);
    expect(commandPieces(failedFix("job_1", undefined), { ...onBoard, mayAct: false })).toContainEqual({
      text: "an operator's ",
    });
    expect(commandText(budgetPausedWords(undefined).message, { mayAct: false })).toBe(
      "the product's budget is paused — the Budget page says who paused it and what lifts the pause",
    );
    expect(
      commandText("waiting for an operator to approve gpu on box-7 — run `gigafactory factory approve f7`", {
        mayAct: false,
      }),
    ).toBe("waiting for an operator to approve gpu on box-7 — ask an operator for Approve on the Fleet page");
    // A page only an operator may open is not linked (its nav link is not drawn for them either).
    const hook = commandPieces(webhookFailingAlert(2, "503", "hooks.example").message, { mayAct: false });
    expect(hook.at(-1)).toEqual({ text: "an operator's Redrive on the Dead letters page" });
  });

  it("says every command the coordinator's words name, or is one the dashboard has no control for", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => {
        const p = join(dir, f);
        return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
      });
    const commands = new Set<string>();
    for (const f of files("src")) {
      if (f.startsWith(join("src", "cli")) || f.startsWith(join("src", "agent"))) continue; // the CLI's own words
      // Words the coordinator writes (not its comments): each `${…}` in them an id, as a job's.
      const code = readFileSync(f, "utf8")
        .split("\n")
        .filter((l) => !/^\s*(\*|\/\/|\/\*)/.test(l))
        .join("\n");
      for (const m of code.matchAll(/\\?`gigafactory ([^`\\\n]+)\\?`/g)) {
        const words = (m[1] ?? "").replace(/\$\{[^}]*\}/g, "job_1");
        if (words !== "job_1") commands.add(words); // core/waiting-commands `run`: the commands it builds are below
      }
    }
    // No control on the dashboard: a composite's children are given by file, a host enrolls and runs its agent.
    const none = /^(children|enroll) /;
    const unsaid = [...commands].filter((c) => !none.test(c) && !commandHere(c, onBoard));
    expect(unsaid.sort()).toEqual([]);
    expect(commands.size).toBeGreaterThan(8); // the scan read the core's commands
  });
});
