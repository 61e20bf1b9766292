/**
 * @module cli/commands/history
 * `gigafactory history`: the D1 history of the product — job snapshots per
 * stage change, runs, or the audit log — oldest first. It trails the live
 * state by about a second (up to about a minute while the coordinator is
 * loaded: core/history-hold). One page at a time: when more follow, the
 * last line gives the `--cursor` that shows the next; after the last, the
 * `--cursor` that shows what reaches D1 since (a late row, a run's outcome),
 * in arrival order. A factory (HOLDER, FACTORY) is named as `jobs` names it (cli/factory-names). Under --json: the
 * API's `{ kind, items, nextCursor?, more }`, unchanged.
 */
import type { Command } from "../context.ts";
import { factoryNamer, factoryNames, nameWaitMs } from "../factory-names.ts";
import { checked, HistoryRead } from "../read-answers.ts";
import { chargeNotes, chargeTexts } from "../run-charge-text.ts";
import { type Column, formatInstant, renderTable } from "../table.ts";

const KINDS = ["snapshots", "runs", "audit"] as const;
type Kind = (typeof KINDS)[number];
type Item = Record<string, unknown>;

const text = (v: unknown): string =>
  v === undefined || v === null ? "—" : typeof v === "string" ? v : JSON.stringify(v);
const at = (v: unknown): string => (typeof v === "number" ? formatInstant(v) : "—");

/**
 * A run's COST: what it was charged — its USD plus the part estimated at settings prices (D1's `estimatedUsd`,
 * core/price-estimate) — and, when some of its tokens had no USD (D1's `unpricedTokens`, core/unpriced), how many and
 * which part is an estimate: "$0.00 (1,234,567 unpriced)", "$1.80 (500,000 unpriced, $1.80 estimated)", in the words
 * of `job`'s SPENT cell (cli/run-charge-text): a Codex run's $0.00 alone read as free, an estimated one's "—".
 */
function costText(i: Item): string {
  const unpriced = typeof i.unpricedTokens === "number" && i.unpricedTokens > 0 ? i.unpricedTokens : undefined;
  const estimatedUsd = typeof i.estimatedUsd === "number" && i.estimatedUsd > 0 ? i.estimatedUsd : undefined;
  if (typeof i.costUsd !== "number" && estimatedUsd === undefined) return `—${chargeNotes(unpriced, undefined)}`;
  const { charge, estimated } = chargeTexts(typeof i.costUsd === "number" ? i.costUsd : 0, estimatedUsd);
  return `${charge}${chargeNotes(unpriced, estimated)}`;
}

/**
 * A run's OUTCOME: "running" until it ends; a `budget_exceeded` run says whose budget stopped it (D1's `retryable`):
 * "(product budget)" — stopped and requeued, not counted in any success ratio — or "(job budget)", an overrun of
 * the job's own, a failure (core/run-counts `countsAs`). A row from before D1 kept it says the outcome alone.
 */
function outcomeText(i: Item): string {
  if (!i.endedAt) return "running";
  if (i.outcome !== "budget_exceeded" || typeof i.retryable !== "boolean") return text(i.outcome);
  return `budget_exceeded (${i.retryable ? "product" : "job"} budget)`;
}

/** A factory's id as its name (cli/factory-names), or `text`'s reading of what is not an id. */
type Named = (id: string) => string;
const factory = (v: unknown, named: Named): string => (typeof v === "string" && v ? named(v) : text(v));

/** The columns each kind of history is read by; `named` names a factory by its id (cli/factory-names). */
const VIEWS: Record<Kind, { columns: Column[]; row(i: Item, named: Named): string[] }> = {
  snapshots: {
    columns: [
      { header: "AT" },
      { header: "JOB" },
      { header: "REV", align: "right" },
      { header: "STAGE" },
      { header: "ATTEMPT", align: "right" },
      { header: "HOLDER" },
      { header: "TITLE", max: 40 },
    ],
    row: (i, named) => [
      at(i.at),
      text(i.jobId),
      text(i.rev),
      text(i.stage),
      text(i.attempt),
      factory(i.holderFactoryId, named),
      text(i.title),
    ],
  },
  runs: {
    columns: [
      { header: "STARTED" },
      { header: "JOB" },
      { header: "ATTEMPT", align: "right" },
      { header: "FACTORY" },
      { header: "EPOCH", align: "right" },
      { header: "OUTCOME" },
      { header: "COST", align: "right" },
      // Never cut (cli/table `wrap`): a run's message ends with why it failed.
      { header: "MESSAGE", max: 50, wrap: true },
    ],
    row: (i, named) => [
      at(i.startedAt),
      text(i.jobId),
      text(i.attempt),
      factory(i.factoryId, named),
      text(i.leaseEpoch),
      outcomeText(i),
      costText(i),
      text(i.message),
    ],
  },
  audit: {
    columns: [
      { header: "AT" },
      { header: "ACTOR" },
      { header: "ACTION" },
      { header: "TARGET" },
      { header: "DETAIL", max: 60, wrap: true },
    ],
    row: (i) => [at(i.at), text(i.actor), text(i.action), text(i.target), text(i.detail)],
  },
};

export const history: Command = {
  path: ["history"],
  args: { names: "", min: 0, max: 0 },
  summary: "show the product's history: job snapshots, runs or the audit log",
  options: {
    kind: { type: "string", value: "K", choices: KINDS, help: "snapshots (default), runs or audit" },
    job: { type: "string", value: "ID", help: "only this job" },
    limit: { type: "string", value: "N", int: { min: 1, max: 500 }, help: "at most N items (default 100)" },
    cursor: { type: "string", value: "C", help: "the rows after an earlier page (its nextCursor)" },
  },
  async run(ctx) {
    const kind = (ctx.str("kind") ?? "snapshots") as Kind;
    const cursor = ctx.str("cursor");
    const asked = { kind, jobId: ctx.str("job"), limit: ctx.int("limit"), cursor };
    const client = ctx.client();
    const page = checked(HistoryRead, await client.history(asked), "a page of history");
    if (ctx.json) ctx.emit(page);
    else if (page.items.length === 0)
      ctx.print(
        cursor
          ? `no ${kind} history after that cursor yet`
          : `no ${kind} history yet (it trails live state by a second, or up to a minute while the fleet is busy)`,
      );
    else {
      // Read only when a row names a factory (a snapshot's holder, a run's): the audit log and waiting jobs cost none.
      const held = page.items.some((i) => typeof (i.holderFactoryId ?? i.factoryId) === "string");
      const named = factoryNamer(
        held && kind !== "audit" ? await factoryNames(client, nameWaitMs(ctx.io.env)) : new Map(),
      );
      const rows = page.items.map((i) => VIEWS[kind].row(i, named));
      ctx.print(renderTable(VIEWS[kind].columns, rows, ctx.io.stdoutColumns));
    }
    // A cursor is a position only: the filter goes with it. After the last page it shows what lands later.
    const again = `history --kind ${kind}${ctx.str("job") ? ` --job ${ctx.str("job")}` : ""} --cursor ${page.nextCursor}`;
    if (!ctx.json && page.nextCursor) ctx.print(page.more ? `more: ${again}` : `later: ${again}`);
    return 0;
  },
};
