/**
 * @module cli/read-answers-explain
 * What `explain ID` reads from the router's explanation (cli/commands/explain `renderExplanation`), as a zod schema
 * for `checked` (cli/read-answers): a foreign answer crashed as `✘ ERROR internal: Cannot read properties of
 * undefined (reading 'toFixed') / this is a CLI bug`. Only what is rendered, with the types it is rendered as (a
 * number it calls `toFixed` on is a number, never null); unknown keys allowed, and `--json` prints the answer whole.
 */
import { z } from "zod";

const num = z.number();
const str = z.string();
/** Absent, or null, both read as "none" by the renderer (`?.`, `??`, `if`). */
const maybe = <T extends z.ZodType>(t: T) => t.nullable().optional();

const term = z.object({ raw: num, weight: num, contribution: num });

/** The learned term's evidence (cli/commands/explain `trackLine`): its optional numbers are absent, never null. */
const track = z.object({
  engine: str,
  jobClass: str,
  n: num,
  effectiveN: num.optional(),
  successRate: num.optional(),
  ci95: maybe(z.tuple([num, num])),
  costUsd: num.optional(),
  durationMinutes: num.optional(),
  neutral: z.boolean().optional(),
});

const ranked = z.object({
  factoryId: str,
  factoryName: str,
  score: num,
  terms: z.record(str, term),
  track: maybe(track),
  rules: maybe(z.object({ rules: z.array(z.object({ id: str, effect: str, reason: str })), adjustment: num })),
  trial: z.boolean().optional(), // a half-open breaker's trial: ranked after every closed factory
});

const waiting = maybe(z.object({ code: str, message: str, since: num, detail: z.record(str, z.unknown()) }));

/** `explain ID`. */
export const ExplanationRead = z.object({
  jobId: str,
  stage: str,
  priority: str,
  urgency: num,
  at: num,
  holderFactoryId: maybe(str),
  routingPolicy: maybe(z.object({ experimentId: str, arm: str, as: str })),
  waitingReason: waiting,
  preemption: maybe(
    z.object({
      preemptedBy: maybe(str),
      preemptedAt: maybe(num),
      wouldPreempt: maybe(z.object({ victimId: str, victimPriority: str, factoryId: str })),
    }),
  ),
  ranked: z.array(ranked),
  rejected: z.array(z.object({ factoryId: str, factoryName: str, reasons: z.array(str), disconnectedAt: maybe(num) })),
  exclusions: maybe(z.array(z.object({ factoryId: str, kind: str, strikes: num, until: num }))),
});
