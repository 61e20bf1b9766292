/**
 * @module cli/commands/jobs
 * `gigafactory jobs`: the product's jobs, newest first, one page (`--limit`), the page after an earlier one
 * (`--cursor`, its `nextCursor`), or every page (`--all`, following `nextCursor`). Under --json the document
 * is always `{ jobs, nextCursor }` (`nextCursor` null when there is no more). Jobs come as the API's summary shape
 * (no `bodyMd`): `--all` over thousands of jobs stays small; `gigafactory job ID` shows one whole.
 */

import { counted } from "../../core/counted.ts";
import { STAGES, type Stage } from "../../core/model.ts";
import type { JobSummary } from "../../shared/responses.ts";
import type { Command } from "../context.ts";
import { CliError } from "../errors.ts";
import { factoryNamer, nameWaitMs } from "../factory-names.ts";
import { fleetRead, type HolderLink, holderWaitCell } from "../holder-link.ts";
import { checked, JobPageRead } from "../read-answers.ts";
import { formatAge, orNone, renderTable } from "../table.ts";
import { waitingCell } from "../waiting.ts";

/** The API's own page cap (JobListQuery.limit max): --all pages at it to make the fewest round trips. */
const MAX_PAGE = 500;

/**
 * The jobs table's rows. `names`: factory id → name (the fleet list, job `factoryNames`): a HOLDER is named as `job
 * ID`, explain and the dashboard name it — it printed `fac_0mxc6m72…` — with its id where two share the name, and
 * its id alone where the list did not name it. `links`: factory id → its link (cli/holder-link): a held job whose
 * holder lost its link says so in WAITING, with when its lease expires — it read `—` as if all was well.
 */
export function jobRows(
  jobs: readonly JobSummary[],
  now: number,
  names: ReadonlyMap<string, string> = new Map(),
  links: ReadonlyMap<string, HolderLink> = new Map(),
): string[][] {
  const holder = factoryNamer(names);
  return jobs.map((j) => {
    const held = j.holderFactoryId;
    const lost = held ? holderWaitCell(holder(held), links.get(held), j.leaseExpiresAt, now) : undefined;
    return [
      j.id,
      j.stage,
      j.priority,
      j.title,
      `${j.attempt}/${j.maxAttempts}`,
      held ? holder(held) : orNone(held),
      formatAge(j.createdAt, now),
      lost ?? waitingCell(j.waitingReason, j),
    ];
  });
}

export const JOB_COLUMNS = [
  { header: "ID" },
  { header: "STAGE" },
  { header: "PRIORITY" },
  { header: "TITLE", max: 40 }, // 40: with the other columns, a row fits a 132-column terminal
  { header: "ATTEMPT", align: "right" as const },
  { header: "HOLDER", max: 28 },
  { header: "AGE", align: "right" as const },
  // Never cut (cli/table `wrap`): a reason's end says what ends the wait (`… approve it: gigafactory factory approve
  // ID`). On a terminal it goes on under the row past the width left (at most 60 a line); off one, whole on the row.
  { header: "WAITING", max: 60, wrap: true },
];

/**
 * A cursor the coordinator handed out twice: following it would page forever (also `dead-letters --all`, and
 * `artifacts`, which always reads every page: `paging` names what would never end, and there is no --limit there).
 */
export function repeatedCursor(cursor: string, paging = "--all"): CliError {
  const meanwhile = paging === "--all" ? "; list a page at a time with --limit meanwhile" : "";
  return new CliError(
    "bad_response",
    `the coordinator handed out the page cursor "${cursor.slice(0, 40)}" twice, so ${paging} would never end`,
    `check that --url points at a Gigafactory coordinator${meanwhile}`,
  );
}

export const jobs: Command = {
  path: ["jobs"],
  args: { names: "", min: 0, max: 0 },
  summary: "list jobs, newest first",
  options: {
    stage: { type: "string", value: "S", choices: STAGES, help: "only jobs in this stage" },
    limit: {
      type: "string",
      value: "N",
      int: { min: 1, max: MAX_PAGE },
      help: "page size (default 50; 500 with --all)",
    },
    // Without it the `nextCursor` that --json prints led nowhere: past 500 jobs, only --all read the next page.
    cursor: { type: "string", value: "C", help: "the page after an earlier one (its nextCursor)" },
    all: { type: "boolean", help: "follow nextCursor and list every job" },
  },
  async run(ctx) {
    const client = ctx.client();
    const stage = ctx.str("stage") as Stage | undefined;
    const all = ctx.flag("all");
    const limit = ctx.int("limit") ?? (all ? MAX_PAGE : 50);
    const found: JobSummary[] = [];
    let cursor = ctx.str("cursor");
    const seen = new Set<string>();
    do {
      const page = checked(JobPageRead, await client.listJobs({ stage, limit, cursor }), "a page of jobs");
      for (const j of page.jobs) found.push(j); // not push(...): a page of 200,000 would overflow the call stack
      cursor = page.nextCursor;
      if (all && cursor !== undefined) {
        // A cursor handed out twice would page forever (and hold every page in memory): not a coordinator's answer.
        if (seen.has(cursor)) throw repeatedCursor(cursor);
        seen.add(cursor);
        // Many pages take a while: a counter redrawn in place on a terminal (nothing on pipes or under --json).
        if (ctx.io.stderrIsTTY && !ctx.json) ctx.io.stderr(`\r\x1b[K… ${counted(found.length, "job")} read`);
      }
    } while (all && cursor);
    if (seen.size > 0 && ctx.io.stderrIsTTY && !ctx.json) ctx.io.stderr("\r\x1b[K");
    if (ctx.json) {
      ctx.emit({ jobs: found, nextCursor: cursor ?? null });
      return 0;
    }
    if (found.length === 0) ctx.print(stage ? `no ${stage} jobs` : "no jobs");
    else {
      // Read only when a row is held: a queue of waiting jobs costs no fleet read.
      const fleet = found.some((j) => j.holderFactoryId) ? await fleetRead(client, nameWaitMs(ctx.io.env)) : undefined;
      const rows = jobRows(found, ctx.io.now(), fleet?.names, fleet?.links);
      ctx.print(renderTable(JOB_COLUMNS, rows, ctx.io.stdoutColumns));
    }
    // A cursor is a position only (the API's carries no stage): the filter goes with it, or the next page is of all stages.
    if (cursor) ctx.note(`… more jobs: pass --all, or ${stage ? `--stage ${stage} ` : ""}--cursor ${cursor}`);
    return 0;
  },
};
