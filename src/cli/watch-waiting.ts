/**
 * @module cli/watch-waiting
 * What `gigafactory watch` (cli/commands/watch) says of a job that waits: its waiting reason (core/waiting, as the
 * job's REST read carries it) and, where the reason has a `fix` (core/waiting-fix), the command that ends the wait — once, and again
 * only when the reason's code changes. A watch of a job no host could run printed `#1 … job.submitted` and then
 * nothing, for ever: the feed has no event for "nothing can happen".
 *
 * The reason is read when the watch starts, after each event that can change it (anything but a running job's log,
 * progress and checkpoints), and every WAITING_RECHECK_MS while the job waits — a host enrolled, connected or
 * approved moves no event of the job. Reads never overlap (a burst of replayed events costs two reads, not one per
 * event) and never hold an event back; a failed read is an aside, tried again at the next event or tick, never the
 * watch's end. Not said: a running or ended job (no reason), `dispatching` (about to be assigned: no wait to act on),
 * and — unless --follow — a job in an operator stage, which ends the watch with its own line (cli/watch-verdicts).
 */
import { z } from "zod";
import { type Stage, TERMINAL_STAGES } from "../core/model.ts";
import { waitsForOperator } from "../core/waiting.ts";
import type { WaitingReason } from "../core/waiting-reason.ts";
import type { GigafactoryClient, JobEvent } from "../shared/http-client.ts";
import { stageOf } from "./event-text.ts";
import { checked } from "./read-answers.ts";
import { lineOf } from "./read-answers-policy.ts";
import { fixOf } from "./waiting.ts";

/**
 * 30 s: how long a watch may go on saying a reason that no longer holds when no event of the job tells it so (a
 * host enrolled for a job that waited `no_capable_factory`, but not yet connected). One small read a watcher per
 * half minute, and only while the job waits.
 */
export const WAITING_RECHECK_MS = 30_000;

/** The job as the watch's waiting line reads it: its stage and its reason with the fields the line and fix use. */
const WaitingJobRead = z.object({
  stage: z.string(),
  waitingReason: z
    .object({ code: z.string(), message: z.string(), since: z.number(), detail: z.record(z.string(), z.unknown()) })
    .nullable()
    .optional(),
});

/** Events a running job sends by the hundred, none of which can change a waiting reason (a waiting job sends none). */
const QUIET_EVENTS = new Set(["log", "progress", "checkpoint"]);

/**
 * The JSON line a watch under --json writes on stderr (stdout stays the feed's events, one a line, each with its
 * `seq`): `{"type":"watch.waiting","jobId":…,"waitingReason":{…},"fix"?:…}`.
 */
export interface WaitingLine {
  type: "watch.waiting";
  jobId: string;
  waitingReason: WaitingReason;
  fix?: string;
}

export interface WaitingTeller {
  /** Reads the reason now (unless a read is under way: then once more after it); resolves when the reads are done. */
  check(): Promise<void>;
  /** After `event` was shown: reads the reason again when the event can have changed it. Never waits for the read. */
  onEvent(event: JobEvent): void;
  /** The watch ended: nothing more is read or said, and the periodic read is cancelled. */
  stop(): void;
}

export interface WaitingTellerOptions {
  client: Pick<GigafactoryClient, "getJob">;
  id: string;
  /** --follow: the watch does not end on an operator stage, so that wait is said here too. */
  follow: boolean;
  /** Says one reason: `line` for a person, `doc` for --json. */
  say(line: string, doc: WaitingLine): void;
  /** Calls `tick` every WAITING_RECHECK_MS until the returned cancel is called (tests drive it by hand). */
  every?: (tick: () => void) => () => void;
}

const everyRecheck = (tick: () => void): (() => void) => {
  const timer = setInterval(tick, WAITING_RECHECK_MS);
  timer.unref?.(); // a watch that ended must not be kept alive by it
  return () => clearInterval(timer);
};

/** The stderr line for `reason`: `… job_1 waits: code — message — fix: … (details: \`gigafactory job job_1\`)`. */
export function waitingNote(id: string, reason: WaitingReason, fix: string | undefined): string {
  const how = fix === undefined ? "" : ` — fix: ${fix}`;
  // The reason is the server's text (it names factories and quotes a refusal): kept on the one line this note is.
  return lineOf(`… ${id} waits: ${reason.code} — ${reason.message}${how} (details: \`gigafactory job ${id}\`)`);
}

/** A teller for one watch (see the module doc); `check()` once to begin. */
export function waitingTeller(opts: WaitingTellerOptions): WaitingTeller {
  const { client, id, follow, say } = opts;
  // The code last said, null after a read that found nothing to say, undefined before the first read.
  let said: string | null | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;

  async function readOnce(): Promise<void> {
    const job = checked(WaitingJobRead, await client.getJob(id), "a job");
    const reason = (job.waitingReason ?? null) as WaitingReason | null;
    const operator = !follow && waitsForOperator(job.stage as Stage);
    const code = reason && !operator && reason.code !== "dispatching" ? reason.code : null;
    if (stopped || code === said) return;
    said = code;
    if (reason === null || code === null) return;
    const fix = fixOf(reason, id);
    say(waitingNote(id, reason, fix), {
      type: "watch.waiting",
      jobId: id,
      waitingReason: reason,
      ...(fix === undefined ? {} : { fix }),
    });
  }

  function check(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          // An aside: a read that fails is tried again at the next event or tick, and never ends the watch.
          await readOnce().catch(() => {});
        } while (again && !stopped);
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  const cancel = (opts.every ?? everyRecheck)(() => {
    // Only while it waits: a running job's next move is an event, which reads it again.
    if (typeof said === "string") void check();
  });
  return {
    check,
    onEvent(event) {
      // A move to a terminal stage ends the watch (or, under --follow, leaves nothing to wait for).
      const stage = stageOf(event);
      if (stage !== undefined && TERMINAL_STAGES.includes(stage as Stage)) return;
      if (!QUIET_EVENTS.has(event.type)) void check();
    },
    stop() {
      stopped = true;
      cancel();
    },
  };
}
