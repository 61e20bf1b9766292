/**
 * @module cli/commands/explain
 * `gigafactory explain ID`: why the router would send a job where it would —
 * each eligible factory best-first with every score term as
 * `raw × weight = contribution` (`− raw` for a penalty, `(raw − 0.5)` for a centred term), each rejected factory with the filters it
 * failed in words (core/filter-words; a lost link with how long ago), their codes in brackets, and the factories that lost this job's lease with their backoff
 * (exclusions), and preemption: by whom it was evicted, whom it would evict. A job a factory holds reads as running
 * on it (by name), its ranking as what a new dispatch would see.
 * Under --json: the API's explanation, unchanged.
 */
import { filterWords } from "../../core/filter-words.ts";
import { TRIAL_ONLY_WORDS } from "../../core/half-open-trial.ts";
import { usdText } from "../../core/usd-text.ts";
import type { Candidate, Explanation } from "../../shared/http-client.ts";
import type { Command } from "../context.ts";
import { decimalsOrSignificant, decimalsOrStored, percentNumber } from "../number-text.ts";
import { checked } from "../read-answers.ts";
import { ExplanationRead } from "../read-answers-explain.ts";
import { inlined, inlineRows } from "../read-answers-ops.ts";
import { formatAge, formatInstant, renderTable } from "../table.ts";
import { waitingLines } from "../waiting.ts";

/**
 * Three decimals: scores are sums of terms in [0, 1.5]; finer digits are float noise, not signal. A term's WEIGHT is
 * the operator's setting, not a sum: shown whole when finer (cli/number-text `decimalsOrStored`).
 */
const num = (x: number): string => x.toFixed(3);
const signed = (x: number): string => (x < 0 ? `−${num(-x)}` : `+${num(x)}`);

const pct = (x: number): string => `${percentNumber(x)} %`;

/**
 * The learned term's evidence (issue 11): n (and its decayed weight when less), success rate with its 95 % interval,
 * cost and time per run.
 */
