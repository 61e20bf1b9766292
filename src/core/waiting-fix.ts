/**
 * @module core/waiting-fix
 * The command that ends a wait, for the waiting reasons whose own message names none — the `fix` a waiting reason
 * carries on the wire (`withWaitingFix`, added where the coordinator answers it), read by the CLI's "fix:" lines
 * (cli/waiting) and the dashboard's job page alike: each composed its own, the dashboard none. `no_capable_factory`
 * ("waiting for a factory with cuda — none is enrolled", "no factory has all of a, b (closest: box lacks b)") told a
 * newcomer what was missing and not how to add it. One waiting for an approval already says `gigafactory factory
 * approve ID`.
 * A capability the agent detects itself (agent/capabilities: `engine:`, `has:`, `os:`, `arch:`, `node:`) is never
 * told as `--cap`: `--cap engine:claude` would send claude jobs to a host without claude. An engine is added with
 * `--engine NAME=COMMAND` (or its command on the agent's PATH), a tool by installing it; an os/arch/node needs
 * another host. A job in review (`review_pending`, whose message names no command) is told `review approve|reject ID`,
 * as `watch` tells it, and a dead-lettered one (no reason: it waits for nothing) `requeue ID`, as `job` tells it —
 * `jobs` said neither (a newcomer, pass 42). A job held by a breaker (`breaker_open`, whose message says a trial's
 * success closes it) is told the operator's reset, for an engine known fixed: it waited out a cool-down that doubles
 * on each failed trial, with no word of the command that closes it now.
 */
import { DEFAULT_ENGINE } from "./breaker.ts";
import { CapabilitySchema } from "./manifest-schema.ts";
import { shellWord } from "./waiting-commands.ts";
import type { WaitingReason } from "./waiting-reason.ts";

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/**
 * Capabilities every agent has (agent/engines: the bundled `sample` engine, always available — Node is): never told
 * as what a host must have. A sample job needing `tpu` said "enroll a host that has tpu, engine:sample … with sample
 * on the agent's PATH", sending a newcomer to install what ships with the agent.
 */
const EVERY_AGENT = new Set(["engine:sample"]);
const toAdd = (v: unknown): string[] => strings(v).filter((c) => !EVERY_AGENT.has(c));

/** A capability `c` is one a command line may carry as is (the answer is text from elsewhere: never pasted unchecked). */
const safe = (c: string): boolean => CapabilitySchema.safeParse(c).success;

/** The capabilities the agent detects from the host (agent/capabilities), by kind; the rest are declared (`--cap`). */
function byKind(caps: readonly string[]) {
  const engines: string[] = [];
  const tools: string[] = [];
  const host: string[] = [];
  const declared: string[] = [];
  for (const c of caps) {
    const m = /^(engine|has|os|arch|node):(.+)$/.exec(c);
    if (!m) declared.push(c);
    else if (m[1] === "engine") engines.push(m[2]!);
    else if (m[1] === "has") tools.push(m[2]!);
    else host.push(c);
  }
  return { engines, tools, host, declared };
}

/** `--cap a --engine e=COMMAND` for the declarable part of `caps`, or placeholders when any is not safe as is. */
function runFlags(caps: readonly string[]): string {
  if (!caps.every(safe)) return "--cap C";
  const k = byKind(caps);
  return [...k.declared.map((c) => ` --cap ${c}`), ...k.engines.map((e) => ` --engine ${e}=COMMAND`)].join("").trim();
}

/** What a host must have installed for `caps` (an engine's command, a tool), as a clause, or "". */
function installs(caps: readonly string[]): string {
  if (!caps.every(safe)) return "";
  const k = byKind(caps);
  const parts = [
    ...k.engines.map((e) => `${e} on the agent's PATH (or \`--engine ${e}=COMMAND\`)`),
    ...k.tools.map((t) => `${t} installed`),
  ];
  return parts.length > 0 ? ` with ${parts.join(" and ")}` : "";
}

/** A dead-lettered job's fix (it carries no waiting reason): requeued, it runs again with fresh attempts. */
export const deadLetterFix = (jobId: string): string =>
  `\`gigafactory requeue ${shellWord(jobId, "ID")}\` runs it again with fresh attempts`;

