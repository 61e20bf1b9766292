/**
 * @module cli/commands/watch
 * `gigafactory watch ID`: a job's events, live, one line each (`#seq  HH:MM:SS  type  summary`; a log event one
 * line per log line, see cli/event-text) or one JSON object per line (NDJSON) under --json. Survives disconnects
 * without repeating or losing an event (see job-feed), and ends by itself unless --follow: exit 0 when the job
 * reaches a terminal stage, exit 3 when it is in a stage that waits for an operator (core/waiting OPERATOR_STAGES:
 * review, testing, failed — nothing more happens until one acts, so a watcher left running would wait forever).
 */
import { type Stage, TERMINAL_STAGES } from "../../core/model.ts";
import { type OperatorStage, waitsForOperator } from "../../core/waiting.ts";
import { backoffMs, type GigafactoryClient, type JobEvent, sleep } from "../../shared/http-client.ts";
import type { JobView } from "../../shared/responses.ts";
import type { Command } from "../context.ts";
import { CliError } from "../errors.ts";
import { eventLines, stageOf } from "../event-text.ts";
import { FEED_BACKOFF, followJobFeed, isTransient, missedNote } from "../job-feed.ts";
import { checked } from "../read-answers.ts";
import { EventPageRead, lineOf, WatchedJobRead } from "../read-answers-policy.ts";

export { stageOf, summarize } from "../event-text.ts";

/** Exit code of a watch that ended because the job waits for an operator: review, testing or failed (0 ok, 1 error, 2 usage). */
export const EXIT_NEEDS_OPERATOR = 3;

/** The most events one look-ahead reads (the API's own page limit). */
const LOOKAHEAD_LIMIT = 500;

export function isTerminalEvent(event: JobEvent): boolean {
  const stage = stageOf(event);
  return stage !== undefined && (TERMINAL_STAGES as readonly string[]).includes(stage);
}

/**
 * The job as `watch` decides on it, checked: another service's `{"ok": true}` read as a job in no stage, and a null
 * crashed the watch as a CLI bug.
 * @throws CliError bad_response — the answer is not a job
 */
async function readJob(client: GigafactoryClient, id: string): Promise<JobView> {
  return checked(WatchedJobRead, await client.getJob(id), "a job");
}

/**
 * The events after `after` (one look-ahead page), checked: each is printed as the feed's are, so each must be one.
 * @throws CliError bad_response — the answer is not a page of events
 */
async function readEvents(
  client: GigafactoryClient,
  id: string,
  after: number,
  limit = LOOKAHEAD_LIMIT,
): Promise<{ events: JobEvent[]; lastSeq: number }> {
  return checked(EventPageRead, await client.listEvents(id, { after, limit }), "a page of events");
}

/** The lines `watch` prints for an event (kept for callers that want one string). */
export function eventLine(event: JobEvent): string {
  return eventLines(event).join("\n");
}

/** What a job in each operator stage waits for, and the commands that move it on (`ID` is the job's id). */
const OPERATOR_WAIT: Record<OperatorStage, { what: string; commands: string[] }> = {
  review: { what: "is in review and waits for reviewers", commands: ["review approve ID", "review reject ID"] },
  testing: { what: "is in testing and waits for an operator", commands: ["ship ID", "reject ID"] },
  failed: { what: "failed and waits for an operator", commands: ["requeue ID", "cancel ID"] },
};

/**
 * A job already terminal when the watch starts ends it once the feed reaches its last seq of that moment: the stage
 * move may lie at or before `--after`, or retention may have purged the log (its last seq kept, no events left), so
 * no terminal move is ever read. Answers that seq, or `{ ends }` when nothing is left after `after`; undefined when
 * the job is not terminal.
 */
