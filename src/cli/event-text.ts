/**
 * @module cli/event-text
 * A job-feed event (shared/protocol FEED_EVENT_TYPES, plus the coordinator's own `job.*` notices) as terminal
 * lines for `gigafactory watch`: `#seq  HH:MM:SS  type  summary`. A `log` event is one line per log line
 * (`[stdout] step 1/20: planning`), never cut, since the log is what a watcher came for; every other type gets a
 * short reading of its fields, and a type this CLI does not know shows its fields as `k=v`, cut to one line (a time
 * field — `expiresAt`, `openUntil`, `notBefore` — as an ISO instant, not epoch ms).
 */
import type { JobEvent } from "../shared/http-client.ts";
import { formatClock, formatInstant, isInstantKey, oneLine, truncate } from "./table.ts";

/** 100 chars of summary: one terminal line with the seq, time and type in front (log text is not cut). */
const SUMMARY_MAX = 100;
/** 160 columns of a stage move's reason: an engine's message can be a whole stack trace; `job ID` shows all of it. */
const REASON_MAX = 160;

/** The stage a `job.stage` event moved the job to, whichever field name the event uses. */
export function stageOf(event: JobEvent): string | undefined {
  if (event.type !== "job.stage") return undefined;
  const to = event.data.to ?? event.data.stage;
  return typeof to === "string" ? to : undefined;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const join = (parts: ReadonlyArray<string | undefined | false>): string =>
  parts.filter((p): p is string => typeof p === "string" && p !== "").join(" · ");
/**
 * A value of an event's data as text: a string as it is, anything else as JSON — or "…" for one JSON.stringify cannot
 * write (nested some 4,000 deep, where its recursion overflows the stack: `watch` ended as `✘ ERROR internal … CLI
 * bug` mid-feed). String() was no better: it recurses through nested lists the same way, and shows a record as
 * "[object Object]".
 */
function asText(v: unknown): string {
  if (typeof v === "string") return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return "…";
  }
}
const epoch = (d: Record<string, unknown>): string | undefined =>
  num(d.leaseEpoch) === undefined ? undefined : `epoch ${d.leaseEpoch}`;

/** How a line names factory `id`: by name where the fleet list has it (cli/factory-names `factoryNamer`). */
export type FactoryNamer = (id: string) => string;
const byId: FactoryNamer = (id) => id;

/** The types whose reading names the factory in their `factoryId`: `watch` reads the fleet list for those. */
const NAMING = new Set(["lease.granted", "lease.lost", "job.preempted", "exclusion.cleared", "job.budget_exceeded"]);

/** The factory an event's reading names, if any: its `factoryId`. */
export function factoryIdOf(event: JobEvent): string | undefined {
  return NAMING.has(event.type) ? str(event.data.factoryId) : undefined;
}

/** `job.budget_exceeded` {limit, used, max, why, factoryId, leaseEpoch}: the run stopped, in the coordinator's words. */
function budgetExceeded(d: Record<string, unknown>, name: FactoryNamer): string {
  const why = str(d.why) ?? `${str(d.limit) ?? "budget"} reached ${num(d.used) ?? "?"} of ${num(d.max) ?? "?"}`;
  const on = str(d.factoryId);
  return join([`stopped over budget: ${why}`, on && `on ${name(on)}`, epoch(d)]);
}

/**
 * The lease events, an eviction and a cleared exclusion, with their factory by name, as the dashboard's timeline
 * reads them: they printed as `factoryId=fac_0mxc6m72… leaseEpoch=1 why=expired …`. A lease expiry says what its
 * holder was last seen doing, as `job ID`'s RUNS does: its link lost at T, else its last heartbeat at T.
 */
function factoryReading(type: string, d: Record<string, unknown>, name: FactoryNamer): string | undefined {
  const id = str(d.factoryId);
  const who = id === undefined ? "?" : name(id);
  const at = (k: string) => (num(d[k]) === undefined ? undefined : formatInstant(num(d[k])));
  switch (type) {
    case "lease.granted":
      return join([`lease to ${who}`, epoch(d), at("expiresAt") && `until ${at("expiresAt")}`, attemptOf(d)]);
    case "lease.lost": {
      const seen = at("linkLostAt")
        ? `${who} lost its link at ${at("linkLostAt")}`
        : at("lastHeartbeatAt") && `${who}'s last heartbeat at ${at("lastHeartbeatAt")}`;
      const kept = at("excludedUntil") && `kept from ${who} until ${at("excludedUntil")}`;
      const why = str(d.why) && truncate(String(d.why), REASON_MAX);
      return join([`lease lost by ${who}`, epoch(d), why, d.why === "expired" && seen, kept]);
    }
    case "job.preempted":
      return join([`preempted by ${str(d.by) ?? "?"}`, id !== undefined && `on ${who}`, epoch(d)]);
    case "exclusion.cleared":
      return join([`${who} may take it again`, str(d.why) && truncate(String(d.why), REASON_MAX)]);
  }
  return undefined;
}
const attemptOf = (d: Record<string, unknown>): string | undefined =>
  num(d.attempt) === undefined ? undefined : `attempt ${d.attempt}`;