export function trackLine(c: Candidate): string | undefined {
  const t = c.track;
  if (!t) return undefined;
  if (t.n === 0) return inlined`track: no history for ${t.engine} / ${t.jobClass} (neutral)`;
  // Min n is held to the decayed weight (effectiveN), not n: "n=12 (neutral: too few runs)" would contradict itself.
  const faded = t.effectiveN !== undefined && t.effectiveN !== t.n ? ` (weighing ${t.effectiveN} after decay)` : "";
  const parts = [`n=${t.n}${faded}`];
  if (t.successRate !== undefined) parts.push(`success ${pct(t.successRate)}`);
  if (t.ci95) parts.push(`95 % ${pct(t.ci95[0])}–${pct(t.ci95[1])}`);
  if (t.costUsd !== undefined) parts.push(`${usdText(t.costUsd)}/run`);
  if (t.durationMinutes !== undefined) parts.push(`${decimalsOrSignificant(t.durationMinutes, 1)} min/run`);
  return `track: ${parts.join(", ")}${t.neutral ? " (neutral: too few runs)" : ""}`;
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * A term's RAW cell, written so that the row reads as the header does, `RAW × WEIGHT = CONTRIBUTION`: a penalty
 * (starvation) is subtracted, so its raw reads "− 0.990" (`− 0.990 × 2.500 = −2.475`); a term centred on a neutral
 * value (track: raw − 0.5) reads "(0.300 − 0.500)". The offset is read off the numbers, not a list of term names,
 * so a new term cannot be shown as a plain product it is not.
 */
export function rawCell(t: { raw: number; weight: number; contribution: number }): string {
  const product = t.raw * t.weight;
  if (close(t.contribution, product)) return num(t.raw);
  if (close(t.contribution, -product)) return `− ${num(t.raw)}`;
  if (t.weight === 0) return num(t.raw);
  const offset = t.raw - t.contribution / t.weight;
  return `(${num(t.raw)} ${offset < 0 ? "+" : "−"} ${num(Math.abs(offset))})`;
}

function termRows(c: Candidate): string[][] {
  return inlineRows(
    Object.entries(c.terms).map(([term, t]) => [
      term,
      rawCell(t),
      decimalsOrStored(t.weight, 3),
      signed(t.contribution),
    ]),
  );
}

/**
 * A factory as everything else names it, `name (id)`, its name read off the explanation's own candidates (every
 * factory the router looked at is ranked or rejected); the id alone for one it did not look at (revoked since).
 */
function namer(e: Explanation): (id: string) => string {
  const names = new Map([...e.ranked, ...e.rejected].map((c) => [c.factoryId, c.factoryName]));
  return (id) => {
    const name = names.get(id);
    return name === undefined ? id : `${name} (${id})`;
  };
}

/** Stages the router places a job from; in any other the ranking is what a new dispatch would see, not a wait. */
const ROUTED: ReadonlySet<string> = new Set(["queued", "blocked"]);

/** How a held job's line reads: by its stage (a lease holds it in assigned and building only). */
const HELD: Readonly<Record<string, string>> = { assigned: "assigned to", building: "running on" };

/**
 * The explanation as `explain ID` prints it. A job a factory holds reads "running on NAME (ID)" (assigned: "assigned
 * to"), and for it — or any stage the router does not place from — the ranking is said to be what a new dispatch
 * would see, the holder's `no_free_seat` is said to be this job's seat: it printed "RANKED (0) no eligible factory"
 * and "demo-gpu: no_free_seat" for a job running fine on demo-gpu.
 */
export function renderExplanation(e: Explanation): string {
  const named = namer(e);
  const holder = e.holderFactoryId ?? undefined;
  const out: string[] = [
    inlined`job ${e.jobId}  stage ${e.stage}  priority ${e.priority}  urgency ${num(e.urgency)}  at ${formatInstant(e.at)}`,
  ];
  if (holder) out.push(`${HELD[e.stage] ?? "held by"} ${inlined`${named(holder)}`}`);
  const rp = e.routingPolicy;
  if (rp)
    out.push(
      inlined`routed by experiment ${rp.experimentId} arm ${rp.arm}` + (rp.as === "winner" ? " (the winner)" : ""),
    );
  const waiting = waitingLines(e.waitingReason, e.at, [], e.jobId);
  if (waiting) out.push(waiting);
  const p = e.preemption;
  if (p?.preemptedBy) out.push(inlined`preempted by ${p.preemptedBy} at ${formatInstant(p.preemptedAt ?? e.at)}`);
  const w = p?.wouldPreempt;
  if (w) out.push(inlined`would preempt ${w.victimId} (${w.victimPriority}) on ${named(w.factoryId)}`);
  const routed = !holder && ROUTED.has(e.stage);
  if (!routed) {
    const why = holder ? "a factory holds it" : inlined`at stage ${e.stage}`;
    out.push("", `The ranking below is what a new dispatch would see now; the job is not being routed (${why}).`);
  }
  out.push("", `RANKED (${e.ranked.length})`);
  if (e.ranked.length === 0) out.push(routed ? "  no eligible factory" : "  none");
  e.ranked.forEach((c, i) => {
    out.push(inlined`  #${i + 1}  ${c.factoryName} (${c.factoryId})  score ${num(c.score)}`);
    // Why a higher score may rank below a closed host: its run would be its breaker's one trial (core/half-open-trial).
    if (c.trial) out.push(`      ${TRIAL_ONLY_WORDS}`);
    const table = renderTable(
      [
        { header: "TERM" },
        { header: "RAW", align: "right" },
        { header: "× WEIGHT", align: "right" },
        { header: "= CONTRIBUTION", align: "right" },
      ],
      termRows(c),
    );
    // One string, not push(...) of a line each: an answer's terms are its own, and past ~125,000 arguments overflow.
    out.push(table.replace(/^/gm, "      "));
    const track = trackLine(c);
    if (track) out.push(`      ${track}`);
    for (const r of c.rules?.rules ?? []) out.push(inlined`      rule ${r.id}: ${r.effect} (${r.reason})`);
    if (c.rules) out.push(`      rules adjust the score by ${signed(c.rules.adjustment)}`);
  });
  out.push("", `REJECTED (${e.rejected.length})`);
  if (e.rejected.length === 0) out.push("  none");
  for (const c of e.rejected) out.push(rejectedLine(c, e.at, c.factoryId === holder));
  const exclusions = e.exclusions ?? [];
  if (exclusions.length > 0) {
    out.push("", `EXCLUSIONS (${exclusions.length}) — factories that lost this job's lease`);
    for (const x of exclusions) {
      const state = x.until > e.at ? `excluded until ${formatInstant(x.until)}` : "backoff over";
      out.push(inlined`  ${named(x.factoryId)}: ${x.kind}, strike ${x.strikes}, ${state}`);
    }
  }
  return out.join("\n");
}

/**
 * A rejected factory's line: its refusals in words (core/filter-words; a lost link with how long before `at`, ms
 * epoch), then their codes in brackets — what `--json` and scripts match. `holds`: the job's own holder, whose
 * `no_free_seat` is this job's seat: said so, not left to read as why the job cannot run.
 */
export function rejectedLine(c: Candidate & { disconnectedAt?: number | null }, at: number, holds: boolean): string {
  const lost = typeof c.disconnectedAt === "number" ? `${formatAge(c.disconnectedAt, at)} ago` : undefined;
  const words = c.reasons.map((r) => {
    const said = filterWords(r, r === "factory_disconnected" ? lost : undefined);
    return holds && r === "no_free_seat" ? `${said} (this job holds one of its seats)` : said;
  });
  return inlined`  ${c.factoryName} (${c.factoryId}): ${words.join("; ")}  [${c.reasons.join(", ")}]`;
}

export const explain: Command = {
  path: ["explain"],
  args: { names: "ID", min: 1, max: 1 },
  jobIdArg: true,
  summary: "show how the router ranks the factories for a job, term by term",
  options: {},
  async run(ctx) {
    const e = checked(ExplanationRead, await ctx.client().explain(ctx.positionals[0]!), "a job's routing explanation");
    if (ctx.json) ctx.emit(e);
    else ctx.print(renderExplanation(e));
    return 0;
  },
};
