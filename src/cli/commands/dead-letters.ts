/**
 * @module cli/commands/dead-letters
 * `gigafactory dead-letters`: what the product could not deliver or process,
 * newest first — outbox records the coordinator gave up on (`outbox:*`, after
 * their last try or at once when too large), poison queue messages
 * (`queue:*`) and bulk items the coordinator refused. Each one was also
 * audited as `outbox.dead_letter` or recorded by the dead-letter queue.
 * One page (`--limit`, default 100), or the page after an earlier one (`--cursor`), or every page (`--all`, following
 * `nextCursor`, with a counter on a terminal); a list that stops before the last says how to go on.
 * Under --json: the API's `{ items, nextCursor?, partial? }` — `nextCursor` absent once the last page was read.
 *
 * `gigafactory dead-letters redrive ID` (operator): the dead letter's original message back on its queue, and the
 * dead letter deleted (worker/routes/dead-letter-redrive). At least once — a redrive whose answer was lost may be run
 * again, and its effects are idempotent; a second one of the same id is `✘ ERROR not_found`. `--json`: the API's answer.
 * Ctrl-C (or SIGTERM) while it is out waits for the answer and ends exit 130 (143; cli/request-interrupt).
 *
 * `gigafactory dead-letters show ID` (operator): one dead letter — when, its source, tries and reason, the stores that
 * hold it, its message (pretty JSON, or its text when it is not JSON) and what to do next: the redrive command when a
 * redrive would send it back now, else why it would be refused (worker/routes/dead-letter-show). `--json`: the API's.
 */

import { counted } from "../../core/counted.ts";
import { terminalText } from "../../core/terminal-text.ts";
import { shellWord } from "../../core/waiting-commands.ts";
import type { DeadLetterView } from "../../shared/http-client-types.ts";
import type { Command } from "../context.ts";
import { type Interruption, SIGTERM_HELP } from "../interruption.ts";
import { checked, DeadLetterRead, DeadLettersRead, RedrivenRead } from "../read-answers.ts";
import { inlined } from "../read-answers-ops.ts";
import { lineOf } from "../read-answers-policy.ts";
import { endAnswered, endFailed, sendListening } from "../request-interrupt.ts";
import { formatInstant, renderTable } from "../table.ts";
import { repeatedCursor } from "./jobs.ts";

/** The API's largest page: what `--all` asks for unless `--limit` says otherwise. */
const MAX_PAGE = 500;

/** Where a redrive was when Ctrl-C or SIGTERM came, after `stopped by SIGNAL `. */
const redriveDuring = (id: string) => inlined`while the redrive of dead letter ${id} was on its way`;

/**
 * `dead-letters redrive ID`: one request; a refusal is the API's code with the CLI's fix (cli/errors). A dispatch
 * message redriven makes jobs (paid runs): Ctrl-C or SIGTERM while the request is out waits for its answer
 * (cli/request-interrupt, as `batch submit`) and ends exit 130 (143 for SIGTERM) saying whether the message went
 * back, and that a redrive again is safe.
 */
export const redriveDeadLetter: Command = {
  path: ["dead-letters", "redrive"],
  args: { names: "ID", min: 1, max: 1 },
  summary: "send a dead letter's message back to its queue and delete it (at least once; its effects are idempotent)",
  details: [
    "Prints the queue the message went back to; under --json the API's {id, source, queue, …}. A second redrive of",
    "the same id is `✘ ERROR not_found`: it was done. Ctrl-C while the redrive is on its way waits for its answer",
    "(within --timeout), which decides whether the message went back: it prints it as without it and ends `✘ ERROR",
    "interrupted` (exit 130; under --json the answer with `error`); a request that failed after it says whether the",
    "message may have gone back, and that the same command again is safe (under --json {error, failure}). A second",
    "Ctrl-C ends at once.",
    SIGTERM_HELP,
  ],
  options: {},
  async run(ctx) {
    const id = ctx.positionals[0] as string;
    const note = (how: Interruption) =>
      lineOf(
        `${how.by}: the redrive of dead letter ${id} is on its way; waiting for its answer, which decides whether ` +
          `its message went back to its queue; ${how.again} ends at once, not knowing whether it went back`,
      );
    const sent = await sendListening(ctx, note, async () =>
      checked(RedrivenRead, await ctx.client().redriveDeadLetter(id), "a redrive"),
    );
    if ("failed" in sent) {
      return endFailed(ctx, sent.stopped, sent.failed, {
        during: redriveDuring(id),
        refused: "this redrive sent nothing back",
        again: "run the command again",
        unknown: "its message may or may not have gone back to its queue",
        unknownFix:
          "run the same command again: a redrive's effects are idempotent (jobs by their idempotency keys), and one " +
          "already done answers `✘ ERROR not_found`",
      });
    }
    const r = sent.answer;
    if (!ctx.json) ctx.print(`✔ dead letter ${r.id} (${r.source}) sent back to the ${r.queue} queue, and deleted`);
    if (sent.stopped) {
      const came = inlined`sent back to the ${r.queue} queue, and deleted`;
      const fix = "nothing to send again: `gigafactory dead-letters` no longer lists it";
      return endAnswered(ctx, sent.stopped, { during: redriveDuring(id), came, fix }, r);
    }
    if (ctx.json) ctx.emit(r);
    return 0;
  },
};

