/**
 * @module core/waiting-excluded
 * The `excluded` waiting reason in words a newcomer can act on: which factories are kept from the job, until when,
 * what each did (its lease expired, it handed the job back, it refused it), what the last refusal said when the
 * job's runs carry it, and the step that ends the wait — "kept from build-1, build-2 until T: each refused the job"
 * named neither the cause nor a fix, and the job waited a day of doubling backoffs (core/exclusions).
 */
import type { Job } from "./model.ts";
import { instantWords } from "./waiting-commands.ts";
import type { FleetCause } from "./waiting-fleet.ts";

/**
 * What each kept factory did (core/exclusions LossKind), in words — one factory, then several: "after a lost lease"
 * was said of a factory that had refused the job (engine missing: 15 min doubling to a day) or handed it back too.
 */
const LOSS_WORDS: Readonly<Record<string, readonly [string, string]>> = {
  expired: ["its lease there expired", "their leases there expired"],
  released: ["it handed the job back", "each handed the job back"],
  rejected: ["it refused the job", "each refused the job"],
};

/**
 * The prefixes of a run's result message when its factory gave the job back (coordinator/factories/frames: `reject`
 * and `release` frames), each with its reason after it. A run that ended otherwise (a failure, a timeout) says
 * nothing of why a factory is kept from the job, so its message is never quoted as one.
 */
const GIVEN_BACK = ["rejected by factory: ", "released by factory: "] as const;

/**
 * The most characters of a factory's own reason quoted (an agent's message may carry a whole stack): a list page
 * carries a reason per job, and the reason's line is what an operator reads, not the agent's log.
 */
export const MAX_REFUSAL_CHARS = 160;

/**
 * What the factory that last gave the job back said, from `message` (the job's last ended run's result message),
 * on one line and at most MAX_REFUSAL_CHARS; undefined when that run did not end by a factory giving it back.
 */
export function refusalOf(message: string | undefined): string | undefined {
  const prefix = GIVEN_BACK.find((p) => message?.startsWith(p));
  if (!prefix || message === undefined) return undefined;
  const said = message.slice(prefix.length).replace(/\s+/g, " ").trim();
  if (said === "") return undefined;
  return said.length > MAX_REFUSAL_CHARS ? `${said.slice(0, MAX_REFUSAL_CHARS - 1)}…` : said;
}

function lossWords(fleet: Extract<FleetCause, { code: "excluded" }>): string {
  return lossWordsOf(fleet.factories);
}

/** What the kept factories did, in words ("its lease there expired", "each refused the job"). */
export function lossWordsOf(kept: ReadonlyArray<{ kind: string }>): string {
  const kinds = new Set(kept.map((f) => f.kind));
  const words = kinds.size === 1 ? LOSS_WORDS[[...kinds][0] ?? ""] : undefined;
  if (!words) return "each lost the job's lease or gave the job back";
  return kept.length === 1 ? words[0] : words[1];
}

/**
 * The excluded reason's message and what it adds to the detail. `head` is "kept from <names> until <instant>";
 * `lastRun` answers the job's last ended run's result message (read only when the job is excluded). The fix: every
 * factory refused it — it will refuse again until the host is mended, so "once a host can run it" the operator's
 * requeue (which clears every exclusion of the job: core/exclusions) offers it at once; otherwise the exclusions
 * end by themselves at the instant named, and a requeue only makes that sooner.
 */
export function excludedWords(
  job: Pick<Job, "id">,
  fleet: Extract<FleetCause, { code: "excluded" }>,
  head: string,
  lastRun?: () => string | undefined,
): { message: string; detail: Record<string, unknown> } {
  const said = refusalOf(lastRun?.());
  const why = said === undefined ? "" : ` (the last said: ${said})`;
  const which = fleet.factories.length > 1 ? "exclusions" : "exclusion";
  const requeue = `\`gigafactory requeue ${job.id}\``;
  const refused = fleet.factories.every((f) => f.kind === "rejected");
  const then = apart(fleet.factories) ? "as each ends" : "then";
  const fix = refused
    ? `once a host can run it, ${requeue} clears the ${which}`
    : `it is offered again ${then}, or at once after ${requeue} (it clears the ${which})`;
  return {
    message: `${head}: ${lossWords(fleet)}${why} — ${fix}`,
    detail: said === undefined ? {} : { lastRefusal: said },
  };
}

/**
 * The kept factories and their ends: "gpu-1, gpu-2 until T" when every exclusion ends at T; when they end apart,
 * each with its own, earliest first ("gpu-1 until T1, gpu-2 until T2", past `max` named: "and 3 more, the last until
 * T") — one instant, the earliest, said "kept from gpu-1, gpu-2 until T1" of a gpu-2 kept ten minutes longer.
 */
export function keptWords(
  kept: ReadonlyArray<{ name: string; until: number }>,
  names: (list: ReadonlyArray<{ name: string }>) => string,
  max: number,
): string {
  const ends = [...new Set(kept.map((k) => k.until))];
  if (ends.length <= 1) return `${names(kept)} until ${instantWords(ends[0] ?? 0)}`;
  const sorted = [...kept].sort((a, b) => a.until - b.until);
  const shown = sorted.slice(0, max).map((k) => `${k.name} until ${instantWords(k.until)}`);
  const rest = sorted.slice(max);
  const last = rest.at(-1);
  return last
    ? `${shown.join(", ")} and ${rest.length} more, the last until ${instantWords(last.until)}`
    : shown.join(", ");
}

/** Whether `kept`'s exclusions end at different instants (then the job is offered again as each ends). */
const apart = (kept: ReadonlyArray<{ until: number }>): boolean => new Set(kept.map((k) => k.until)).size > 1;

/**
 * What `no_factory_connected` adds when a down factory is also kept from the job (a lease its crash lost): "; once
 * back, gpu-1 is kept from it until T (its lease there expired) — `gigafactory requeue ID` clears that". Without
 * it the reason sent a newcomer to start the agent, who then waited again, `excluded`, for up to the backoff.
 * Each kept one's end (ms) is said (`keptWords`, at most `max` named); "" when none is kept.
 */
export function alsoExcludedWords(
  job: Pick<Job, "id">,
  kept: ReadonlyArray<{ name: string; kind: string; until: number }>,
  names: (list: ReadonlyArray<{ name: string }>) => string,
  max: number,
): string {
  if (kept.length === 0) return "";
  const loss = lossWords({ code: "excluded", until: 0, factories: kept.map((k) => ({ ...k, id: "" })) });
  const which = kept.length > 1 ? "those exclusions" : "that exclusion";
  const requeue = `\`gigafactory requeue ${job.id}\``;
  return `; once back, it is kept from ${keptWords(kept, names, max)} (${loss}: ${requeue} clears ${which})`;
}

/**
 * "; the revoked gpu-1 has it (a revoked factory takes no work: enroll its host again)" after a count of enrolled
 * factories that leaves revoked ones out; "" when none has what the job needs. `needsNothing`: the job requires no
 * capability ("waiting for a factory — none is enrolled"), so there is no "it" to have: "could run it".
 */
export function revokedWords(
  revoked: ReadonlyArray<{ name: string }> | undefined,
  names: (list: ReadonlyArray<{ name: string }>) => string,
  needsNothing = false,
): string {
  if (!revoked?.length) return "";
  const has = needsNothing ? "could run" : revoked.length > 1 ? "have" : "has";
  return `; the revoked ${names(revoked)} ${has} it (a revoked factory takes no work: enroll its host again)`;
}
