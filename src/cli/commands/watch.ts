/**
 * @module cli/commands/watch
 * `gigafactory watch ID`: a job's events, live, one line each (`#seq  HH:MM:SS  type  summary`; a log event one
 * line per log line, see cli/event-text) or one JSON object per line (NDJSON) under --json. Survives disconnects
 * without repeating or losing an event (see job-feed), and ends by itself unless --follow: exit 0 when the job
 * reaches a terminal stage (a dead letter or a cancel said on stderr, with why: cli/event-text `endingNote`), exit 3 when it is in a stage that waits for an operator (core/waiting OPERATOR_STAGES:
 * review, testing, failed — nothing more happens until one acts, so a watcher left running would wait forever).
 * While the job waits, it says why and how to end the wait, once and again when the reason changes (cli/watch-waiting).
 */
import { type Stage, TERMINAL_STAGES } from "../../core/model.ts";
import { waitsForOperator } from "../../core/waiting.ts";
import type { JobEvent } from "../../shared/http-client.ts";
import { type Command, jsonText } from "../context.ts";
import { endingNote, eventLines, factoryIdOf, resultReason, stageOf } from "../event-text.ts";
import { nameWaitMs } from "../factory-names.ts";
import { followJobFeed } from "../job-feed.ts";
import { lineOf } from "../read-answers-policy.ts";
import { WatchNames } from "../watch-names.ts";
import { endedSince, endOfEndedJobRetried, type RetryNote, type Verdict, verdictAt } from "../watch-verdicts.ts";
import { type WaitingLine, waitingTeller } from "../watch-waiting.ts";

export { stageOf, summarize } from "../event-text.ts";

/** Exit code of a watch that ended because the job waits for an operator: review, testing or failed (0 ok, 1 error, 2 usage). */
export const EXIT_NEEDS_OPERATOR = 3;

export function isTerminalEvent(event: JobEvent): boolean {
  const stage = stageOf(event);
  return stage !== undefined && (TERMINAL_STAGES as readonly string[]).includes(stage);
}

/** The lines `watch` prints for an event (kept for callers that want one string). */
export function eventLine(event: JobEvent): string {
  return eventLines(event).join("\n");
}

