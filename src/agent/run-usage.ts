/**
 * @module agent/run-usage
 * A resumed run's usage as the agent reports it: what the coordinator has charged the run so far (a `welcome` lease's
 * `runSpent`) folded into a fresh engine's own cumulative usage, whose count starts at 0. Kept apart from the meter
 * that calls it (agent/insights `UsageMeter`): the fold is the one rule of a resumed lease's spend, read by its tests.
 */
import { addUsd } from "../core/budget.ts";
import type { RunSpent } from "../core/job-budget.ts";
import { unpricedOf } from "../core/unpriced.ts";
import { MAX_TOKENS, MAX_USD } from "./engine-formats.ts";
import type { Usage } from "./insights.ts";

/**
 * The run's cumulative usage when its engine is not the run's first: `base`, what the coordinator has charged the run
 * so far (`welcome.leases[].runSpent`: earlier engines of this lease, in an agent process that died), plus `engine`,
 * the fresh engine's own cumulative usage, whose count starts at 0. The coordinator charges only what a report adds
 * over the run's high-water mark, so the engine's usage alone stayed under it and went uncharged.
 * USD is summed in whole micro-dollars (core/budget `addUsd`). The base's tokens are folded by `foldTokens`. A field
 * neither side has stays absent; `base` undefined (or zeros) gives `engine` back as it is, with `unpricedTokens`
 * (core/unpriced `unpricedOf`) when there are any.
 */
export function runUsage(base: RunSpent | undefined, engine: Usage): Usage {
  // The tokens no USD came for (core/unpriced), when there are any: absent reads as 0 (all priced), as from an older agent.
  const unpriced = (u: Usage, n = unpricedOf(engine, base)): Usage => (n > 0 ? { ...u, unpricedTokens: n } : u);
  if (!base || (base.usd <= 0 && base.tokens <= 0)) return unpriced(engine);
  const usage: Usage = { ...engine };
  // Capped as each part is: a sum over the protocol's bound would make the coordinator refuse the report.
  if (base.usd > 0) usage.costUsd = Math.min(addUsd(base.usd, engine.costUsd ?? 0), MAX_USD);
  if (base.tokens > 0) Object.assign(usage, foldTokens(base, engine));
  return unpriced(usage);
}

/** `n` plus the engine's `own` count, capped at the wire's bound; undefined when neither side has any (field absent). */
const plus = (n: number, own: number | undefined): number | undefined =>
  n > 0 || own !== undefined ? Math.min(n + (own ?? 0), MAX_TOKENS) : undefined;

/**
 * The base's tokens (`base.tokens` > 0) added to the engine's: by side when the coordinator kept the run's written
 * part (`base.tokensOut`, cut to `base.tokens`: never more written than spent, whatever a coordinator sends) — the
 * split known, the estimate prices them exactly (core/prices `estimateUsd`) and no `baseTokens` is said — unless the
 * base is priced (USD > 0: its tokens none of those the estimate prices), which goes on `tokensIn`. From an older
 * coordinator, or a run whose split it does not know, the sum goes on `tokensIn` and, when the base is unpriced (its
 * tokens among those the estimate prices: core/unpriced `unpricedOf`), `baseTokens` says how many, so the estimate
 * counts them as written, erring high. A priced base says none: it would count the fresh engine's unpriced tokens as
 * written up to the base's size. `baseTokens` is capped with the `tokensIn` it is part of.
 * @returns the report's `tokensIn`, `tokensOut` and `baseTokens`, each a whole count ≤ MAX_TOKENS or absent
 */
function foldTokens(base: RunSpent, engine: Usage): Pick<Usage, "tokensIn" | "tokensOut" | "baseTokens"> {
  // A priced base stays on tokensIn whatever its split: by side, its written tokens would widen how many of the
  // fresh engine's unpriced tokens the estimate may count as written (core/prices `estimateUsd`), charging too much.
  if (base.tokensOut !== undefined && base.usd <= 0) {
    const out = Math.min(Math.max(0, base.tokensOut), base.tokens);
    const sides = { tokensIn: plus(base.tokens - out, engine.tokensIn), tokensOut: plus(out, engine.tokensOut) };
    return Object.fromEntries(Object.entries(sides).filter(([, n]) => n !== undefined));
  }
  const tokensIn = Math.min(base.tokens + (engine.tokensIn ?? 0), MAX_TOKENS);
  return base.usd > 0 ? { tokensIn } : { tokensIn, baseTokens: Math.min(base.tokens, tokensIn) };
}
