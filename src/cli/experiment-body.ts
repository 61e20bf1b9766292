/**
 * @module cli/experiment-body
 * The `POST …/routing/experiments` body that `gigafactory routing experiment start` sends (shared/api-routing
 * ExperimentBody), built from its options: the class, each arm's prefer/avoid rules (factory names resolved later,
 * cli/commands/routing-experiment `withFactoryIds`) and router weights (`--a-weight KEY=N`, repeatable — an arm's
 * weights override had no write path but the raw API), the split and the guardrail. Everything the API would refuse
 * for its shape is a usage error (exit 2) here, before anything is sent. Pure.
 */
import { nearestName } from "../shared/nearest-name.ts";
import { decimal } from "./args.ts";
import type { Ctx } from "./context.ts";
import { echoed, quotedInput } from "./echoed-input.ts";
import { usageError } from "./errors.ts";

const CMD = "routing experiment start";

/** The router weights an arm may set (core/settings WeightsPatchSchema but `starvation`, which orders the whole queue). */
export const ARM_WEIGHT_KEYS = ["capabilityFit", "affinity", "load", "costFit", "health", "track"] as const;
/** core/settings `Weight`: a router weight is a number from 0 to 100. */
const WEIGHT_MAX = 100;

function num(ctx: Pick<Ctx, "str">, name: string, fallback: number, min: number, max: number): number {
  const raw = ctx.str(name);
  if (raw === undefined) return fallback;
  const n = decimal(raw);
  if (n === undefined || n < min || n > max) throw usageError(`--${name} must be a number in [${min}, ${max}]`, CMD);
  return n;
}

/** `--split`, strictly inside (0, 1): at 0 or 1 one arm never gets a job and the guardrail never looks. */
function split(ctx: Pick<Ctx, "str">): number {
  const n = num(ctx, "split", 0.5, 0, 1);
  if (n === 0 || n === 1) throw usageError("--split must be above 0 and below 1: both arms need jobs", CMD);
  return n;
}

/**
 * One arm's `--a-weight KEY=N` values as `{KEY: N}` (undefined when none was given).
 * @throws CliError usage — not KEY=N, a key that is no arm's weight (`starvation` said apart), a value not from 0 to
 *   100, or one key set twice
 */
export function armWeights(flag: string, values: readonly string[]): Record<string, number> | undefined {
  if (values.length === 0) return undefined;
  const weights: Record<string, number> = {};
  for (const raw of values) {
    const at = raw.indexOf("=");
    if (at <= 0) throw usageError(`--${flag}: ${quotedInput(raw)} is not KEY=N (e.g. load=2)`, CMD);
    const key = raw.slice(0, at);
    if (key === "starvation")
      throw usageError(`--${flag}: an arm cannot set starvation: it orders the whole product's queue`, CMD);
    if (!(ARM_WEIGHT_KEYS as readonly string[]).includes(key)) {
      const near = nearestName(key, ARM_WEIGHT_KEYS);
      const hint = near ? `; did you mean "${near}"?` : ` (one of ${ARM_WEIGHT_KEYS.join(", ")})`;
      throw usageError(`--${flag}: ${quotedInput(key)} is not a router weight${hint}`, CMD);
    }
    const n = decimal(raw.slice(at + 1));
    if (n === undefined || n < 0 || n > WEIGHT_MAX)
      throw usageError(`--${flag} ${echoed(raw)}: the weight must be a number from 0 to ${WEIGHT_MAX}`, CMD);
    if (Object.hasOwn(weights, key)) throw usageError(`--${flag} sets ${key} twice: give each weight once`, CMD);
    weights[key] = n;
  }
  return weights;
}

/** The `POST …/routing/experiments` body from the start command's options (rules' factories as given). */
export function experimentBody(ctx: Pick<Ctx, "str" | "strs" | "int">): Record<string, unknown> {
  const jobClass = ctx.str("class");
  if (!jobClass) throw usageError("--class is required (a job class like lang:rust|class:docs)", CMD);
  const arm = (a: "a" | "b") => {
    const rules = [
      ...ctx.strs(`${a}-prefer`).map((factoryId) => ({ factoryId, effect: "prefer" })),
      ...ctx.strs(`${a}-avoid`).map((factoryId) => ({ factoryId, effect: "avoid" })),
    ];
    const weights = armWeights(`${a}-weight`, ctx.strs(`${a}-weight`));
    return { ...(rules.length ? { rules } : {}), ...(weights ? { weights } : {}) };
  };
  const metric = ctx.str("metric") ?? "success_rate";
  const margin = num(ctx, "margin", metric === "cost" ? 0.05 : 0.1, 0, 1_000);
  // A difference of two rates is below 1: a margin of 1 or more could never stop the experiment (the API refuses it).
  if (metric === "success_rate" && margin >= 1)
    throw usageError("--margin for success_rate is a difference of rates: below 1 (e.g. 0.1)", CMD);
  return {
    jobClass,
    arms: { A: arm("a"), B: arm("b") },
    split: split(ctx),
    guardrail: {
      metric,
      margin,
      confidence: num(ctx, "confidence", 0.95, 0.5, 0.9999),
    },
    minSamples: ctx.int("min-samples") ?? 20,
  };
}
