/**
 * @module cli/commands/batch-wait
 * `gigafactory batch submit --wait`'s wait: the batch read back until `done`, with its progress on stderr, within
 * `--wait-timeout` seconds (default 600, 0 = no limit). It had no deadline: a batch whose items stayed queued (a
 * stalled dispatch queue) held the script for ever, saying nothing once its counts stopped moving. Past the deadline,
 * `✘ ERROR timeout` (exit 1) naming the items still on their way and how to follow them. Ctrl-C or SIGTERM
 * (cli/interruption) ends the wait the same way, as `✘ ERROR interrupted` (exit 130, 143 for SIGTERM): it ended the
 * process, and under --json, which prints only at the end, the batch's id with it.
 */
import { counted } from "../../core/counted.ts";
import { terminalText } from "../../core/terminal-text.ts";
import type { BatchView } from "../../shared/api-batches.ts";
import { secondsAsMs } from "../config.ts";
import type { Ctx } from "../context.ts";
import { CliError } from "../errors.ts";
import { type Interruption, listenForInterrupt } from "../interruption.ts";
import { checked } from "../read-answers.ts";
import { BatchRead } from "../read-answers-ops.ts";
import { lineOf } from "../read-answers-policy.ts";
import { progressLine } from "./batch-submit-text.ts";

/** The --wait poll: from 250 ms, doubling to 2 s — a small batch is done at once, a large one is not read 4×/s. */
const [FIRST_POLL_MS, MAX_POLL_MS] = [250, 2000];
/** --wait-timeout's default, s: ten minutes, past which a batch whose items do not move is a stall to report. */
export const DEFAULT_WAIT_SECONDS = 600;
/** Counts that do not move are said again this often (ms), so a long wait still shows it is waiting. */
const REPEAT_MS = 30_000;
/** The most pending items the deadline's line names; the rest are counted. */
const NAMED = 20;

/**
 * `--wait-timeout` in ms (0 = no limit), read as --timeout is read (cli/config `secondsAsMs`).
 * @throws CliError usage (exit 2) — not a number of seconds from 0 to 86400
 */
export function waitTimeoutMs(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_WAIT_SECONDS * 1000;
  return secondsAsMs(raw, "--wait-timeout", "see `gigafactory batch submit --help`");
}

/**
 * Reads batch `id` back until `done`: a progress line on stderr (none under --json) each time its counts change and
 * every REPEAT_MS while they do not, with the time waited. `limitMs` (0 = none) bounds the whole wait, on the
 * CLI's clock (Io.now); `files[i]` names item i in the deadline's message.
 * @returns the batch, done
 * @throws WaitStopped — the deadline passed, or Ctrl-C or SIGTERM came, with items still queued (its `view` is the
 * last read); WaitFailed — a read failed after the signal (any other failure as the client throws it)
 */
export async function waitForBatch(
  ctx: Ctx,
  id: string,
  limitMs: number,
  files: readonly string[],
): Promise<BatchView> {
  const client = ctx.client();
  let wake = () => {};
  const interrupt = listenForInterrupt(ctx, () => wake());
  try {
    return await poll(ctx, client, id, limitMs, files, interrupt.stopped, (w) => {
      wake = w;
    });
  } catch (err) {
    // A read that failed after the signal: still an interrupted wait (its exit, the batch it made), not a bare failure.
    const how = interrupt.stopped();
    throw how && !(err instanceof WaitStopped) ? new WaitFailed(how, err) : err;
  } finally {
    interrupt.off();
  }
}

/** waitForBatch's loop; `onSleep` is handed each pause's early end, which the signal calls. */
async function poll(
  ctx: Ctx,
  client: ReturnType<Ctx["client"]>,
  id: string,
  limitMs: number,
  files: readonly string[],
  stopped: () => Interruption | undefined,
  onSleep: (wake: () => void) => void,
): Promise<BatchView> {
  const start = ctx.io.now();
  let [last, lastAt] = ["", start];
  for (let pause = FIRST_POLL_MS; ; pause = Math.min(pause * 2, MAX_POLL_MS)) {
    const view = checked(BatchRead, await client.getBatch(id), "a batch") as BatchView;
    const now = ctx.io.now();
    const line = progressLine(view);
    if (line !== last || now - lastAt >= REPEAT_MS) {
      ctx.note(`${line}${view.done ? "" : ` (waited ${waited(now - start, limitMs)})`}`);
      [last, lastAt] = [line, now];
    }
    if (view.done) return view;
    const left = limitMs > 0 ? start + limitMs - now : Number.POSITIVE_INFINITY;
    if (left <= 0) throw new WaitStopped(view, stoppedError(view, `after ${limitMs / 1000} s`, files));
    // A signal during the read: no pause after it.
    const early = stopped();
    if (early) throw new WaitStopped(view, stoppedError(view, `when ${early.by} came`, files, early));
    await new Promise<void>((r) => {
      const timer = setTimeout(r, Math.min(pause, left));
      onSleep(() => {
        clearTimeout(timer);
        r();
      });
    });
    const how = stopped();
    if (how) throw new WaitStopped(view, stoppedError(view, `when ${how.by} came`, files, how));
  }
}

/** A --wait ended before the batch was done (its deadline, a signal): `error` to report, `view` the batch as last read. */
export class WaitStopped extends Error {
  // Fields, not parameter properties: the CLI runs on Node's type stripping, which has none.
  readonly view: BatchView;
  readonly error: CliError;
  constructor(view: BatchView, error: CliError) {
    super(error.message);
    this.view = view;
    this.error = error;
  }
}

/** A --wait read back that failed after the signal `how` came: `failure` is what the read threw. */
export class WaitFailed extends Error {
  readonly how: Interruption;
  readonly failure: unknown;
  constructor(how: Interruption, failure: unknown) {
    super(`the read back failed after ${how.by}`);
    this.how = how;
    this.failure = failure;
  }
}

/** `12 s of 600 s`, or `12 s` with no limit. */
function waited(ms: number, limitMs: number): string {
  const s = (n: number) => `${Math.round(n / 1000)} s`;
  return limitMs > 0 ? `${s(ms)} of ${s(limitMs)}` : s(ms);
}

/**
 * `timeout: batch B: 44 of 56 items still on their way after 600 s (12 have their job, 0 rejected): a.md (item 3), …`
 * (`interrupted: … when Ctrl-C came` after the signal `how`, exit 130 or 143) and how to go on: the items are
 * accepted, so nothing is to be sent again.
 */
function stoppedError(view: BatchView, when: string, files: readonly string[], how?: Interruption): CliError {
  const interrupted = how !== undefined;
  const pending = view.items.filter((i) => i.status === "queued");
  const names = pending.slice(0, NAMED).map((i) => `${files[i.index] ?? "item"} (item ${i.index})`);
  const more = pending.length > NAMED ? `, and ${pending.length - NAMED} more` : "";
  const list = names.length > 0 ? `: ${names.join(", ")}${more}` : "";
  return new CliError(
    interrupted ? "interrupted" : "timeout",
    terminalText(
      lineOf(
        `batch ${view.id}: ${view.queued} of ${counted(view.total, "item")} still on their way ${when} ` +
          `(${view.created} have their job, ${view.rejected} rejected)${list}`,
      ),
    ),
    `the items are accepted and queued: send nothing again; follow them with \`gigafactory batch ${view.id}\`` +
      (interrupted ? "" : ", or wait longer with --wait-timeout SECONDS (0 = no limit)"),
    how?.exitCode ?? 1,
  );
}
