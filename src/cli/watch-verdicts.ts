/**
 * @module cli/watch-verdicts
 * What `gigafactory watch` (cli/commands/watch) asks the job's REST reads to decide when it ends: a job that had
 * ended before the watch began, or ended and was purged while it was away; a job that waits for an operator.
 */
import { TERMINAL_STAGES } from "../core/model.ts";
import { type OperatorStage, waitsForOperator } from "../core/waiting.ts";
import { backoffMs, type GigafactoryClient, type JobEvent, sleep } from "../shared/http-client.ts";
import type { JobView } from "../shared/responses.ts";
import { reasonOf } from "./event-text.ts";
import { feedGaveUp } from "./feed-stream.ts";
import { FEED_BACKOFF, isTransient, isUnanswered, missedNote } from "./job-feed.ts";
import { checked } from "./read-answers.ts";
import { EventPageRead, lineOf, WatchedJobRead } from "./read-answers-policy.ts";

/** The most events one look-ahead reads (the API's own page limit). */
const LOOKAHEAD_LIMIT = 500;

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

/** What a job in each operator stage waits for, and the commands that move it on (`ID` is the job's id). */
const OPERATOR_WAIT: Record<OperatorStage, { what: string; commands: string[] }> = {
  review: { what: "is in review and waits for reviewers", commands: ["review approve ID", "review reject ID"] },
  testing: { what: "is in testing and waits for an operator", commands: ["ship ID", "reject ID"] },
  failed: { what: "failed and waits for an operator", commands: ["requeue ID", "cancel ID"] },
};

/**
 * A job already terminal when the watch starts ends it once the feed reaches its last seq of that moment: the stage
 * move may lie at or before `--after`, or retention may have purged the log (its last seq kept, no events left), so
 * no terminal move is ever read. Answers that seq, or `{ ends }` when nothing is left after `after` — each with the
 * stage it ended in (`ended`); undefined when the job is not terminal.
 */
export async function endOfEndedJob(
  client: GigafactoryClient,
  id: string,
  after: number,
): Promise<(({ endAt: number } | (Verdict & { ends: true })) & { ended: Ended }) | undefined> {
  const job = await readJob(client, id);
  if (!TERMINAL_STAGES.includes(job.stage)) return undefined;
  const page = await readEvents(client, id, after);
  if (after > page.lastSeq) return undefined; // the live feed refuses it, saying why (416 after_beyond_feed)
  const ended = { stage: job.stage, reason: reasonOf(job.lastResult) };
  // Nothing after `after`, below a last seq past it: retention purged those events. Said, as a gap in a stream is —
  // the watch ended without a word, as if the job had never had an event there.
  if (page.events.length === 0) {
    const purged = page.lastSeq > after ? missedNote(after, page.lastSeq + 1) : undefined;
    return { ends: true, later: [], ...(purged ? { gap: purged } : {}), ended };
  }
  return { endAt: page.lastSeq, ended };
}

/**
 * The stage a job had ended in when the watch began, and why (cli/event-text `reasonOf` of its `lastResult`): what
 * the watch's closing line says when no stage move of it is printed (at or before --after, or purged).
 */
export interface Ended {
  stage: string;
  reason: string;
}

/**
 * On a stream of the feed opened after `last`: does the watch wait for events that will never come? Retention purges
 * an ended job's log (every stream closed, only its last seq kept), and a stream reopened after it replays nothing
 * and stays open on keep-alives: a watch of a job that had ended (`known`: it had when the watch began) waited for ever
 * for the seq it was told of — and so did one that lost its connection while the job ended and was purged (a laptop
 * asleep for days). `known` false: the job is read first, and a job that has not ended answers undefined.
 * Answers the ending (naming the purged events, as `endOfEndedJob` does; none when nothing is missing), `{ endAt }`
 * for a job that ended meanwhile with events still to read (the watch ends at that seq), or undefined (the stream
 * delivers them; a purge after this look closes it, and the next stream looks again).
 */
export async function endedSince(
  client: GigafactoryClient,
  id: string,
  last: number,
  known: boolean,
): Promise<(Verdict & { ends: true }) | { endAt: number } | undefined> {
  if (!known && !TERMINAL_STAGES.includes((await readJob(client, id)).stage)) return undefined;
  const page = await readEvents(client, id, last, 1);
  if (page.events.length > 0) return known ? undefined : { endAt: page.lastSeq };
  return { ends: true, later: [], ...(page.lastSeq > last ? { gap: missedNote(last, page.lastSeq + 1) } : {}) };
}