export const watch: Command = {
  path: ["watch"],
  args: { names: "ID", min: 1, max: 1 },
  jobIdArg: true,
  ndjson: true,
  summary: "follow a job's events live; ends when the job ships, dead-letters, is cancelled or waits for an operator",
  details: [
    "Prints each event as `#seq  HH:MM:SS  type  summary`; a log event prints one line per log line",
    "(`#6  12:00:01  log  [stdout] step 1/20: planning`). Under --json: one JSON event per line (NDJSON),",
    "not one document, so a script can read the stream as it comes.",
    "",
    "Ends by itself (unless --follow):",
    "  exit 0  the job reached a terminal stage: shipped, dead_letter or cancelled (for the last two a",
    "          line on stderr says so, and why: its last failure, or who cancelled it)",
    `  exit ${EXIT_NEEDS_OPERATOR}  the job waits for an operator; a line on stderr says for what:`,
    "          in review (`gigafactory review approve ID` or `review reject ID`), in testing (`ship ID` or",
    "          `reject ID`), or failed and not retried (`requeue ID` or `cancel ID`)",
    "  exit 1  the feed could not be followed (errors as `✘ ERROR code: …`): at once when the first read gets",
    "          no answer (`unreachable`, `timeout`); once the coordinator answered, after ~5 minutes of tries",
    "",
    "While the job waits, a line on stderr says why and how to end the wait (`… ID waits: code — why — fix: …`),",
    'again when the reason changes; under --json, as a `{"type":"watch.waiting",…}` line on stderr.',
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
    // The last stage move shown, and the last reason one gave: what the closing line of a dead letter says.
    let lastStage: string | undefined;
    let lastReason = "";
    // Factories by name, as `jobs` names them: the fleet list is read when an event names a factory it has not named
    // (one enrolled since the last read), once per such id — never under --json, whose events are the API's. A line
    // waits for that read a few seconds at most, then says the id (cli/watch-names).
    const names = new WatchNames(client, nameWaitMs(ctx.io.env));
    const learn = async (events: readonly JobEvent[]): Promise<void> => {
      if (ctx.json) return;
      await names.learn(events.map(factoryIdOf).filter((id): id is string => id !== undefined));
    };
    try {
      const show = (event: JobEvent): void => {
        const moved = stageOf(event);
        if (moved !== undefined) {
          lastStage = moved;
          // A dead letter from an older coordinator carries no result: the failure before it is the reason.
          lastReason = resultReason(event) || (moved === "dead_letter" ? lastReason : "");
        }
        if (ctx.json) ctx.emitLine(event);
        // A log line is one line per line of text already; every other field (a stage, a reason, a stream's name, the
        // type) is the feed's text, whose newline printed a forged event line of its own.
        else for (const line of eventLines(event, names.named)) ctx.print(lineOf(line));
      };
      // The seq at which to ask whether the job stays where an operator must act: armed by a move into an operator
      // stage, disarmed by any other move.
      let checkAt: number | undefined;
      let needsOperator: string | undefined;
      const after = ctx.int("after") ?? 0;
      // Each wait through an outage is said, the feed's reconnects and the reads' retries alike: a watch that said
      // nothing while it retried looked hung. The reason may quote the feed's own text (why it ended the stream): kept
      // to the one line this note is. `of`: how long it keeps trying, so a watcher of an outage knows when it gives up.
      const told =
        (doing: string): RetryNote =>
        ({ attempt, of, delayMs, reason }) =>
          ctx.note(`… ${lineOf(reason)}; ${doing} in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt} of ${of})`);
      const onRetry = told("retrying");
      const end = async (verdict: Verdict & { ends: true }): Promise<true> => {
        if (verdict.gap !== undefined) ctx.note(`… ${verdict.gap}`);
        await learn(verdict.later);
        for (const later of verdict.later) show(later);
        needsOperator = verdict.message;
        return true;
      };
      // A job already ended or waiting whose last stage move is at or before --after: no replayed move ends the watch.
      const ended = follow ? undefined : await endOfEndedJobRetried(client, id, after, onRetry);
      // Said by the closing line unless a stage move printed below says otherwise.
      if (ended) ({ stage: lastStage, reason: lastReason } = ended.ended);
      const first = follow || ended ? { ends: false as const } : await verdictAt(client, id, after, onRetry);
      let endAt = ended && "endAt" in ended ? ended.endAt : undefined;
      let opened = 0;
      if (ended && "ends" in ended) await end(ended);
      else if (first.ends) await end(first);
      else {
        checkAt = first.recheckAt;
        // Why it waits, and the fix: said once, and again when the reason changes (cli/watch-waiting).
        // Under --json as a JSON line on stderr: stdout stays one event per line, which scripts read by `seq`. Written by
        // the one JSON rule (jsonText: C1 and bidi controls as \uXXXX), so the reason's text reaches a parser unchanged.
        const say = (line: string, doc: WaitingLine) => ctx.note(ctx.json ? jsonText(doc, () => []) : line, true);
        const waiting = ended ? undefined : waitingTeller({ client, id, follow, say });
        void waiting?.check();
        await followJobFeed(client, id, {
          after,
          // Under --follow the feed is the first read: a wrong URL or a server that never answers ends it at once.
          unanswered: follow,
          // Each stream but the first of a job not ended when the watch began (the reads above just looked): did the
          // job end, and its events get purged, while the watch was away? See watch-verdicts `endedSince`.
          async onOpen(last) {
            if (follow || (endAt === undefined && opened++ === 0) || (endAt !== undefined && last >= endAt))
              return false;
            const verdict = await endedSince(client, id, last, endAt !== undefined);
            if (verdict && "endAt" in verdict) endAt = verdict.endAt;
            return verdict && "ends" in verdict ? end(verdict) : false;
          },
          async onEvent(event) {
            await learn([event]);
            show(event);
            waiting?.onEvent(event);
            if (follow) return false;
            // A job that had ended before the watch began ends it at its last seq then, if no terminal move comes first.
            if (isTerminalEvent(event) || (endAt !== undefined && event.seq >= endAt)) return true;
            const stage = stageOf(event);
            if (stage !== undefined) checkAt = waitsForOperator(stage as Stage) ? event.seq : undefined;
            if (checkAt === undefined || event.seq < checkAt) return false;
            const verdict = await verdictAt(client, id, event.seq, onRetry);
            if (verdict.ends) return end(verdict);
            checkAt = verdict.recheckAt;
            return false;
          },
          onSkipped: (note) => ctx.note(`… ${note}`),
          onRetry: told("reconnecting"),
        }).finally(() => waiting?.stop());
      }
      if (needsOperator === undefined) {
        // Ended (exit 0, shipped or not): a dead letter or a cancel is said, with why, on stderr.
        const ending = follow ? undefined : endingNote(id, lastStage, lastReason);
        if (ending !== undefined) ctx.note(lineOf(ending));
        return 0;
      }
      ctx.note(needsOperator);
      return EXIT_NEEDS_OPERATOR;
    } finally {
      names.stop(); // a fleet read still in flight is dropped, not left open on the coordinator
    }
  },
};