/**
 * `breaker_open`'s fix: `gigafactory factory breaker-reset ID ENGINE` for the one factory whose breaker holds the job
 * (its id), or with `ID` for several (each has its own breaker). The default engine (`*`) quoted, for the shell.
 */
function breakerFix(d: Record<string, unknown>): string {
  const engine = typeof d.engine === "string" ? d.engine : "ENGINE";
  const word = engine === DEFAULT_ENGINE ? "'*'" : shellWord(engine, "ENGINE");
  const factories = Array.isArray(d.factories) ? (d.factories as Array<Record<string, unknown>>) : [];
  const count = typeof d.factoryCount === "number" ? d.factoryCount : factories.length;
  const [one] = factories;
  const single = count === 1 && typeof one?.id === "string";
  const id = single ? shellWord(one.id as string, "ID") : "ID";
  const which = single && typeof one?.name === "string" ? ` on ${one.name}` : " on a factory";
  const works = engine === DEFAULT_ENGINE ? "the default engine" : `engine ${engine}`;
  return (
    `once ${works} works again${which} (its login renewed, a rate limit lifted), an operator closes the breaker ` +
    `now: \`gigafactory factory breaker-reset ${id} ${word}\`${single ? "" : " for each factory that holds it"}`
  );
}

/**
 * The "fix:" text for `reason` of job `jobId` (a review's command names it: without it, none), or undefined when its
 * message says what to do (or there is nothing to run).
 */
export function waitingFix(reason: WaitingReason, jobId?: string): string | undefined {
  if (reason.code === "review_pending" && jobId !== undefined) {
    const id = shellWord(jobId, "ID");
    return `\`gigafactory review approve ${id}\` approves it, \`gigafactory review reject ${id}\` sends it back`;
  }
  if (reason.code === "breaker_open") return breakerFix(reason.detail);
  if (reason.code !== "no_capable_factory") return undefined;
  const d = reason.detail;
  if (Array.isArray(d.pendingApproval) && d.pendingApproval.length > 0) return undefined; // its message names it
  const requires = toAdd(d.requires);
  const missing = toAdd(d.missing).length > 0 ? toAdd(d.missing) : requires;
  if (requires.length === 0) {
    return "enroll a factory: `gigafactory enroll NAME`, then run the command it prints on that host";
  }
  const declared = requires.every(safe) ? byKind(requires).declared : ["C"];
  const flags = declared.map((c) => ` --cap ${c}`).join("");
  const enroll = `enroll a host that has ${requires.join(", ")}: \`gigafactory enroll NAME${flags}\`, then run the command it prints on it${installs(requires)}`;
  // An os, arch or node version is the host's own: no restart gives a factory one it lacks.
  if (missing.every(safe) && byKind(missing).host.length > 0) return enroll;
  const closest = typeof d.closest === "object" && d.closest !== null ? (d.closest as Record<string, unknown>) : {};
  // An id from the answer goes into the command only when it is one (a factory id is word characters and dashes).
  const id = typeof closest.id === "string" && /^[\w-]+$/.test(closest.id) ? closest.id : "ID";
  const tools = missing.every(safe) ? byKind(missing).tools : [];
  const install = tools.length > 0 ? `install ${tools.join(", ")}, ` : "";
  const run = runFlags(missing);
  const restart = run === "" ? "restart its agent" : `restart its agent with \`gigafactory-agent run ${run}\``;
  const declare = `${install}${restart}, then \`gigafactory factory approve ${id}\``;
  if (typeof closest.name === "string")
    return `if ${closest.name} has ${missing.join(", ")}, ${declare}; else ${enroll}`;
  return `${enroll}; or, on a factory enrolled already that has ${missing.join(", ")}, ${declare}`;
}

/**
 * `reason` of job `jobId` with its `fix` (`waitingFix`) when one exists; as it is otherwise. Null stays null (a job
 * that runs or has ended waits for nothing).
 */
export function withWaitingFix(reason: WaitingReason | null, jobId: string): WaitingReason | null {
  const fix = reason ? waitingFix(reason, jobId) : undefined;
  return reason && fix !== undefined ? { ...reason, fix } : reason;
}
