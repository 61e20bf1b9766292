/**
 * @module cli/waiting-fix
 * The command that ends a wait, for the waiting reasons whose own message names none: `no_capable_factory` ("waiting
 * for a factory with cuda — none is enrolled", "no factory has all of a, b (closest: box lacks b)") told a newcomer
 * what was missing and not how to add it. Shown as the "fix:" line of the "Waiting:" block (cli/waiting) of
 * `gigafactory job ID` and `explain ID`. One waiting for an approval already says `gigafactory factory approve ID`.
 */
import type { WaitingReason } from "../core/waiting-reason.ts";
import { Capability } from "../shared/api.ts";

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/**
 * `--cap a --cap b` for capabilities from the coordinator's answer, or `--cap C` when any is not one a command line
 * may carry as is (the answer is text from elsewhere: it is not pasted into a shell command unchecked).
 */
function capFlags(caps: readonly string[]): string {
  if (caps.length === 0 || !caps.every((c) => Capability.safeParse(c).success)) return "--cap C";
  return caps.map((c) => `--cap ${c}`).join(" ");
}

/** The "fix:" text for `reason`, or undefined when its message says what to do (or there is nothing to run). */
export function waitingFix(reason: WaitingReason): string | undefined {
  if (reason.code !== "no_capable_factory") return undefined;
  const d = reason.detail;
  if (Array.isArray(d.pendingApproval) && d.pendingApproval.length > 0) return undefined; // its message names it
  const requires = strings(d.requires);
  const missing = strings(d.missing).length > 0 ? strings(d.missing) : requires;
  if (requires.length === 0) {
    return "enroll a factory: `gigafactory enroll NAME`, then run the command it prints on that host";
  }
  const enroll = `enroll a host that has ${requires.join(", ")}: \`gigafactory enroll NAME ${capFlags(requires)}\`, then run the command it prints on it`;
  const closest = typeof d.closest === "object" && d.closest !== null ? (d.closest as Record<string, unknown>) : {};
  // An id from the answer goes into the command only when it is one (a factory id is word characters and dashes).
  const id = typeof closest.id === "string" && /^[\w-]+$/.test(closest.id) ? closest.id : "ID";
  const declare = `restart its agent with \`gigafactory-agent run ${capFlags(missing)}\`, then \`gigafactory factory approve ${id}\``;
  if (typeof closest.name === "string")
    return `if ${closest.name} has ${missing.join(", ")}, ${declare}; else ${enroll}`;
  return `${enroll}; or, on a factory enrolled already that has ${missing.join(", ")}, ${declare}`;
}