/** `job.children` {added: ids, total}: the children a parent gained. */
function children(d: Record<string, unknown>): string {
  const added = Array.isArray(d.added) ? d.added.map(asText) : [];
  const total = num(d.total);
  const noun = added.length === 1 ? "child" : "children";
  return join([
    `added ${added.length} ${noun}${added.length ? `: ${added.join(", ")}` : ""}`,
    total !== undefined && `${total} in all`,
  ]);
}

/**
 * A data field as text in a `k=v` pair: an instant (ms epoch in a field named like `expiresAt`, `openUntil`,
 * `notBefore` — the coordinator's naming for times) as an ISO time like the rest of the CLI, not 1796300328706.
 */
function fieldText(key: string, v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v) && isInstantKey(key)) return formatInstant(v);
  return asText(v);
}

/**
 * Why a stage move happened, from the result the `job.stage` event carries (`{outcome, message?, rc?}`: the result of
 * that move, coordinator/jobs/rows), as " — failure: engine exited with code 1: boom" (" — cancelled by ana": a
 * message that starts with its outcome alone), cut to REASON_MAX; "" for a success or a move that carries none. `watch` printed `building → failed` with no reason at all.
 */
export function resultReason(event: JobEvent): string {
  return reasonOf(event.data.result);
}

/** `resultReason` of a result itself (`{outcome, message?, rc?}`, or anything else: ""), e.g. a job's `lastResult`. */
export function reasonOf(r: unknown): string {
  if (typeof r !== "object" || r === null) return "";
  const { outcome, message, rc } = r as Record<string, unknown>;
  if (typeof outcome !== "string" || outcome === "success") return "";
  const why = str(message) ?? (num(rc) === undefined ? undefined : `rc ${rc}`);
  // "cancelled by ana" says its outcome already: not "cancelled: cancelled by ana".
  const text = !why ? outcome : why.toLowerCase().startsWith(outcome.toLowerCase()) ? why : `${outcome}: ${why}`;
  return ` — ${truncate(text, REASON_MAX)}`;
}

/**
 * A short human reading of an event's data, by type, on one line (table `oneLine`): a stage, reason, id or `why` is
 * the coordinator's text, and a newline in one printed a forged `#8  12:00:00  job.stage  … → shipped` line of its
 * own in `gigafactory watch`. Unknown types as `k=v` pairs, cut.
 */
export function summarize(event: JobEvent, name: FactoryNamer = byId): string {
  return oneLine(reading(event, name));
}

function reading(event: JobEvent, name: FactoryNamer): string {
  const d = event.data;
  const to = stageOf(event);
  if (to !== undefined) {
    const from = typeof d.from === "string" ? `${d.from} → ` : "";
    const why = typeof d.reason === "string" ? ` (${d.reason})` : typeof d.note === "string" ? ` (${d.note})` : "";
    return `${from}${to}${why}${resultReason(event)}`;
  }
  switch (event.type) {
    case "job.budget_exceeded":
      return budgetExceeded(d, name);
    case "job.children":
      return children(d);
    case "job.child_failed":
      return `child ${str(d.childId) ?? "?"} is ${str(d.childStage) ?? "unknown"}`;
    case "job.dependency_failed":
      return `dependency ${str(d.depId) ?? "?"} is ${str(d.depStage) ?? "unknown"}`;
  }
  const named = factoryReading(event.type, d, name);
  if (named !== undefined) return named;
  const text = Object.entries(d)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${fieldText(k, v)}`)
    .join(" ");
  return truncate(text, SUMMARY_MAX);
}

/**
 * The closing line of a watch that ended with the job in `dead_letter` or `cancelled` (exit 0, as for `shipped`: it
 * ended), saying so and why — `reason` is the last stage move's `resultReason` ("" for none) — or undefined for any
 * other stage. Three bare `→ failed` lines, a `dead_letter` and silence read as a watch cut short.
 */
export function endingNote(id: string, stage: string | undefined, reason: string): string | undefined {
  if (stage === "dead_letter") {
    return `job ${id} ended in dead_letter: its attempts are used up${reason} (\`gigafactory requeue ${id}\` runs it again with fresh attempts)`;
  }
  if (stage === "cancelled") return `job ${id} ended cancelled${reason}`;
  return undefined;
}

/** A `log` event's lines, one per line of text, as `[stream] text` at the line's own time. */
function logLines(event: JobEvent): string[] {
  const lines = Array.isArray(event.data.lines) ? (event.data.lines as unknown[]) : [];
  const out: string[] = [];
  for (const raw of lines) {
    const l = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
    const at = num(l.at) ?? event.at;
    const stream = oneLine(str(l.stream) ?? "log");
    // A line the engine wrote with embedded newlines is still several lines on the terminal: each gets the prefix.
    for (const line of asText(l.text ?? "").split(/\r?\n/)) {
      out.push(`#${event.seq}  ${formatClock(at)}  log  [${stream}] ${line}`.trimEnd());
    }
  }
  return out.length ? out : [`#${event.seq}  ${formatClock(event.at)}  log  (no lines)`];
}

/** The terminal lines for one event: several for a `log` event, one for anything else; factories named by `name`. */
export function eventLines(event: JobEvent, name: FactoryNamer = byId): string[] {
  if (event.type === "log") return logLines(event);
  return [`#${event.seq}  ${formatClock(event.at)}  ${oneLine(event.type)}  ${summarize(event, name)}`.trimEnd()];
}
