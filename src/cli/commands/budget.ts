import { BudgetBody, type BudgetView } from "../../shared/api-budget.ts";
import { ApiError, coordinatorRefused, type GigafactoryClient } from "../../shared/http-client.ts";
import { decimal } from "../args.ts";
import { choiceRefusal } from "../args-hints.ts";
import type { Command, Ctx } from "../context.ts";
import { CliError, usageError } from "../errors.ts";
import { BudgetRead, checked } from "../read-answers.ts";
import { formatBudget } from "./budget-format.ts";
import { isUnset, noBudgetWords, outUnset, type UnsetAnswer, UnsetRead } from "./budget-unset.ts";

const PERIODS = ["day", "week", "month"] as const;
const ON_EXHAUSTED = ["pause", "stop"] as const;
/** A pause's or resume's answer: `changed: false` when it found nothing to do (absent from older coordinators). */
type Acted = BudgetView & { changed?: boolean };

const SET_ONE = "`gigafactory budget set day|week|month CEILING_USD`";

/**
 * The coordinator's answer that the product has no budget: its 404 problem names `what: "budget of product"`
 * (core/errors NotFoundError). An unknown product is `what: "product"` — matching the detail's words instead took a
 * product named `budget-…` that does not exist for one without a budget.
 */
function noBudget(err: unknown): err is ApiError {
  const what = err instanceof ApiError ? (err.body as { what?: unknown } | undefined)?.what : undefined;
  return coordinatorRefused(err, "not_found") && what === "budget of product";
}

/** One budget call; a missing budget becomes a not_found with the command that sets one. */
async function call(client: GigafactoryClient, method: string, path: string, json?: unknown): Promise<Acted>;
/** Pause or resume: with no budget set, an operator's pause alone (cli/commands/budget-unset). */
async function call(client: GigafactoryClient, method: "POST", path: string): Promise<Acted | UnsetAnswer>;
async function call(client: GigafactoryClient, method: string, path: string, json?: unknown) {
  try {
    const res = await client.send(method, client.productUrl(path), json === undefined ? {} : { json });
    const answer = await res.json();
    if (method === "POST" && isUnset(answer)) return checked(UnsetRead, answer, "a budget pause");
    return checked(BudgetRead, answer as Acted, "a budget");
  } catch (err) {
    if (noBudget(err)) throw new CliError("not_found", err.detail, `set one: ${SET_ONE}`);
    throw err;
  }
}

/**
 * `budget` / `budget get`: the budget, or — none set — a plain statement of that (exit 0), `null` under --json, so
 * a script reads "no budget" apart from a failure.
 */
async function show(ctx: Ctx): Promise<number> {
  const client = ctx.client();
  let b: BudgetView;
  try {
    const res = await client.send("GET", client.productUrl("/budget"), {});
    b = checked(BudgetRead, (await res.json()) as BudgetView, "a budget");
  } catch (err) {
    if (!noBudget(err)) throw err;
    // `--json` stays null (scripts read "no budget" by it); an operator's pause set without one is said in words.
    if (ctx.json) ctx.emit(null);
    else ctx.print(noBudgetWords(ctx.connection().product, (err.body as { pausedBy?: unknown }).pausedBy, SET_ONE));
    return 0;
  }
  return out(ctx, b);
}

/**
 * What exhaustion does under the budget set now (`pause` when none is): `budget set` without `--on-exhausted` keeps
 * it. Raising the ceiling mid-incident (`budget set day 50`) reset a `stop` budget to `pause`, silently turning off
 * the stop an operator chose. @throws ApiError — any failure but "no budget"
 */
async function currentOnExhausted(client: GigafactoryClient): Promise<BudgetBody["onExhausted"]> {
  try {
    const res = await client.send("GET", client.productUrl("/budget"), {});
    return checked(BudgetRead, (await res.json()) as BudgetView, "a budget").onExhausted;
  } catch (err) {
    if (noBudget(err)) return "pause";
    throw err;
  }
}

/** A ceiling's bounds, USD: the PUT body's (shared/api-budget BudgetBody `ceilingUsd`). */
const CEILING = {
  min: BudgetBody.shape.ceilingUsd.minValue ?? 0.01,
  max: BudgetBody.shape.ceilingUsd.maxValue ?? 10_000_000,
};