/** How a store is named to a person. */
const STORE_NAMES: Record<string, string> = { d1: "D1", coordinator: "the product's coordinator" };

/** The message as `show` prints it: pretty JSON, or the text kept when it was not JSON; safe for a terminal. */
function messageText(body: unknown): string {
  const text = typeof body === "string" ? body : (JSON.stringify(body, null, 2) ?? String(body));
  return terminalText(text);
}

/** `dead-letters show ID`: one GET; what was kept, and the command that moves it on (or why none would). */
export const showDeadLetter: Command = {
  path: ["dead-letters", "show"],
  args: { names: "ID", min: 1, max: 1 },
  summary: "show one dead letter: its message, where it is kept, and whether a redrive would send it back now",
  options: {},
  async run(ctx) {
    const id = ctx.positionals[0] as string;
    const d = checked(DeadLetterRead, await ctx.client().deadLetter(id), "a dead letter");
    if (ctx.json) ctx.emit(d);
    else {
      const held = d.heldBy.map((s) => STORE_NAMES[s] ?? s).join(" and ");
      const next = d.redrive.possible
        ? inlined`redrive: gigafactory dead-letters redrive ${shellWord(d.id, "ID")} — sends it back to the ${d.redrive.queue} queue`
        : inlined`not redrivable (${d.redrive.code}): ${d.redrive.detail}`;
      const kind = typeof d.body === "string" ? "message (not JSON, its text as kept):" : "message:";
      ctx.print(
        [
          inlined`dead letter ${d.id} — ${d.source}, ${counted(d.attempts, "try", "tries")}, at ${formatInstant(d.at)}`,
          inlined`kept by ${held || "—"}`,
          inlined`reason: ${d.reason}`,
          next,
          kind,
          messageText(d.body),
        ].join("\n"),
      );
    }
    // On stderr under --json too, as the list's: D1 may hold another copy, and a script would not look for `partial`.
    if (d.partial) ctx.note("⚠ D1 could not be read: this is the coordinator's copy — D1 may hold one too", true);
    return 0;
  },
};

export const deadLetters: Command = {
  path: ["dead-letters"],
  args: { names: "", min: 0, max: 0 },
  summary: "show what could not be delivered: dead-lettered outbox records, poison messages, refused items",
  options: {
    since: {
      type: "string",
      value: "MS",
      int: { min: 0, max: Number.MAX_SAFE_INTEGER },
      help: "only those at or after this instant (ms since the epoch)",
    },
    limit: {
      type: "string",
      value: "N",
      int: { min: 1, max: MAX_PAGE },
      help: "page size (default 100; 500 with --all)",
    },
    cursor: { type: "string", value: "C", help: "the page after an earlier one (its nextCursor)" },
    all: { type: "boolean", help: "follow nextCursor and list every dead letter" },
  },
  async run(ctx) {
    const client = ctx.client();
    const all = ctx.flag("all");
    const since = ctx.int("since");
    const limit = ctx.int("limit") ?? (all ? MAX_PAGE : undefined);
    const items: DeadLetterView[] = [];
    let cursor = ctx.str("cursor");
    let partial = false;
    const seen = new Set<string>();
    do {
      const page = checked(
        DeadLettersRead,
        await client.deadLetters({ since, limit, cursor }),
        "a page of dead letters",
      );
      for (const d of page.items) items.push(d); // not push(...): one argument per item overflows past ~125,000
      partial ||= page.partial === true;
      cursor = page.nextCursor;
      if (all && cursor !== undefined) {
        // A cursor handed out twice would page forever (and hold every page in memory): not a coordinator's answer.
        if (seen.has(cursor)) throw repeatedCursor(cursor);
        seen.add(cursor);
        // Many pages take a while: a counter redrawn in place on a terminal (nothing on pipes or under --json).
        if (ctx.io.stderrIsTTY && !ctx.json) ctx.io.stderr(`\r\x1b[K… ${counted(items.length, "dead letter")} read`);
      }
    } while (all && cursor);
    if (seen.size > 0 && ctx.io.stderrIsTTY && !ctx.json) ctx.io.stderr("\r\x1b[K");
    if (ctx.json) ctx.emit({ items, ...(cursor ? { nextCursor: cursor } : {}), ...(partial ? { partial } : {}) });
    else if (items.length === 0) ctx.print("no dead letters");
    else
      ctx.print(
        renderTable(
          [
            { header: "AT" },
            { header: "ID" },
            { header: "SOURCE" },
            { header: "TRIES", align: "right" },
            // Never cut (cli/table `wrap`): a reason's end may say how to redrive it ("set one, then redrive it").
            { header: "REASON", max: 70, wrap: true },
          ],
          items.map((d) => [formatInstant(d.at), d.id, d.source, String(d.attempts), d.reason]),
          ctx.io.stdoutColumns,
        ),
      );
    // Said, as `jobs` and `lessons list` do: else one page reads as all of them.
    // The cursor carries no `since`: without it, the page after would list older dead letters than the first did.
    if (cursor)
      ctx.note(
        `… more dead letters: pass --all, or ${since === undefined ? "" : `--since ${since} `}--cursor ${cursor}`,
      );
    // On stderr under --json too: a script reading `items` would not think to look for `partial`.
    if (partial)
      ctx.note(
        "⚠ D1 could not be read: only the coordinator's dead letters are listed — list again once D1 is back",
        true,
      );
    return 0;
  },
};