/**
 * After the event at `seq`: does the job stay where it is until an operator acts? Yes when it is in an operator
 * stage now (core/waiting OPERATOR_STAGES) and no later stage move exists — a replay may be reading an old stage the
 * job has since left. Answers the events after `seq` (to print before ending) and the line saying what it waits
 * for, or `{ recheckAt }` when they fill more than one page (look again once the feed reaches that seq), or false.
 */
export type Verdict =
  | { ends: true; later: JobEvent[]; message?: string; gap?: string }
  | { ends: false; recheckAt?: number };

export async function stopsForOperator(client: GigafactoryClient, id: string, seq: number): Promise<Verdict> {
  const job = await readJob(client, id);
  if (!waitsForOperator(job.stage)) return { ends: false };
  const page = await readEvents(client, id, seq);
  if (page.events.some((e) => e.type === "job.stage")) return { ends: false };
  const seen = page.events.at(-1)?.seq ?? seq;
  if (seen < page.lastSeq) return { ends: false, recheckAt: seen };
  const { what, commands } = OPERATOR_WAIT[job.stage];
  const why = job.waitingReason?.message;
  // A reason that names its own commands (core/waiting-commands: testing, failed) is not followed by these again.
  const how = why?.includes("`gigafactory ")
    ? ""
    : ` (${commands.map((c) => `\`gigafactory ${c.replace("ID", id)}\``).join(" or ")})`;
  // The reason is the server's text (it names factories and reviewers): kept on the one line this note is.
  return { ends: true, later: page.events, message: lineOf(`${id} ${what}${why ? `: ${why}` : ""}${how}`) };
}

/** Told before each wait of a retried read, as the feed's reconnects are (cli/job-feed `FollowOptions.onRetry`). */
export type RetryNote = (info: { attempt: number; of: number; delayMs: number; reason: string }) => void;

/**
 * `stopsForOperator`, retried in place through a coordinator's brief unavailability (FEED_BACKOFF), each wait said
 * (`onRetry`). It runs on the event that moved the job; a transient failure thrown out of the feed's `onEvent`
 * reconnects after that event, and when no later event comes (the job waits) nothing would ever redo the check. Given
 * up for good, it throws the last failure's own error (cli/feed-stream `feedGaveUp`: its code and fix, and `--after
 * seq` to resume), which the feed does not take for transient: the watch ends with it instead of waiting for ever.
 */
export function verdictAt(client: GigafactoryClient, id: string, seq: number, onRetry?: RetryNote): Promise<Verdict> {
  const what = { id, last: seq, reached: true, onRetry };
  return retried(() => stopsForOperator(client, id, seq), what);
}

/**
 * `endOfEndedJob`, retried in place as `verdictAt` is: the watch's first reads. A page of the job's events is a 503
 * while events its coordinator still holds cannot all reach the feed (its last seq would read short of the log), and
 * a watch of an ended job met that once ended with the error. Nothing has answered the watch before these reads, so a
 * connection that fails or an answer that does not start in --timeout ends it at once, as it ends every other
 * command (`unreachable`, `timeout`, with their fixes): a wrong --url or port never heals, and 30 silent tries of it
 * (~5 minutes; ~20 at the default --timeout against a server that never answers) looked like a hung watch.
 * @throws ConnectionError / ResponseTimeoutError before any answer; the last failure once FEED_BACKOFF is spent
 */
export function endOfEndedJobRetried(client: GigafactoryClient, id: string, after: number, onRetry?: RetryNote) {
  return retried(() => endOfEndedJob(client, id, after), { id, last: after, reached: false, onRetry });
}

/**
 * `read()` until it answers or fails for good; transient failures (FEED_BACKOFF) waited out, each wait told to
 * `onRetry`. `reached` false: no answer has come yet, and a failure to get one (job-feed `isUnanswered`) is final.
 */
async function retried<T>(
  read: () => Promise<T>,
  how: { id: string; last: number; reached: boolean; onRetry?: RetryNote | undefined },
): Promise<T> {
  let reached = how.reached;
  for (let attempt = 0; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (!isTransient(err) || (!reached && isUnanswered(err))) throw err;
      reached = true; // a 5xx or a 429: the coordinator answered, and may again
      if (attempt + 1 >= FEED_BACKOFF.maxAttempts) throw feedGaveUp(how.id, err, err.message, attempt + 1, how.last);
      const delayMs = backoffMs(attempt, FEED_BACKOFF);
      how.onRetry?.({ attempt: attempt + 1, of: FEED_BACKOFF.maxAttempts - 1, delayMs, reason: err.message });
      await sleep(delayMs);
    }
  }
}
