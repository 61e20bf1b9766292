/**
 * @module cli/commands/children-interrupt
 * Ctrl-C (SIGINT) or SIGTERM (cli/interruption) while `gigafactory children ID FILE.json`'s one
 * `POST …/jobs/{id}/children` is out. It ended the process at once, saying nothing: whether the children — paid runs,
 * each — were added was left to guess, and nothing said that the same command run again is safe. Now the first
 * signal says the children are on their way and waits for the answer (bounded by --timeout); the answer is printed as
 * without it and the command ends `✘ ERROR interrupted` (exit 130 for Ctrl-C, 143 for SIGTERM) naming
 * `gigafactory tree ID` to follow them — under --json the API's `{parent, children}` with `error`. A request that
 * failed after it says whether the children may have been added and that the same command again (the same file, or
 * the same --key) returns those already made instead of making them twice — under --json `{error, failure}`. A second
 * signal ends at once (cli/main). The listening and endings: cli/request-interrupt.
 */
import { counted } from "../../core/counted.ts";
import type { Ctx } from "../context.ts";
import type { Interruption } from "../interruption.ts";
import { inlined } from "../read-answers-ops.ts";
import { lineOf } from "../read-answers-policy.ts";
import { endAnswered, endFailed } from "../request-interrupt.ts";

/** Where the children were when the signal came, after `stopped by SIGNAL `. */
const DURING = "while the children were on their way";

/**
 * The line the first signal (`how`) prints on stderr: `n` children for job `parent` are on their way, and waited
 * for.
 */
export function childrenStoppingNote(parent: string, n: number): (how: Interruption) => string {
  return (how) =>
    lineOf(
      `${how.by}: the children are on their way (${counted(n, "child", "children")} for job ${parent} in one ` +
        `request); waiting for its answer, which decides whether they were added; ${how.again} ends at once, not ` +
        "knowing whether they were added",
    );
}

/** The answer as the CLI reads it (cli/read-answers-ops ChildrenRead) and whether it was a replay. */
interface Made {
  parent: { id: string; stage: string };
  children: ReadonlyArray<unknown>;
  replayed: boolean;
}

/**
 * Ends `children` whose answer came after the signal `how`, its rows already printed as without it: `✘ ERROR
 * interrupted` saying how many children were added (or made by this same request before) and how to follow them;
 * under --json the one document `{error, parent, children}`.
 * @returns the signal's exit code (130, 143)
 */
export function childrenAnswered(ctx: Ctx, how: Interruption, made: Made): number {
  const n = counted(made.children.length, "child", "children");
  const what = made.replayed ? `${n} made by this same request before: nothing new` : `${n} added`;
  return endAnswered(
    ctx,
    how,
    {
      during: DURING,
      came: what,
      fix: inlined`they are under job ${made.parent.id}: follow them with \`gigafactory tree ${made.parent.id}\``,
    },
    { parent: made.parent, children: made.children },
  );
}

/**
 * Ends `children` whose request failed after the signal `how`: the failure's `✘ ERROR` line, then `✘ ERROR
 * interrupted` — none added when the coordinator refused it, else they may have been; the same command again is safe
 * (`key`: the --key given, else the key is the file's). Under --json `{error, failure}`.
 * @returns the signal's exit code (130, 143)
 */
export function childrenFailed(ctx: Ctx, how: Interruption, err: unknown, key: string | undefined): number {
  const same =
    key !== undefined
      ? `run the same command again with the same --key ${key}`
      : "run the same command again on the same file (its Idempotency-Key is derived from the file's bytes)";
  return endFailed(ctx, how, err, {
    during: DURING,
    refused: "none was added",
    again: "run the command again",
    unknown: "the children may or may not have been added",
    unknownFix: `${same}: children already added are returned, not made twice`,
  });
}