async function endOfEndedJob(
  client: GigafactoryClient,
  id: string,
  after: number,
): Promise<{ endAt: number } | (Verdict & { ends: true }) | undefined> {
  const job = await readJob(client, id);
  if (!TERMINAL_STAGES.includes(job.stage)) return undefined;
  const page = await readEvents(client, id, after);
  if (after > page.lastSeq) return undefined; // the live feed refuses it, saying why (416 after_beyond_feed)
  // Nothing after `after`, below a last seq past it: retention purged those events. Said, as a gap in a stream is —
  // the watch ended without a word, as if the job had never had an event there.
  if (page.events.length === 0) {
    const purged = page.lastSeq > after ? missedNote(after, page.lastSeq + 1) : undefined;
    return { ends: true, later: [], ...(purged ? { gap: purged } : {}) };
  }
  return { endAt: page.lastSeq };
}

/**
 * On each stream of an ended job's feed (opened after `last`, short of the seq the watch ends at): were the events
 * still to come purged meanwhile? Retention closes every stream and empties the log, and a stream reopened after it
 * replays nothing and stays open on keep-alives: the watch, waiting for the seq it was told of, waited for ever.
 * Answers the ending, which names the purged events as `endOfEndedJob`'s does, or undefined while events remain
 * (the stream delivers them; a purge after this look closes it, and the next stream looks again).
 */
async function purgedSince(
  client: GigafactoryClient,
  id: string,
  last: number,
): Promise<(Verdict & { ends: true }) | undefined> {
  const page = await readEvents(client, id, last, 1);
  if (page.events.length > 0 || page.lastSeq <= last) return undefined;
  return { ends: true, later: [], gap: missedNote(last, page.lastSeq + 1) };
}

/**
 * After the event at `seq`: does the job stay where it is until an operator acts? Yes when it is in an operator
 * stage now (core/waiting OPERATOR_STAGES) and no later stage move exists — a replay may be reading an old stage the
 * job has since left. Answers the events after `seq` (to print before ending) and the line saying what it waits
 * for, or `{ recheckAt }` when they fill more than one page (look again once the feed reaches that seq), or false.
 */
type Verdict = { ends: true; later: JobEvent[]; message?: string; gap?: string } | { ends: false; recheckAt?: number };

async function stopsForOperator(client: GigafactoryClient, id: string, seq: number): Promise<Verdict> {
  const job = await readJob(client, id);
  if (!waitsForOperator(job.stage)) return { ends: false };
  const page = await readEvents(client, id, seq);
  if (page.events.some((e) => e.type === "job.stage")) return { ends: false };
  const seen = page.events.at(-1)?.seq ?? seq;
  if (seen < page.lastSeq) return { ends: false, recheckAt: seen };
  const { what, commands } = OPERATOR_WAIT[job.stage];
  const how = commands.map((c) => `\`gigafactory ${c.replace("ID", id)}\``).join(" or ");
  const why = job.waitingReason?.message;
  // The reason is the server's text (it names factories and reviewers): kept on the one line this note is.
  return { ends: true, later: page.events, message: lineOf(`${id} ${what}${why ? `: ${why}` : ""} (${how})`) };
}

/**
 * `stopsForOperator`, retried in place through a coordinator's brief unavailability (FEED_BACKOFF). It runs on the
 * event that moved the job; a transient failure thrown out of the feed's `onEvent` reconnects after that event, and
 * when no later event comes (the job waits) nothing would ever redo the check. Given up for good, it is a CliError,
 * which the feed does not take for transient: the watch ends with the error instead of waiting for ever.
 */
async function verdictAt(client: GigafactoryClient, id: string, seq: number): Promise<Verdict> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await stopsForOperator(client, id, seq);
    } catch (err) {
      if (!isTransient(err)) throw err;
      if (attempt + 1 >= FEED_BACKOFF.maxAttempts) {
        throw new CliError(
          "unavailable",
          `could not tell whether ${id} waits for an operator: ${err.message}`,
          "check the coordinator (`gigafactory health`), then watch again with --after at the last seq shown",
        );
      }
      await sleep(backoffMs(attempt, FEED_BACKOFF));
    }
  }
}

