/**
 * @module cli/settings-text
 * The product's settings as `gigafactory settings` prints them (`formatSettings`): one aligned `key  value` line per
 * setting, units spelled out, each value on its key's line whatever text it quotes; every number as stored
 * (cli/number-text `storedNumber`: a weight of 1e-7 is `1e-7`, not the `0` six decimals made of it).
 */

import { counted } from "../core/counted.ts";
import type { SettingsAnswer } from "../shared/http-client.ts";
import { storedNumber as num } from "./number-text.ts";
import { lineOf } from "./read-answers-policy.ts";
import { NONE } from "./table.ts";

/** What each overflow mode does; a mode this CLI does not know (a newer coordinator's) shows as it came, never as `route`. */
const OVERFLOW = new Map([
  ["hold", "hold (a job waits while its engine's breaker is open on a factory that could take it)"],
  ["route", "route (a job goes to another factory while its engine's breaker is open)"],
]);

/**
 * The price table (core/prices) in one line: `codex in $1.25 · out $10 per million tokens · * (default engine) …`;
 * none set (or an older coordinator's answer without it): unpriced tokens stay uncharged, and the line says so.
 */
function pricesText(prices: SettingsAnswer["prices"] | undefined): string {
  const rows = Object.entries(prices ?? {}).map(
    ([engine, p]) =>
      `${engine === "*" ? "* (default engine)" : engine} in $${num(p.usdPerMillionIn)} · out $${num(p.usdPerMillionOut)}`,
  );
  if (rows.length === 0) return `${NONE} (tokens with no USD are not charged)`;
  return `${rows.join(" · ")} per million tokens (charged as an estimate until the engine reports USD)`;
}

/** The settings as aligned `key  value` lines, units spelled out. */
export function formatSettings(s: SettingsAnswer): string {
  // A count with its noun in the number's agreement ("after 1 failure": `${num(n)} failures` said "1 failures").
  const count = (n: number, noun: string) => counted(n, noun);
  const rows: Array<[string, string]> = [
    ["preemption", s.preemption ? "on (a critical job may stop a lower-priority one)" : "off"],
    ["leaseTtlSeconds", `${num(s.leaseTtlSeconds)} s (a manifest's own leaseTtlSeconds wins)`],
    ["agingHorizonMinutes", `${num(s.agingHorizonMinutes)} min`],
    // Whether a low job is still assigned within a bound under a stream of high ones (core/aging): "off: …" if not.
    ...(s.aging ? [["aging", s.aging.message] as [string, string]] : []),
    ["retry", `base ${num(s.retry.baseSeconds)} s · max ${num(s.retry.maxSeconds)} s · jitter ${num(s.retry.jitter)}`],
    [
      "weights",
      Object.entries(s.weights)
        .map(([k, v]) => `${k} ${num(v)}`)
        .join(" · "),
    ],
    ["frozenSerialKeys", s.frozenSerialKeys.length ? s.frozenSerialKeys.join(", ") : NONE],
    ["budgetPaused", s.budgetPaused ? "yes: dispatch is paused" : "no"],
    ["overflow", OVERFLOW.get(s.overflow) ?? s.overflow],
    [
      "breaker",
      `open after ${count(s.breaker.failureThreshold, "failure")} · cool-down ${num(s.breaker.coolDownSeconds)} s, ` +
        `doubling up to ${num(s.breaker.maxCoolDownSeconds)} s`,
    ],
    [
      "errorBudget",
      `quarantine after more than ${count(s.errorBudget.maxFailures, "failure")} in ${num(s.errorBudget.windowMinutes)} min`,
    ],
    [
      "health",
      `stuck after ${num(s.health.stuckAfterMinutes)} min · starving after ${num(s.health.starvingAfterMinutes)} min` +
        ` · expected finish every ${num(s.health.expectedFinishIntervalMinutes)} min`,
    ],
    [
      "routing",
      `track term optimises ${s.routing.objective} · a record counts from ${count(s.routing.minSamples, "run")}`,
    ],
    ["prices", pricesText(s.prices)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  // A value quotes the server's text (a frozen key, the aging message, a weight's name): each stays on its key's line.
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${lineOf(v)}`).join("\n");
}
