// learned.js — pure text and data helpers for learned routing in the dashboard (issue 11 part 5): a factory's track
// records as short lines for its fleet card, the learned term's evidence for the explain panel, and an experiment's
// per-arm time series as uPlot columns. No DOM, no fetch: unit-tested in Node (test/unit/dashboard-learned.test.ts).

import { wholePercent } from "./format.js";
import { usdText } from "./usd.js";

/** Percent, whole. @param {number} x in [0, 1] */
const pct = (x) => `${wholePercent(x)} %`;

/** The engine as people read it: `*` is the factory's default engine. @param {string} e */
export const engineLabel = (e) => (e === "*" ? "default engine" : e);

/**
 * A job class as a reader reads it: the class of a job that requires nothing and names no class is stored as `-`
 * (core/track-record jobClassOf), which a card showed bare ("sample · -"); the `-` stays, as rules and the CLI spell it.
 * @param {string} c
 */
export const classLabel = (c) => (c === "-" ? "no class (-)" : c);

/**
 * How long a run takes to count half as much in a track record, in ms: core/track-record HALF_LIFE_MS (7 days),
 * mirrored (test/unit/dashboard-learned.test.ts holds the two equal) so a card decays a record as the router does.
 */
export const TRACK_HALF_LIFE_MS = 7 * 24 * 3_600_000;

/**
 * The success rate the router weighs for a stored record at `now`: its successes and failures decayed from its
 * `updatedAt` to `now`, then the Beta(1, 1) posterior mean (s + 1) / (s + f + 2) — core/track-term's `successRate`
 * of `decayTo(record, now)`, the number explain shows. A record with no `updatedAt` is taken as of `now`.
 * @param {{ successes?: number | null, failures?: number | null, updatedAt?: number | null }} r
 * @param {number} now ms epoch
 * @returns {number} in (0, 1)
 */
export function routerEstimate(r, now) {
  const elapsed = typeof r.updatedAt === "number" ? now - r.updatedAt : 0;
  const d = elapsed <= 0 ? 1 : 2 ** (-elapsed / TRACK_HALF_LIFE_MS);
  const s = (r.successes ?? 0) * d;
  const f = (r.failures ?? 0) * d;
  return (s + 1) / (s + f + 2);
}

/**
 * What the two rates of a track line are, for its tooltip: the card showed the raw share ("100 % ok") and explain
 * the router's estimate ("success 80 %") of one record with no word on why they differ.
 */
export const TRACK_RATES_HELP =
  "ok: the share of its runs that succeeded, recent runs weighing more. Router's estimate: the success rate the " +
  "router weighs (as Explain shows it), which starts from one imagined success and one failure, so a factory with " +
  "few runs never reads as perfect.";

/**
 * One line per stored track record of `factoryId` (GET …/routing/track-records), most samples first, at most `max`:
 * "codex · lang:rust — 92 % ok (n=12) · router's estimate 88 % · $0.40/run" — the raw share (decayed successes over
 * decayed runs), and the router's own estimate at `now` (`routerEstimate`), named as such.
 * @param {Array<{factoryId: string, engine: string, jobClass: string, record: any}>} records
 * @param {string} factoryId
 * @param {number} [max]
 * @param {number} [now] ms epoch
 * @returns {Array<{key: string, text: string, rate: number, estimate: number, n: number}>}
 */
export function trackLines(records, factoryId, max = 4, now = Date.now()) {
  return records
    .filter((r) => r.factoryId === factoryId)
    .map((r) => {
      const s = r.record.successes ?? 0;
      const f = r.record.failures ?? 0;
      const rate = s + f > 0 ? s / (s + f) : 0;
      const estimate = routerEstimate(r.record, now);
      const n = r.record.n ?? 0;
      const cost = r.record.costUsd?.w > 0 ? ` · ${usdText(r.record.costUsd.mean)}/run` : "";
      const key = `${r.engine}|${r.jobClass}`;
      const head = `${engineLabel(r.engine)} · ${classLabel(r.jobClass)} — ${pct(rate)} ok (n=${n})`;
      return { key, n, rate, estimate, text: `${head} · router's estimate ${pct(estimate)}${cost}` };
    })
    .sort((a, b) => b.n - a.n || (a.key < b.key ? -1 : 1))
    .slice(0, max);
}

/**
 * The learned term's evidence of one explain candidate, as one sentence.
 * @param {{n: number, effectiveN?: number, neutral: boolean, jobClass: string, engine: string, successRate?: number, ci95?: [number, number], costUsd?: number}} t
 */
export function trackEvidence(t) {
  // Min n is held to the decayed weight (effectiveN), not n: "n=12 — neutral (too few runs)" would contradict itself.
  const faded = t.effectiveN !== undefined && t.effectiveN !== t.n ? ` (weighing ${t.effectiveN} after decay)` : "";
  const head = `learned (${engineLabel(t.engine)} · ${classLabel(t.jobClass)}): n=${t.n}${faded}`;
  if (t.neutral) return `${head} — neutral (too few runs to judge)`;
  // Named as the router's estimate (Beta(1, 1) posterior mean), as the fleet card names it beside its raw share.
  const rate = t.successRate === undefined ? "" : ` · router's estimate ${pct(t.successRate)} ok`;
  const ci = t.ci95 ? ` (95 % ${pct(t.ci95[0])}–${pct(t.ci95[1])})` : "";
  const cost = t.costUsd === undefined ? "" : ` · ${usdText(t.costUsd)}/run`;
  return `${head}${rate}${ci}${cost}`;
}

/**
 * An experiment's series (GET …/routing/experiments/{id} `series`) as uPlot columns: x in seconds, then arm A's and
 * arm B's cumulative counted jobs (one outcome each), then their success rates in percent (null before an arm's first).
 * @param {Array<{at: number, A: {n: number, successes: number}, B: {n: number, successes: number}}>} series
 * @returns {[number[], number[], number[], Array<number | null>, Array<number | null>]}
 */
export function armColumns(series) {
  const rate = (/** @type {{n: number, successes: number}} */ a) =>
    a.n > 0 ? Math.round((a.successes / a.n) * 1000) / 10 : null;
  return [
    series.map((p) => p.at / 1000),
    series.map((p) => p.A.n),
    series.map((p) => p.B.n),
    series.map((p) => rate(p.A)),
    series.map((p) => rate(p.B)),
  ];
}

/**
 * The decision as one sentence, or where the experiment stands.
 * @param {{status: string, decision: null | {by: string, winner?: string, reason: string}}} e
 */
export function decisionText(e) {
  const d = e.decision;
  if (!d) return e.status === "running" ? "Running: no decision yet." : e.status;
  const who = d.by === "guardrail" ? "Guardrail" : "Operator";
  return `${who}: ${d.winner ? `arm ${d.winner} wins — ` : ""}${d.reason}`;
}