export const watch: Command = {
  path: ["watch"],
  args: { names: "ID", min: 1, max: 1 },
  ndjson: true,
  summary: "follow a job's events live; ends when the job ships, dead-letters, is cancelled or waits for an operator",
  details: [
    "Prints each event as `#seq  HH:MM:SS  type  summary`; a log event prints one line per log line",
    "(`#6  12:00:01  log  [stdout] step 1/20: planning`). Under --json: one JSON event per line (NDJSON),",
    "not one document, so a script can read the stream as it comes.",
    "",
    "Ends by itself (unless --follow):",
    "  exit 0  the job reached a terminal stage: shipped, dead_letter or cancelled",
    `  exit ${EXIT_NEEDS_OPERATOR}  the job waits for an operator; a line on stderr says for what:`,
    "          in review (`gigafactory review approve ID` or `review reject ID`), in testing (`ship ID` or",
    "          `reject ID`), or failed and not retried (`requeue ID` or `cancel ID`)",
    "  exit 1  the feed could not be followed (errors as `✘ ERROR code: …`)",
  ],
  options: {
    after: {
      type: "string",
      value: "SEQ",
      int: { min: 0, max: Number.MAX_SAFE_INTEGER },
      help: "start after this seq (default 0: everything)",
    },
    follow: { type: "boolean", help: "keep following after a terminal stage or a failure" },
  },
  async run(ctx) {
    const client = ctx.client();
    const id = ctx.positionals[0]!;
    const follow = ctx.flag("follow");
    const show = (event: JobEvent): void => {
      if (ctx.json) ctx.emitLine(event);
      // A log line is one line per line of text already; every other field (a stage, a reason, a stream's name, the
      // type) is the feed's text, whose newline printed a forged event line of its own.
      else for (const line of eventLines(event)) ctx.print(lineOf(line));
    };
    // The seq at which to ask whether the job stays where an operator must act: armed by a move into an operator
    // stage, disarmed by any other move.
    let checkAt: number | undefined;
    let needsOperator: string | undefined;
    const after = ctx.int("after") ?? 0;
    const end = (verdict: Verdict & { ends: true }): true => {
      if (verdict.gap !== undefined) ctx.note(`… ${verdict.gap}`);
      for (const later of verdict.later) show(later);
      needsOperator = verdict.message;
      return true;
    };
    // A job already ended or waiting whose last stage move is at or before --after: no replayed move ends the watch.
    const ended = follow ? undefined : await endOfEndedJob(client, id, after);
    const first = follow || ended ? { ends: false as const } : await stopsForOperator(client, id, after);
    const endAt = ended && "endAt" in ended ? ended.endAt : undefined;
    if (ended && "ends" in ended) end(ended);
    else if (first.ends) end(first);
    else {
      checkAt = first.recheckAt;
      await followJobFeed(client, id, {
        after,
        async onOpen(last) {
          if (endAt === undefined || last >= endAt) return false;
          const purged = await purgedSince(client, id, last);
          return purged ? end(purged) : false;
        },
        async onEvent(event) {
          show(event);
          if (follow) return false;
          // A job that had ended before the watch began ends it at its last seq then, if no terminal move comes first.
          if (isTerminalEvent(event) || (endAt !== undefined && event.seq >= endAt)) return true;
          const stage = stageOf(event);
          if (stage !== undefined) checkAt = waitsForOperator(stage as Stage) ? event.seq : undefined;
          if (checkAt === undefined || event.seq < checkAt) return false;
          const verdict = await verdictAt(client, id, event.seq);
          if (verdict.ends) return end(verdict);
          checkAt = verdict.recheckAt;
          return false;
        },
        onSkipped: (note) => ctx.note(`… ${note}`),
        onRetry({ attempt, delayMs, reason }) {
          // The reason may quote the feed's own text (why it ended the stream): kept to the one line this note is.
          ctx.note(`… ${lineOf(reason)}; reconnecting in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt})`);
        },
      });
    }
    if (needsOperator === undefined) return 0;
    ctx.note(needsOperator);
    return EXIT_NEEDS_OPERATOR;
  },
};