/** `set` words → the PUT body. @throws CliError usage — an unknown period or a ceiling that is not a number. */
export function parseBudgetSet(words: readonly string[], onExhausted = "pause"): BudgetBody {
  const [period, ceiling] = words as [string, string];
  // The parser refuses these first (the command's `choices`); the same words here, for a caller that skips it.
  if (!(PERIODS as readonly string[]).includes(period)) throw choiceRefusal("PERIOD", PERIODS, period, "budget set");
  const ceilingUsd = decimal(ceiling);
  // The coordinator's bounds (api-budget BudgetBody, read from it), said here in the argument's name: a ceiling of
  // 0.001 passed "positive" and came back as "body.ceilingUsd: Too small", a field the user never typed.
  if (ceilingUsd === undefined || ceilingUsd < CEILING.min || ceilingUsd > CEILING.max) {
    throw usageError(
      `CEILING_USD must be a number of dollars from ${CEILING.min} to ${CEILING.max}, e.g. 25 (got "${ceiling}")`,
      "budget set",
    );
  }
  if (onExhausted !== "pause" && onExhausted !== "stop") {
    throw choiceRefusal("--on-exhausted", ON_EXHAUSTED, onExhausted, "budget set");
  }
  return { period: period as BudgetBody["period"], ceilingUsd, onExhausted };
}

function out(ctx: Ctx, b: BudgetView, headline?: string): number {
  if (ctx.json) ctx.emit(b);
  else {
    if (headline) ctx.print(headline);
    ctx.print(formatBudget(b));
  }
  return 0;
}

/** A resume that lifted an operator's pause over an exhausted budget: why dispatch is still paused, what lifts it. */
const STILL_EXHAUSTED =
  "✔ Operator's pause lifted, but still paused by exhaustion: raise the ceiling, wait for the period to end, or " +
  "resume again to run over the ceiling";

const none = { names: "", min: 0, max: 0 };

export const budgetCommands: Command[] = [
  { path: ["budget"], args: none, summary: "show the product budget (same as `budget get`)", options: {}, run: show },
  {
    path: ["budget", "get"],
    args: none,
    summary: "show the product budget: spend against the ceiling, state, period, burndown",
    options: {},
    run: show,
  },
  {
    path: ["budget", "set"],
    args: { names: "PERIOD CEILING_USD", min: 2, max: 2, choices: { 0: PERIODS } },
    summary: "set the budget (operator): PERIOD day|week|month (UTC), the ceiling in USD",
    options: {
      "on-exhausted": {
        type: "string",
        value: "MODE",
        choices: ON_EXHAUSTED,
        help: "at 100 %: let running jobs finish (pause) or stop them; omitted: as set now (pause for a new budget)",
      },
    },
    async run(ctx) {
      const given = ctx.str("on-exhausted");
      parseBudgetSet(ctx.positionals, given); // a usage error says so before any request
      const body = parseBudgetSet(ctx.positionals, given ?? (await currentOnExhausted(ctx.client())));
      return out(ctx, await call(ctx.client(), "PUT", "/budget", body), "✔ Budget set");
    },
  },
  {
    path: ["budget", "pause"],
    args: none,
    summary: "pause dispatch by budget until resumed (operator); running jobs finish",
    options: {},
    async run(ctx) {
      const b = await call(ctx.client(), "POST", "/budget/pause");
      if (isUnset(b)) return outUnset(ctx, "pause", b);
      return out(ctx, b, b.changed === false ? "already paused by an operator" : "✔ Budget paused: no new dispatch");
    },
  },
  {
    path: ["budget", "resume"],
    args: none,
    summary:
      "lift one pause (operator): an operator's first; an exhausted budget's then runs over the ceiling to the period's end",
    options: {},
    async run(ctx) {
      const b = await call(ctx.client(), "POST", "/budget/resume");
      if (isUnset(b)) return outUnset(ctx, "resume", b);
      if (b.changed === false) return out(ctx, b, "already running: the budget was not paused, nothing resumed");
      return out(ctx, b, b.pausedBy === "exhausted" ? STILL_EXHAUSTED : "✔ Budget resumed");
    },
  },
];
