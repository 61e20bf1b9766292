/**
 * @module cli/commands/dead-letters
 * `gigafactory dead-letters`: what the product could not deliver or process,
 * newest first — outbox records the coordinator gave up on (`outbox:*`, after
 * their last try or at once when too large), poison queue messages
 * (`queue:*`) and bulk items the coordinator refused. Each one was also
 * audited as `outbox.dead_letter` or recorded by the dead-letter queue.
 * Under --json: the API's `{ items }`, unchanged.
 */
import type { Command } from "../context.ts";
import { formatInstant, renderTable } from "../table.ts";

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
    limit: { type: "string", value: "N", int: { min: 1, max: 500 }, help: "at most N items (default 100)" },
  },
  async run(ctx) {
    const page = await ctx.client().deadLetters({ since: ctx.int("since"), limit: ctx.int("limit") });
    if (ctx.json) ctx.emit(page);
    else if (page.items.length === 0) ctx.print("no dead letters");
    else
      ctx.print(
        renderTable(
          [
            { header: "AT" },
            { header: "ID" },
            { header: "SOURCE" },
            { header: "TRIES", align: "right" },
            { header: "REASON", max: 70 },
          ],
          page.items.map((d) => [formatInstant(d.at), d.id, d.source, String(d.attempts), d.reason]),
        ),
      );
    return 0;
  },
};
