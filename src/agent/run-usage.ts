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
 * USD is summed in whole micro-dollars (core/budget `addUsd`). The coordinator keeps the base's tokens as one sum
 * (in + out), so they are added to `tokensIn` — and `baseTokens` says how many of it they are, their split unknown
 * (core/prices `estimateUsd` may price them as written). A field neither side has stays absent; `base` undefined (or
 * zeros) gives `engine` back as it is, with `unpricedTokens` (core/unpriced `unpricedOf`) when there are any.
 */
export function runUsage(base: RunSpent | undefined, engine: Usage): Usage {
  // The tokens no USD came for (core/unpriced), when there are any: absent reads as 0 (all priced), as from an older agent.
  const unpriced = (u: Usage, n = unpricedOf(engine, base)): Usage => (n > 0 ? { ...u, unpricedTokens: n } : u);
  if (!base || (base.usd <= 0 && base.tokens <= 0)) return unpriced(engine);
  const usage: Usage = { ...engine };
  // Capped as each part is: a sum over the protocol's bound would make the coordinator refuse the report.
  if (base.usd > 0) usage.costUsd = Math.min(addUsd(base.usd, engine.costUsd ?? 0), MAX_USD);
  if (base.tokens > 0) usage.tokensIn = Math.min(base.tokens + (engine.tokensIn ?? 0), MAX_TOKENS);
  if (base.tokens > 0) usage.baseTokens = Math.min(base.tokens, usage.tokensIn ?? 0); // part of it, capped with it
  return unpriced(usage);
}
