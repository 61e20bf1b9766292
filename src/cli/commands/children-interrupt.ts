/**
 * @module cli/commands/children-interrupt
 * Ctrl-C (SIGINT) while `gigafactory children ID FILE.json`'s one `POST …/jobs/{id}/children` is out. It ended the
 * process at once, saying nothing: whether the children — paid runs, each — were added was left to guess, and nothing
 * said that the same command run again is safe. Now the first Ctrl-C says the children are on their way and waits for
 * the answer (bounded by --timeout); the answer is printed as without Ctrl-C and the command ends `✘ ERROR
 * interrupted` (exit 130) naming `gigafactory tree ID` to follow them — under --json the API's `{parent, children}`
 * with `error`. A request that failed after it says whether the children may have been added and that the same
 * command again (the same file, or the same --key) returns those already made instead of making them twice — under
 * --json `{error, failure}`. A second Ctrl-C ends at once (cli/main). The listening and endings: cli/request-interrupt.
 */
import { counted } from "../../core/counted.ts";
import type { Ctx } from "../context.ts";
import { inlined } from "../read-answers-ops.ts";
import { lineOf } from "../read-answers-policy.ts";
import { endAnswered, endFailed } from "../request-interrupt.ts";

/** What the Ctrl-C's error starts with: where the children were when it came. */
const STOPPED = "stopped by Ctrl-C while the children were on their way";

/** The line the first Ctrl-C prints on stderr: `n` children for job `parent` are on their way, and waited for. */
export function childrenStoppingNote(parent: string, n: number): string {
  return lineOf(
    `Ctrl-C: the children are on their way (${counted(n, "child", "children")} for job ${parent} in one request); ` +
      "waiting for its answer, which decides whether they were added; Ctrl-C again ends at once, not knowing " +
      "whether they were added",
  );
}

/** The answer as the CLI reads it (cli/read-answers-ops ChildrenRead) and whether it was a replay. */
interface Made {
  parent: { id: string; stage: string };
  children: ReadonlyArray<unknown>;
  replayed: boolean;
}

/**
 * Ends `children` whose answer came after Ctrl-C, its rows already printed as without it: `✘ ERROR interrupted`
 * saying how many children were added (or made by this same request before) and how to follow them; under --json the
 * one document `{error, parent, children}`.
 * @returns EXIT_INTERRUPTED (130)
 */
export function childrenAnswered(ctx: Ctx, made: Made): number {
  const n = counted(made.children.length, "child", "children");
  const what = made.replayed ? `${n} made by this same request before: nothing new` : `${n} added`;
  return endAnswered(
    ctx,
    `${STOPPED}; its answer came: ${what}`,
    inlined`they are under job ${made.parent.id}: follow them with \`gigafactory tree ${made.parent.id}\``,
    { parent: made.parent, children: made.children },
  );
}

/**
 * Ends `children` whose request failed after Ctrl-C: the failure's `✘ ERROR` line, then `✘ ERROR interrupted` —
 * none added when the coordinator refused it, else they may have been; the same command again is safe (`key`: the
 * --key given, else the key is the file's). Under --json `{error, failure}`.
 * @returns EXIT_INTERRUPTED (130)
 */
export function childrenFailed(ctx: Ctx, err: unknown, key: string | undefined): number {
  const same =
    key !== undefined
      ? `run the same command again with the same --key ${key}`
      : "run the same command again on the same file (its Idempotency-Key is derived from the file's bytes)";
  return endFailed(ctx, err, {
    stopped: STOPPED,
    refused: "none was added",
    again: "run the command again",
    unknown: "the children may or may not have been added",
    unknownFix: `${same}: children already added are returned, not made twice`,
  });
}
