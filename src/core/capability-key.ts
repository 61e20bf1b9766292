/**
 * @module core/capability-key
 * The queue bucket a job waits in (issue 12 item 4): the set of capabilities a factory must hold to run it
 * (core/route-filter `effectiveRequires`: its `requires` plus `engine:<engine>`), as one canonical string. Two jobs
 * with the same requirements, in any order and with any repeats, share a key; the coordinator stores it in
 * `jobs.cap_key` and walks the queue bucket by bucket, skipping the buckets no free factory can run unread.
 *
 * The key is the JSON array of the distinct capabilities sorted by UTF-16 code unit (`Array.prototype.sort`): JSON
 * makes it injective for any capability string (no separator a capability could contain), and it decodes back
 * to the set with `capabilitiesOfKey`. A job that requires nothing has the key `[]`. Pure.
 */
import type { Job } from "./model.ts";
import { effectiveRequires } from "./route-filter.ts";

/** The canonical key of a set of capabilities, e.g. `["engine:codex","os:linux"]`. */
export function keyOfCapabilities(capabilities: readonly string[]): string {
  return JSON.stringify([...new Set(capabilities)].sort());
}

/** The bucket of `job`: the key of its effective requirements. */
export function capabilityKey(job: Pick<Job, "requires" | "engine">): string {
  return keyOfCapabilities(effectiveRequires(job));
}

/**
 * The capabilities a key stands for, sorted and distinct.
 * @throws SyntaxError — `key` was not made by `keyOfCapabilities`.
 */
export function capabilitiesOfKey(key: string): string[] {
  return JSON.parse(key) as string[];
}

/** `held` includes every capability of `required`: a factory holding `held` passes the capability filter. */
export function holdsAll(held: ReadonlySet<string>, required: readonly string[]): boolean {
  for (const c of required) if (!held.has(c)) return false;
  return true;
}
