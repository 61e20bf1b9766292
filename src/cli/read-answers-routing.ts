/**
 * @module cli/read-answers-routing
 * What the learned-routing commands read from their 2xx answers (`routing recs|apply|rules|unapply|rebuild`,
 * `routing experiment start|stop|show`), as zod schemas in the style of cli/read-answers: the fields each renders,
 * with the types it renders them as, unknown keys allowed, nothing stripped. Unchecked, another service's
 * `{"ok": true}` crashed `routing recs` as a CLI bug, printed `✔ removed rule undefined (undefined undefined)` with
 * exit 0, and `routing apply` posted a rule built from recommendations it could not read.
 */
import { z } from "zod";

const num = z.number();
const str = z.string();
/** Absent, or null, both read as "none" by the renderers (`??`). */
const maybe = <T extends z.ZodType>(t: T) => t.nullable().optional();

/**
 * `routing recs`, and the read `routing apply` makes before its write: the finding's `rule` is sent back as the new
 * rule's body, so it must be one (an object naming a factory and an effect) before anything is posted.
 */
export const RecommendationsRead = z.object({
  recommendations: z.array(
    z.object({
      id: str,
      kind: str,
      message: str,
      appliedAs: maybe(str),
      rule: z.object({ factoryId: str, effect: str }),
    }),
  ),
});

/** A rule as `routing apply` and `routing unapply` print it. */
export const RuleRead = z.object({ id: str, effect: str, factoryId: str });

/** `routing rules` (cli/commands/routing `formatRules`): absent engine or class read as "any". */
export const RulesRead = z.object({
  rules: z.array(RuleRead.extend({ engine: maybe(str), jobClass: maybe(str), reason: str })),
});

/** `routing rebuild`. */
export const RebuildRead = z.object({ counted: num, skipped: num, chunks: num });

/** `routing experiment start`: what its ✔ line names. */
export const ExperimentStartedRead = z.object({ id: str, jobClass: str });

const arm = z.object({
  n: num,
  successes: num,
  successRate: num.nullable(),
  meanCostUsd: num.nullable(),
  policy: z.unknown(),
});

/**
 * One experiment (cli/commands/routing-experiment `formatExperiment`); `changed` on a stop's answer. When it started,
 * who started it and its sample floor are shown as "—" when absent (an answer of an older shape), as the decision's
 * instant is.
 */
export const ExperimentRead = z.object({
  id: str,
  jobClass: str,
  status: str,
  split: num,
  guardrail: z.object({ metric: str, margin: num, confidence: num }),
  minSamples: maybe(num),
  startedAt: maybe(num),
  startedBy: maybe(str),
  looks: num,
  arms: z.object({ A: arm, B: arm }),
  decision: z.object({ at: maybe(num), by: str, winner: maybe(str), reason: str }).nullable(),
  changed: z.boolean().optional(),
});

/**
 * `routing experiment start`'s read of the fleet, made only to turn factory names into ids before its write: an
 * answer that is not factories is refused before the experiment is posted.
 */
export const FactoryRefsRead = z.object({
  factories: z.array(z.object({ id: str, name: str, status: str.optional() })),
});

/** `routing experiment show` without an id. */
export const ExperimentsRead = z.object({ experiments: z.array(ExperimentRead) });
