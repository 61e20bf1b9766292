/**
 * @module core/breaker-waiting
 * The words of a job's `breaker_open` wait (core/waiting-queued): each breaker's state and what ends the wait. It
 * said only "engine sample is broken on demo-gpu", while `gigafactory factories` knew "open (5s left)" and the alert
 * "open until T" — and still "is broken" while the breaker was half-open with its one trial on the factory's only
 * seat. Pure.
 */
import { DEFAULT_ENGINE } from "./breaker.ts";
import { instantWords } from "./waiting-commands.ts";
import type { BreakerNote, FleetCause } from "./waiting-fleet.ts";

type BreakerCause = Extract<FleetCause, { code: "breaker_open" }>;

/** "open until 2026-12-06T18:39:54Z, then one trial job" (UTC, to the second), or "half-open: trial job J is running". */
export function breakerStateWords(b: BreakerNote): string {
  if (b.trialJobId !== undefined) return `half-open: trial job ${b.trialJobId} is running`;
  return b.until !== undefined ? `open until ${instantWords(b.until)}, then one trial job` : "open";
}

/**
 * The message — "engine sample's breaker on demo-gpu is open until T, then one trial job — a trial job's success
 * closes it and the job runs"; under `overflow: hold`, the setting that lets it run elsewhere instead — and `until`,
 * the first open breaker's end (ms epoch; none while each is half-open with its trial out). `names` lists factories
 * as the other reasons do (cut, with a count).
 */
export function breakerWords(
  fleet: BreakerCause,
  names: (list: ReadonlyArray<{ name: string }>) => string,
): { message: string; until?: number } {
  const { factories, held } = fleet;
  // `*` is the breaker key of a job naming no engine (core/breaker): "engine *'s breaker" named none.
  const engine = fleet.engine === DEFAULT_ENGINE ? "the default engine" : `engine ${fleet.engine}`;
  const [first] = factories;
  const one = factories.length === 1 && first !== undefined;
  const head = one
    ? `${engine}'s breaker on ${first.name} is ${breakerStateWords(first)}`
    : `${engine}'s breakers hold it on ${names(factories.map((f) => ({ name: `${f.name} (${breakerStateWords(f)})` })))}`;
  const ends = held
    ? `; the overflow policy (hold) keeps the job off every other factory until ${one ? "it closes" : "they close"} — ` +
      "`gigafactory settings set overflow=route` lets it run elsewhere"
    : ` — a trial job's success closes ${one ? "it" : "one"} and the job runs`;
  const opens = factories.flatMap((f) => (f.trialJobId === undefined && f.until !== undefined ? [f.until] : []));
  return { message: head + ends, ...(opens.length > 0 ? { until: Math.min(...opens) } : {}) };
}
